/**
 * Progress is data: one type that the UI, the CLI (bar or JSON lines) and the logs consume alike.
 */
import type { ErrorInfo } from './errors';

export type JobKind = 'flash' | 'backup' | 'verify' | 'restore' | 'media' | 'rehearse' | 'compare';

/** One destination of a multi-target job (a flash onto several sticks). */
export interface TargetProgress {
  device: string;
  phase: 'pending' | 'writing' | 'verifying' | 'done' | 'failed' | 'cancelled';
  bytes: number;
  total: number | null;
  /** bytes per second, smoothed */
  speed: number | null;
  /** bytes already read back and matched while still writing (a flash verifies each part once it is on the device) */
  verified?: number;
  error?: ErrorInfo;
}

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** A phase id, also the i18n key `phases.<phase>`. */
  phase: string;
  bytes: number;
  total: number | null;
  /** bytes per second, smoothed */
  speed: number | null;
  /** seconds left, when it can be estimated */
  eta: number | null;
  /** files or steps done, when the job counts them */
  items?: { done: number; total: number | null };
  /** per-target state of a multi-target job, keyed by device path */
  targets?: Record<string, TargetProgress>;
  /** a short free-form detail (the file being archived, the step running) */
  detail?: string;
}

export type ProgressListener = (p: JobProgress) => void;

/**
 * Smooths a byte counter into a speed and ETA.
 *
 * An exponential moving average over update intervals keeps the number calm when
 * writes arrive in bursts (page cache flushes), as users read it as a promise.
 */
export class SpeedMeter {
  private lastBytes = 0;
  private lastTime: number;
  private ema: number | null = null;

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly halfLifeMs = 2000,
  ) {
    this.lastTime = now();
  }

  update(bytes: number): { speed: number | null } {
    const t = this.now();
    const dt = t - this.lastTime;
    if (dt >= 200) {
      const inst = ((bytes - this.lastBytes) * 1000) / dt;
      const alpha = 1 - Math.pow(0.5, dt / this.halfLifeMs);
      this.ema = this.ema === null ? inst : this.ema + alpha * (inst - this.ema);
      this.lastBytes = bytes;
      this.lastTime = t;
    }
    return { speed: this.ema };
  }

  eta(bytes: number, total: number | null): number | null {
    if (total === null || this.ema === null || this.ema <= 0) return null;
    return Math.max(0, (total - bytes) / this.ema);
  }
}
