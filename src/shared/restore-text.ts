/**
 * Turns a plan's translatable texts (step titles, warnings) into words: sizes travel
 * as bytes and are formatted here for the reader's language, layout notes recorded
 * by the backup are worded by the backup namespace. Used by the CLI, the UI and tests.
 */
import type { TFunction } from 'i18next';
import { formatBytes } from './format';
import type { PlanWarning, RestoreStep } from './restore-plan';

export function stepTitle(t: TFunction, lang: string, step: Pick<RestoreStep, 'title'>): string {
  const p = step.title.params;
  const size = typeof p.bytes === 'number' ? formatBytes(p.bytes, lang) : undefined;
  return t(`restore:${step.title.key}`, { ...p, size });
}

export function warningText(t: TFunction, w: PlanWarning): string {
  if (w.code === 'layout') {
    const { code, ...params } = w.params;
    return t(`backup:warnings.${code}`, { ...params, defaultValue: t('restore:warnings.layout', { code }) });
  }
  return t(`restore:warnings.${w.code}`, { ...w.params, defaultValue: w.code });
}
