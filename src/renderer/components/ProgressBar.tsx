/** A labelled progress bar; `value` null shows an indeterminate bar. */
export function ProgressBar({ value, label, tone }: { value: number | null; label: string; tone?: 'verify' | 'error' }) {
  const pct = value === null ? null : Math.max(0, Math.min(1, value)) * 100;
  return (
    <div
      className={`progress ${tone ?? ''} ${pct === null ? 'indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct === null ? undefined : Math.round(pct)}
    >
      <div className="progress-fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
