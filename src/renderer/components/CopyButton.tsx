/**
 * "Copy" for a block of text (command lines). The clipboard API needs a secure context
 * and, in some browsers, a permission; when it is refused the text is selected instead,
 * so Ctrl+C still works and the button says so rather than failing silently.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

type CopyState = 'idle' | 'copied' | 'failed';

export function CopyButton({ text, testId }: { text: string; testId?: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<CopyState>('idle');

  // New text, new copy: "Copied" was about the old one.
  useEffect(() => setState('idle'), [text]);

  const copy = async (button: HTMLButtonElement) => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const pre = button.parentElement?.querySelector('pre');
      if (pre) window.getSelection()?.selectAllChildren(pre);
      setState('failed');
    }
  };

  return (
    <button type="button" className="button small" data-testid={testId} data-state={state} onClick={(e) => void copy(e.currentTarget)}>
      {state === 'copied' ? t('common:copied') : state === 'failed' ? t('common:copyFailed') : t('common:copy')}
    </button>
  );
}
