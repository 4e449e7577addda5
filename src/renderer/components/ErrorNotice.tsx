import type { ErrorInfo } from '../../shared/errors';
import { useErrorText } from '../i18n';

/** An error in the user's language, from its code and params. */
export function ErrorNotice({ error, testId }: { error: ErrorInfo; testId?: string }) {
  const text = useErrorText();
  return (
    <p className="notice error" role="alert" data-testid={testId ?? 'error'} data-code={error.code}>
      {text(error)}
    </p>
  );
}
