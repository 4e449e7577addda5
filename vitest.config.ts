import { defineConfig } from 'vitest/config';

// Unit and integration tests (engine on real loop devices, helper, host, CLI).
// Integration tests create loop devices and run real tools, so files run in forks
// with a generous timeout; the machine has 2 cores.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
