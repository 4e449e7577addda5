import { defineConfig } from 'vitest/config';

// End-to-end tests: real Chromium against the real browser host, real loop devices.
// One file at a time: each test drives a browser and writes a loop device, and the
// machine has 2 cores shared with other work.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
