// `npm test`: everything a fresh Debian machine (as root) needs to run every test.
// 1. the system packages the tests use (apt-get, only the missing ones);
// 2. node_modules (npm ci) when missing, then a fresh build of dist/;
// 3. unit and integration tests (vitest, real loop devices and tools);
// 4. end-to-end tests in Chromium through the browser host.
// It ends with one summary line "N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (title) => console.log(`\n== lifeboat test: ${title}`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}

step('system packages');
if (sh('bash', ['scripts/install-system-packages.sh']) !== 0) process.exit(1);

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  step('npm ci (node_modules missing)');
  if (sh('npm', ['ci'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } }) !== 0) process.exit(1);
}

step('build');
if (sh('node', ['scripts/build.mjs']) !== 0) process.exit(1);

step('typecheck');
const typecheck = sh('npm', ['run', '-s', 'typecheck']);

const outDir = join(root, 'test-results');
mkdirSync(outDir, { recursive: true });
const suites = [
  ['unit and integration', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(outDir, 'unit.json')}`], 'unit.json'],
  ['end-to-end (Chromium)', ['vitest', 'run', '-c', 'e2e/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${join(outDir, 'e2e.json')}`], 'e2e.json'],
];
let failedSuites = typecheck === 0 ? 0 : 1;
const totals = { passed: 0, failed: typecheck === 0 ? 0 : 1, skipped: 0 };
for (const [title, args, file] of suites) {
  step(title);
  const status = sh('npx', args);
  if (status !== 0) failedSuites++;
  try {
    const r = JSON.parse(readFileSync(join(outDir, file), 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    if (status !== 0 && r.numFailedTests === 0) totals.failed++; // a suite that crashed outside a test
  } catch {
    if (status !== 0) totals.failed++;
  }
}
if (typecheck !== 0) console.log('lifeboat test: the typecheck failed (counted as one failure)');
console.log(`\nlifeboat: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSuites === 0 && totals.failed === 0 ? 0 : 1);
