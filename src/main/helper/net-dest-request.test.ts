/**
 * `media.make` onto an NFS export or an SMB share, through `HelperServer.handleLine` as
 * the main process sends it: the destination union is validated strictly, an SMB share
 * needs its credentials, and the password appears in no response, event or log line.
 * (This VM's kernel has no CIFS client, so the real job ends with that refusal; the
 * mounts that succeed are proved in qemu: test/qemu/net-dest.test.ts.)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperMessage } from '../../shared/helper-protocol';
import type { JobDone } from '../../shared/api';
import { HelperServer } from './server';
import { findMountHelper, RUN_DIR } from '../engine/backup/net-dest';

const PASSWORD = 'helper Pa55=word;"x"';

function server() {
  const sent: HelperMessage[] = [];
  const logs: string[] = [];
  const s = new HelperServer({ send: (m) => sent.push(m), log: (l) => logs.push(l) });
  return { s, sent, logs };
}

let dir: string;
let root: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-net-request-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'test\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernelName = existsSync('/boot') ? readdirSync('/boot').find((f) => f.startsWith('vmlinuz-')) : undefined;
const kernel = kernelName ? `/boot/${kernelName}` : undefined;
const smb = { kind: 'smb', server: '127.0.0.1', share: 'sets', path: 'host/tonight', username: 'alice', password: PASSWORD };

function params(over: Record<string, unknown> = {}) {
  return {
    root,
    dest: 'cifs://127.0.0.1/sets/host/tonight',
    destination: smb,
    compress: 'zstd',
    excludes: [],
    defaultExcludes: true,
    iso: join(dir, 'rescue.iso'),
    embed: true,
    lang: 'en',
    ...(kernel ? { kernel } : {}),
    ...over,
  };
}

describe('media.make onto a network share: refused before any job starts', () => {
  it.each([
    ['an SMB share without credentials', { destination: undefined }, 'net-credentials-needed', undefined],
    ['credentials for another share', { destination: { ...smb, share: 'other' } }, 'invalid-request', 'destination'],
    ['a password with a line break (it would add a line to the credentials file)', { destination: { ...smb, password: 'x\nusername=root' } }, 'invalid-request', 'destination.password'],
    ['an empty user name', { destination: { ...smb, username: '' } }, 'invalid-request', 'destination.username'],
    ['a field the union does not have', { destination: { ...smb, options: 'sec=none' } }, 'invalid-request', 'destination'],
    ['a malformed NFS destination', { dest: 'nfs:nas:relative', destination: undefined }, 'invalid-request', 'dest'],
    ['a server name that is an option', { dest: 'nfs:-oexec:/x', destination: undefined }, 'invalid-request', 'dest'],
    ['a folder destination named as NFS', { dest: '/tmp/lifeboat-x/set', destination: { kind: 'nfs', server: 'nas', path: '/sets' } }, 'invalid-request', 'destination'],
  ])('refuses %s', async (_name, over, code, field) => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params(over) }));
    expect(sent).toHaveLength(1);
    const m = sent[0];
    expect(m && 'error' in m ? { code: m.error.code, field: m.error.params.field } : m).toMatchObject({ code, ...(field !== undefined ? { field } : {}) });
    expect(s.runningJobs).toBe(0);
    expect(JSON.stringify(sent)).not.toContain(PASSWORD);
  });
});

const cifsInKernel = /\tcifs\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const why = !kernel ? 'needs a kernel in /boot' : !findMountHelper('mount.cifs') ? 'needs mount.cifs (apt-get install cifs-utils)' : cifsInKernel ? 'this kernel has CIFS: the refusal is not reached this way' : null;

describe.skipIf(why !== null)(`media.make onto an SMB share on this VM (no CIFS in its kernel)${why ? ` (skipped: ${why})` : ''}`, () => {
  it('the job ends with the specific refusal; nothing mounted or left in /run/lifeboat; no password anywhere', async () => {
    const before = existsSync(RUN_DIR) ? readdirSync(RUN_DIR).sort() : [];
    const { s, sent, logs } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'media.make', params: params() }));
    const { jobId } = (sent[0] as { result: { jobId: string } }).result;
    for (let i = 0; i < 600 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 100));
    const done = sent.find((m) => 'event' in m && m.event === 'job.done') as { payload: JobDone } | undefined;
    expect(done?.payload).toMatchObject({ jobId, ok: false, error: { code: 'net-fs-unsupported', params: { type: 'SMB/CIFS' } } });
    const jobLog = sent.flatMap((m) => ('event' in m && m.event === 'job.log' ? [JSON.stringify(m.payload)] : [])).join('\n');
    expect(jobLog).toMatch(/mount\.cifs \/\/127\.0\.0\.1\/sets \/run\/lifeboat\/net-[0-9a-f]+ -n -o credentials=\/run\/lifeboat\/cred-[0-9a-f]+\/credentials,/);
    expect(JSON.stringify(sent) + logs.join('\n')).not.toContain(PASSWORD);
    expect(readdirSync(RUN_DIR).sort()).toEqual(before);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toMatch(/ cifs /);
    expect(existsSync(join(dir, 'rescue.iso'))).toBe(false);
  }, 60_000);
});
