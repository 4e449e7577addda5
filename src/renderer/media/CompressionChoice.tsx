/**
 * The backup step's compression choice: one row per compressor with the set size and
 * the time it would take, estimated from the size left to archive (the folder tree's
 * live total) and each compressor's ratio and speed, measured by the helper on a sample
 * of the system read as the backup reads it (`compression.estimate`).
 *
 * The measure runs once per root and set of exclusions (they change what is sampled),
 * a moment after the last change; the figures of the previous measure stay on screen,
 * marked, while a new one runs. The last answer is kept across visits to the step.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { COMPRESSORS, type Compressor } from '../../shared/backup-set';
import { projectEstimate, type CompressionEstimate, type CompressorEstimate } from '../../shared/compression-estimate';
import type { ErrorInfo } from '../../shared/errors';
import { useMedia, useServices } from '../app/context';
import { errorOf } from '../app/job-tracker';
import { useErrorText, useFormat } from '../i18n';
import { effectiveExcludes, LEVELS, sizeEstimate, type MediaState } from './store';

type Measure = { key: string; result: CompressionEstimate | null; measuring: boolean; error: ErrorInfo | null };

/**
 * The last measure, kept while the wizard lives: going back and forth does not measure
 * again, and a screen shown again while a measure runs gets its answer (listeners).
 */
let kept: Measure | null = null;
const listeners = new Set<(m: Measure) => void>();
function keep(m: Measure): void {
  kept = m;
  for (const l of listeners) l(m);
}

/** Waits this long after the last change of exclusions: ticking boxes in a row measures once. */
const SETTLE_MS = 1500;

function useEstimate(key: string): Measure | null {
  const { api } = useServices();
  const [measure, setMeasure] = useState<Measure | null>(kept);
  useEffect(() => {
    listeners.add(setMeasure);
    return () => {
      listeners.delete(setMeasure);
    };
  }, []);
  useEffect(() => {
    if (!key || (kept?.key === key && (kept.result || kept.measuring))) return;
    const timer = setTimeout(() => {
      keep({ key, result: kept?.result ?? null, measuring: true, error: null });
      const req = JSON.parse(key) as { root: string; excludes: string[]; defaultExcludes: boolean };
      api.invoke('compression.estimate', req).then(
        (result) => {
          if (kept?.key === key) keep({ key, result, measuring: false, error: null });
        },
        (err: unknown) => {
          const error = errorOf(err);
          // a newer measure took over (the exclusions changed): its answer will come
          if (kept?.key !== key) return;
          // stopped for a backup that started: measured again when the step shows again
          if (error.code === 'cancelled') keep({ key: '', result: kept.result, measuring: false, error: null });
          else keep({ key, result: null, measuring: false, error });
        },
      );
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [key, api]);
  return measure;
}

function Row({ format, c, bytes, atLeast, read }: { format: Compressor; c: CompressorEstimate | null; bytes: number | null; atLeast: boolean; read: number | null }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const state = useMedia((s) => s);
  const projected = c && bytes !== null ? projectEstimate(bytes, c, read) : null;
  let size: string;
  let time = '—';
  if (!c) size = t('makeMedia:backup.compression.measuring');
  else if (c.status !== 'measured') size = t(`makeMedia:backup.compression.status.${c.status}`);
  else if (!projected) size = t('makeMedia:backup.compression.waitingForSizes');
  else {
    const ratio = fmt.percent(c.ratio!);
    size = t(atLeast ? 'makeMedia:backup.compression.sizeAtLeast' : 'makeMedia:backup.compression.size', { size: fmt.bytes(projected.size), ratio });
    if (projected.seconds !== null && projected.seconds < 1 && !atLeast) time = t('makeMedia:backup.compression.underASecond');
    else if (projected.seconds !== null) time = t(atLeast ? 'makeMedia:backup.compression.timeAtLeast' : 'makeMedia:backup.compression.time', { time: fmt.duration(projected.seconds) });
  }
  return (
    <tr
      className={state.compress === format ? 'chosen' : ''}
      data-testid="compress-option"
      data-format={format}
      data-status={c?.status ?? 'measuring'}
      data-ratio={c?.ratio ?? ''}
      data-size={projected?.size ?? ''}
    >
      <td>
        <label className="compress-label">
          <input
            type="radio"
            name="media-compress"
            data-testid={`compress-${format}`}
            value={format}
            checked={state.compress === format}
            onChange={() => state.setCompress(format)}
          />
          {t(`makeMedia:backup.compressors.${format}`)}
        </label>
      </td>
      <td className="compress-figure" data-testid="compress-size">
        {size}
      </td>
      <td className="compress-figure" data-testid="compress-time">
        {time}
      </td>
    </tr>
  );
}

export function CompressionChoice() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const errorText = useErrorText();
  const state = useMedia((s) => s);
  const root = state.inventory?.root ?? '';
  const { excludes, defaultExcludes } = effectiveExcludes(state);
  const key = root ? JSON.stringify({ root, excludes, defaultExcludes }) : '';
  const measure = useEstimate(key);
  const result = measure?.result ?? null;
  const total = sizeEstimate(state as MediaState);
  const range = state.compress === 'none' ? null : LEVELS[state.compress];
  const byFormat = new Map(result?.compressors.map((c) => [c.format, c]) ?? []);
  // figures of other exclusions stay shown, marked, until the new ones come
  const measuring = !measure || measure.measuring || measure.key !== key;

  return (
    <div className="field compress-choice" data-testid="compress-choice" data-measuring={measuring}>
      <h3 className="subtle-heading" id="media-compress">
        {t('makeMedia:backup.compress')}
        {measuring && (
          <span className="folder-why" data-testid="compress-measuring">
            {' '}
            — {t('makeMedia:backup.compression.measuringSample')}
          </span>
        )}
      </h3>
      <table className="compress-table" data-testid="compress-table" aria-labelledby="media-compress">
        <thead>
          <tr>
            <th scope="col">{t('makeMedia:backup.compression.method')}</th>
            <th scope="col">{t('makeMedia:backup.compression.setSize')}</th>
            <th scope="col">{t('makeMedia:backup.compression.duration')}</th>
          </tr>
        </thead>
        <tbody>
          {COMPRESSORS.map((f) => (
            <Row key={f} format={f} c={byFormat.get(f) ?? null} bytes={total?.bytes ?? null} atLeast={total?.atLeast ?? false} read={result?.readBytesPerSec ?? null} />
          ))}
        </tbody>
      </table>
      {measure?.error && (
        <p className="field-problem" data-testid="compress-error">
          {t('makeMedia:backup.compression.failed', { error: errorText(measure.error) })}
        </p>
      )}
      {result && (
        <p className="field-hint" data-testid="compress-note" data-sample={result.sampleBytes}>
          {t('makeMedia:backup.compression.note', {
            sample: fmt.bytes(result.sampleBytes),
            count: result.sampleFiles,
            speed: result.readBytesPerSec ? fmt.speed(result.readBytesPerSec) : '—',
          })}
        </p>
      )}
      <div className="field compress-level">
        <label htmlFor="media-level">{t('makeMedia:backup.level')}</label>
        <select
          id="media-level"
          data-testid="level"
          disabled={!range}
          value={state.level === null ? '' : String(state.level)}
          onChange={(e) => state.setLevel(e.target.value === '' ? null : Number(e.target.value))}
        >
          <option value="">{range ? t('makeMedia:backup.levelDefault', { level: range.default }) : t('makeMedia:backup.levelNone')}</option>
          {range &&
            Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i).map((l) => (
              <option key={l} value={String(l)}>
                {l === range.min ? t('makeMedia:backup.levelFastest', { level: l }) : l === range.max ? t('makeMedia:backup.levelSmallest', { level: l }) : String(l)}
              </option>
            ))}
        </select>
        {range && state.level !== null && state.level !== range.default && (
          <p className="field-hint" data-testid="compress-level-note">
            {t(state.level > range.default ? 'makeMedia:backup.compression.levelHigher' : 'makeMedia:backup.compression.levelLower', {
              level: state.level,
              default: range.default,
            })}
          </p>
        )}
      </div>
    </div>
  );
}
