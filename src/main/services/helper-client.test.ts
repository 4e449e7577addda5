/**
 * The privileged helper as a real process (dist/helper.cjs, built first), driven
 * through its stdio by raw lines and by HelperClient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, readFileSync, readSync, closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canUseLoop, cleanupScratch, isRoot, loopSkipReason, makeLoop, scratchDir, type LoopDevice } from '../../../test/util/loop';
import { HelperClient, helperCommand } from './helper-client';
import { LifeboatError } from '../../shared/errors';
import type { Events } from '../../shared/api';

const root = join(__dirname, '..', '..', '..');
const helperPath = join(root, 'dist', 'helper.cjs');
const MiB = 1024 * 1024;
const loops: LoopDevice[] = [];
const clients: HelperClient[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const l of loops) l.detach();
  cleanupScratch();
});

async function start(): Promise<HelperClient> {
  const c = await HelperClient.start({ helperPath, onStderr: () => {} });
  clients.push(c);
  return c;
}

/** Sends raw bytes to a fresh helper, closes stdin, returns every stdout line parsed and the exit code. */
async function rawSession(chunks: (string | Buffer)[]): Promise<{ messages: Record<string, unknown>[]; code: number | null }> {
  const child = spawn(process.execPath, [helperPath], { stdio: ['pipe', 'pipe', 'ignore'] });
  const messages: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => messages.push(JSON.parse(l)));
  for (const c of chunks) child.stdin.write(c);
  child.stdin.end();
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { messages, code };
}

const ping = (id: number) => JSON.stringify({ id, method: 'helper.ping', params: {} }) + '\n';

describe('helper process: hostile input', () => {
  it('answers every hostile line with a structured error and keeps serving', async () => {
    const hostile = [
      '{"id":1,"method":\n',
      Buffer.concat([Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80]), Buffer.from('\n')]),
      '['.repeat(30000) + ']'.repeat(30000) + '\n',
      '{"id":2,"method":"helper.ping","params":{},"__proto__":{"admin":true}}\n',
      '{"id":1e999,"method":"helper.ping","params":{}}\n',
      '{"id":3,"method":"format.everything","params":{}}\n',
      '{"id":4,"method":"drives.list","params":{"includeLoop":"yes"}}\n',
      // 10 MB without a newline, in pieces, then its newline
      ...Array.from({ length: 10 }, () => 'x'.repeat(1_000_000)),
      '\n',
      ping(99),
    ];
    const { messages, code } = await rawSession(hostile);
    expect(code).toBe(0);
    const errors = messages.filter((m) => 'error' in m).map((m) => [m.id, (m.error as { code: string }).code]);
    expect(errors).toEqual([
      [null, 'invalid-request'],
      [null, 'invalid-request'],
      [null, 'invalid-request'],
      [null, 'invalid-request'],
      [null, 'invalid-request'],
      [3, 'unknown-method'],
      [4, 'invalid-request'],
      [null, 'request-too-large'],
    ]);
    expect(messages.at(-1)).toMatchObject({ id: 99, result: { pid: expect.any(Number) } });
  });

  it('exits cleanly when stdin closes in the middle of a request', async () => {
    const { messages, code } = await rawSession([ping(1), '{"id":2,"method":"helper.pi']);
    expect(code).toBe(0);
    expect(messages).toEqual([{ id: 1, result: expect.objectContaining({ uid: expect.any(Number) }) }]);
  });
});

describe('HelperClient', () => {
  it('builds the elevation command line', () => {
    expect(helperCommand({ helperPath: '/h.cjs', isRoot: true, execPath: '/node', isElectron: false })).toEqual({ file: '/node', args: ['/h.cjs'], elevated: false });
    expect(helperCommand({ helperPath: '/h.cjs', isRoot: false, execPath: '/app/lifeboat', isElectron: true })).toEqual({
      file: 'pkexec',
      args: ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/app/lifeboat', '/h.cjs'],
      elevated: true,
    });
  });

  it.each([
    [126, 'helper-elevation-cancelled'],
    [127, 'helper-no-polkit-agent'],
    [1, 'helper-start-failed'],
  ])('maps pkexec exit %i to %s', async (exit, code) => {
    // pkexec is not installed on these machines and needs a desktop agent; a stand-in
    // script exits with the codes pkexec(1) documents for each outcome.
    const fake = join(scratchDir(), 'pkexec');
    writeFileSync(fake, `#!/bin/sh\necho "stand-in pkexec refusing" >&2\nexit ${exit}\n`);
    chmodSync(fake, 0o755);
    await expect(HelperClient.start({ helperPath, forcePkexec: true, pkexecPath: fake, onStderr: () => {} })).rejects.toMatchObject({ code });
  });

  it('reports a pkexec that cannot be run as helper-start-failed', async () => {
    await expect(HelperClient.start({ helperPath, forcePkexec: true, pkexecPath: '/nonexistent/pkexec' })).rejects.toMatchObject({
      code: 'helper-start-failed',
      params: { detail: expect.stringContaining('ENOENT') },
    });
  });

  it.skipIf(!isRoot)('starts the helper directly as root and pings it', async () => {
    const c = await start();
    const pong = await c.call('helper.ping', {});
    expect(pong).toEqual({ pid: c.pid, uid: 0 });
    await expect(c.call('job.cancel', { jobId: 'none' })).resolves.toEqual({ cancelled: false });
    await expect(c.call('image.inspect', { path: '/nonexistent/x.img' })).rejects.toBeInstanceOf(LifeboatError);
    await expect(c.call('image.inspect', { path: '/' + 'a'.repeat(70_000) })).rejects.toMatchObject({ code: 'request-too-large' });
    // Schema failures come back as the helper's structured error, under the call's id.
    await expect(c.call('drives.list', { includeLoop: 'yes' } as never)).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(c.call('helper.ping', {})).resolves.toMatchObject({ uid: 0 });
  });

  it.skipIf(!isRoot)('rejects pending calls with helper-died when the helper is killed', async () => {
    const c = await start();
    const pending = c.call('drives.list', { all: true });
    process.kill(c.pid!, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ code: 'helper-died' });
    await expect(c.call('helper.ping', {})).rejects.toMatchObject({ code: 'helper-died' });
  });
});

describe.skipIf(!canUseLoop())(`HelperClient with loop devices (${loopSkipReason})`, () => {
  /**
   * A sparse raw disk image (an MBR with one partition, so the inspector sees a disk
   * image): reading it costs no disk I/O, so the write is what takes time.
   */
  function image(size: number): string {
    const file = join(scratchDir(), 'big.img');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
    execFileSync('sfdisk', ['-q', file], { input: 'label: dos\n,\n' });
    return file;
  }

  function waitFor<E extends keyof Events>(c: HelperClient, event: E, pred: (p: Events[E]) => boolean, ms = 60_000): Promise<Events[E]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
      const off = c.on(event, (p) => {
        if (!pred(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }

  it('lists a loop device with includeLoop only', async () => {
    const l = makeLoop(8 * MiB);
    loops.push(l);
    const c = await start();
    expect((await c.call('drives.list', { includeLoop: true })).map((d) => d.device)).toContain(l.device);
    expect((await c.call('drives.list', {})).map((d) => d.device)).not.toContain(l.device);
  });

  it('refuses a loop target unless includeLoop, through the guard', async () => {
    const l = makeLoop(8 * MiB);
    loops.push(l);
    const c = await start();
    const { jobId } = await c.call('flash.start', { image: image(4 * MiB), targets: [l.device], verify: false });
    const done = await waitFor(c, 'job.done', (p) => p.jobId === jobId);
    expect(done).toMatchObject({ ok: false, error: { code: 'target-loop-not-allowed' } });
  });

  it('cancels a running flash: job.done says cancelled', async () => {
    const size = 1024 * MiB;
    const l = makeLoop(size);
    loops.push(l);
    const c = await start();
    const writing = new Promise<string>((resolve) => {
      const off = c.on('job.progress', (p) => {
        if (p.phase === 'writing' && p.bytes > 0) {
          off();
          resolve(p.jobId);
        }
      });
    });
    const { jobId } = await c.call('flash.start', { image: image(size), targets: [l.device], verify: true, includeLoop: true });
    const done = waitFor(c, 'job.done', (p) => p.jobId === jobId);
    expect(await writing).toBe(jobId);
    await expect(c.call('job.cancel', { jobId })).resolves.toEqual({ cancelled: true });
    expect(await done).toMatchObject({ jobId, kind: 'flash', ok: false, error: { code: 'cancelled' } });
  });

  it('close() makes the helper cancel its running job and exit', async () => {
    const size = 1024 * MiB;
    const l = makeLoop(size);
    loops.push(l);
    const c = await start();
    const { jobId } = await c.call('flash.start', { image: image(size), targets: [l.device], verify: true, includeLoop: true });
    const dones: Events['job.done'][] = [];
    c.on('job.done', (p) => dones.push(p));
    await waitFor(c, 'job.progress', (p) => p.jobId === jobId && p.phase === 'writing');
    await c.close();
    // The helper's own job.done, not the synthetic helper-died one.
    expect(dones).toEqual([expect.objectContaining({ jobId, ok: false, error: expect.objectContaining({ code: 'cancelled' }) })]);
    await expect(c.call('helper.ping', {})).rejects.toMatchObject({ code: 'helper-died' });
  });

  it('stops its job and exits when the app stops reading (stdout closed)', async () => {
    const size = 1024 * MiB;
    const l = makeLoop(size);
    loops.push(l);
    const child = spawn(process.execPath, [helperPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const firstProgress = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.includes('"job.progress"') && line.includes('"writing"')) resolve();
      });
    });
    child.stdin.write(JSON.stringify({ id: 1, method: 'flash.start', params: { image: image(size), targets: [l.device], verify: true, includeLoop: true } }) + '\n');
    await firstProgress;
    child.stdout.destroy();
    // stdin stays open: only the broken pipe tells the helper nobody is listening.
    expect(await exited).toBe(0);
    child.stdin.destroy();
  });

  it('gives a running job a helper-died job.done when the helper is killed', async () => {
    const size = 1024 * MiB;
    const l = makeLoop(size);
    loops.push(l);
    const c = await start();
    const { jobId } = await c.call('flash.start', { image: image(size), targets: [l.device], verify: true, includeLoop: true });
    const done = waitFor(c, 'job.done', (p) => p.jobId === jobId);
    await waitFor(c, 'job.progress', (p) => p.jobId === jobId && p.phase === 'writing');
    process.kill(c.pid!, 'SIGKILL');
    expect(await done).toMatchObject({ jobId, kind: 'flash', ok: false, error: { code: 'helper-died' } });
  });

  it('flashes a small image onto a loop device and verifies it', async () => {
    const l = makeLoop(8 * MiB);
    loops.push(l);
    const img = join(scratchDir(), 'pattern.img');
    const data = Buffer.alloc(2 * MiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    writeFileSync(img, data);
    execFileSync('sfdisk', ['-q', img], { input: 'label: dos\n,\n' });
    const expected = readFileSync(img);
    const c = await start();
    const { jobId } = await c.call('flash.start', { image: img, targets: [l.device], verify: true, includeLoop: true });
    const done = await waitFor(c, 'job.done', (p) => p.jobId === jobId);
    expect(done.ok ? null : done.error).toBeNull();
    expect(done).toMatchObject({ ok: true, result: { kind: 'flash', flash: { targets: [{ device: l.device, ok: true, verified: true }] } } });
    const head = Buffer.alloc(2 * MiB);
    const fd = openSync(l.device, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    expect(head.equals(expected)).toBe(true);
  });
});
