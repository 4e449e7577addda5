/**
 * Wall-clock seconds spent in each phase of a backup, returned with the result (and so in
 * `lifeboat backup --json`): the bench compares them with `tar | zstd`, and a slow backup
 * in the field says where its time went without a profiler.
 */
export class PhaseTimes {
  readonly seconds: Record<string, number> = {};
  private name: string | null = null;
  private since = 0;

  /** ends the current phase (if any) and starts `name` */
  start(name: string): void {
    this.stop();
    this.name = name;
    this.since = performance.now();
  }

  stop(): void {
    if (this.name) this.seconds[this.name] = (this.seconds[this.name] ?? 0) + (performance.now() - this.since) / 1000;
    this.name = null;
  }
}
