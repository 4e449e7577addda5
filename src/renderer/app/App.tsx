import { FlashJourney } from '../flash/FlashJourney';
import { MediaJourney } from '../media/MediaJourney';
import { RestoreJourney } from '../restore/RestoreJourney';
import { useApp } from './context';
import { ErrorBoundary } from './ErrorBoundary';
import { Header } from './Header';
import { Home } from './Home';

export function App() {
  const screen = useApp((s) => s.screen);
  const view =
    screen.kind === 'home' ? <Home /> : screen.journey === 'media' ? <MediaJourney /> : screen.journey === 'restore' ? <RestoreJourney /> : <FlashJourney />;
  return (
    <div className="app">
      <Header />
      <main className="app-main">
        <ErrorBoundary>{view}</ErrorBoundary>
      </main>
    </div>
  );
}
