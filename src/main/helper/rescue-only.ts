/**
 * `media.rescueOnly`: the rescue ISO alone, no backup (`lifeboat media --rescue-only
 * --iso FILE`). The set lives elsewhere — a disk, an NFS or SMB share — and the rescue
 * system finds it at restore time (on the attached disks, or where `lifeboat.set=` says).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { JobDone } from '../../shared/api';
import { LifeboatError } from '../../shared/errors';
import { isForbiddenOutput } from '../../shared/media-make';
import type { JobContext } from '../engine/job';
import { buildMedia } from '../engine/media/build';
import { chooseKernel } from '../engine/media/kernel';
import { jobFailure, madeMedia, mediaJobDone } from './media-make';

export interface RescueOnlyParams {
  iso: string;
  lang: 'en' | 'fr';
  kernel?: string;
}

/** Refused before the job starts, so the answer to the request is the refusal itself. */
export function preflightRescueOnly(p: RescueOnlyParams): string {
  const iso = resolve(p.iso);
  if (isForbiddenOutput(iso)) throw new LifeboatError('invalid-request', { field: 'iso', reason: 'inside /proc, /sys or /dev' }, 'iso: inside /proc, /sys or /dev');
  // Never replace a file: an older rescue ISO may be the only one someone has.
  if (existsSync(iso)) throw new LifeboatError('dest-not-empty', { path: iso });
  chooseKernel({ kernel: p.kernel });
  return iso;
}

export async function runRescueOnly(p: RescueOnlyParams, ctx: JobContext): Promise<JobDone> {
  const iso = preflightRescueOnly(p);
  try {
    return mediaJobDone(ctx, null, madeMedia(await buildMedia({ iso, lang: p.lang, kernel: p.kernel }, ctx)), null);
  } catch (err) {
    return mediaJobDone(ctx, null, null, jobFailure(ctx, err));
  }
}
