/**
 * Catches a rendering failure and says so in the user's language instead of a blank window.
 */
import { Component, type ReactNode } from 'react';
import { Translation } from 'react-i18next';

interface Props {
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error): void {
    // Keep the real cause for whoever reads the console or the logs.
    console.error('Lifeboat renderer failed:', error);
  }

  private readonly reset = () => this.setState({ error: null });

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Translation>
        {(t) => (
          <div className="panel error-panel" role="alert" data-testid="crash">
            <h2>{t('common:crash.title')}</h2>
            <p>{t('common:crash.body')}</p>
            <pre className="crash-detail">{error.message}</pre>
            <button type="button" className="button" onClick={this.reset}>
              {t('common:retry')}
            </button>
          </div>
        )}
      </Translation>
    );
  }
}
