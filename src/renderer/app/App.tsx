import { FlashJourney } from '../flash/FlashJourney';
import { useApp } from './context';
import { ErrorBoundary } from './ErrorBoundary';
import { Header } from './Header';
import { Home } from './Home';

export function App() {
  const screen = useApp((s) => s.screen);
  return (
    <div className="app">
      <Header />
      <main className="app-main">
        <ErrorBoundary>{screen.kind === 'home' ? <Home /> : <FlashJourney />}</ErrorBoundary>
      </main>
    </div>
  );
}
