import { describe, expect, it } from 'vitest';
import { HelperServer } from './server';
import type { HelperMessage } from '../../shared/helper-protocol';

function server() {
  const sent: HelperMessage[] = [];
  const logs: string[] = [];
  const s = new HelperServer({ send: (m) => sent.push(m), log: (l) => logs.push(l) });
  return { s, sent, logs };
}

const errorOf = (m: HelperMessage | undefined) => (m && 'error' in m ? m.error.code : `no error: ${JSON.stringify(m)}`);

describe('HelperServer.handleLine (in process)', () => {
  it('answers ping with its pid and uid', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 3, method: 'helper.ping', params: {} }));
    expect(sent).toEqual([{ id: 3, result: { pid: process.pid, uid: process.getuid!() } }]);
  });

  it.each([
    ['malformed JSON', '{"id": 1, "method": ', null, 'invalid-request'],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]).toString('utf8'), null, 'invalid-request'],
    ['an array', '[1,2,3]', null, 'invalid-request'],
    ['a negative id', '{"id":-1,"method":"helper.ping","params":{}}', null, 'invalid-request'],
    ['a huge id', '{"id":1e308,"method":"helper.ping","params":{}}', null, 'invalid-request'],
    ['an unknown method', '{"id":2,"method":"disk.wipe","params":{}}', 2, 'unknown-method'],
    ['an inherited method name', '{"id":2,"method":"toString","params":{}}', 2, 'unknown-method'],
    ['extra envelope keys', '{"id":4,"method":"helper.ping","params":{},"sudo":true}', 4, 'invalid-request'],
    ['unknown params', '{"id":5,"method":"drives.list","params":{"rm":true}}', 5, 'invalid-request'],
    ['a relative image path', '{"id":6,"method":"image.inspect","params":{"path":"etc/shadow"}}', 6, 'invalid-request'],
    ['a target outside /dev', '{"id":7,"method":"flash.start","params":{"image":"/x.img","targets":["/etc/passwd"],"verify":true}}', 7, 'invalid-request'],
    ['a target with ..', '{"id":8,"method":"flash.start","params":{"image":"/x.img","targets":["/dev/../etc/passwd"],"verify":true}}', 8, 'invalid-request'],
    ['a __proto__ key', '{"id":9,"method":"drives.list","params":{"__proto__":{"polluted":true}}}', null, 'invalid-request'],
    ['a constructor key', '{"id":9,"method":"job.cancel","params":{"constructor":{"prototype":{"x":1}}}}', null, 'invalid-request'],
    ['deep nesting', '['.repeat(30000) + ']'.repeat(30000), null, 'invalid-request'],
  ])('refuses %s with a structured error', async (_name, line, id, code) => {
    const { s, sent } = server();
    await s.handleLine(line);
    expect(sent).toHaveLength(1);
    expect(errorOf(sent[0])).toBe(code);
    expect((sent[0] as { id: unknown }).id).toBe(id);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a duplicated target before anything starts', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'flash.start', params: { image: '/x.img', targets: ['/dev/loop9', '/dev/loop9'], verify: false } }));
    expect(errorOf(sent[0])).toBe('target-duplicate');
    expect(s.runningJobs).toBe(0);
  });

  it('cancels running jobs on shutdown and reports them cancelled', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'flash.start', params: { image: '/nonexistent/lifeboat.img', targets: ['/dev/loop99'], verify: true } }));
    await s.shutdown();
    expect(s.runningJobs).toBe(0);
    expect(sent.find((m) => 'event' in m && m.event === 'job.done')).toMatchObject({ payload: { ok: false, error: { code: 'cancelled' } } });
    // A closing helper takes no new jobs.
    await s.handleLine(JSON.stringify({ id: 2, method: 'flash.start', params: { image: '/x.img', targets: ['/dev/loop99'], verify: true } }));
    expect(errorOf(sent.at(-1))).toBe('cancelled');
  });

  it('says cancelled:false for an unknown job', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'job.cancel', params: { jobId: 'nope' } }));
    expect(sent).toEqual([{ id: 1, result: { cancelled: false } }]);
  });

  it('reports a failed flash job as job.done with its error, after the jobId response', async () => {
    const { s, sent } = server();
    await s.handleLine(JSON.stringify({ id: 1, method: 'flash.start', params: { image: '/nonexistent/lifeboat.img', targets: ['/dev/loop99'], verify: true } }));
    const first = sent[0] as { id: number; result: { jobId: string } };
    expect(first.id).toBe(1);
    for (let i = 0; i < 100 && s.runningJobs > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const done = sent.find((m) => 'event' in m && m.event === 'job.done');
    expect(done).toMatchObject({ event: 'job.done', payload: { jobId: first.result.jobId, kind: 'flash', ok: false, error: { code: 'image-missing' } } });
  });
});

describe('HelperServer folders.sizes (a real temp tree)', () => {
  it('answers the sizes of a folder’s children, and refuses a relative folder, a long cap or one outside the root', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'lifeboat-helper-sizes-'));
    try {
      mkdirSync(join(root, 'srv/data'), { recursive: true });
      writeFileSync(join(root, 'srv/data/f'), Buffer.alloc(4321));
      const { s, sent } = server();
      await s.handleLine(JSON.stringify({ id: 1, method: 'folders.sizes', params: { root, dir: root } }));
      expect(sent[0]).toEqual({ id: 1, result: { root, dir: root, files: 0, children: [{ name: 'srv', size: 4321, capped: false, mountpoint: false }] } });
      await s.handleLine(JSON.stringify({ id: 2, method: 'folders.sizes', params: { root, dir: 'srv' } }));
      expect(errorOf(sent[1])).toBe('invalid-request');
      await s.handleLine(JSON.stringify({ id: 3, method: 'folders.sizes', params: { root, dir: root, budgetMs: 3_600_000 } }));
      expect(errorOf(sent[2])).toBe('invalid-request');
      await s.handleLine(JSON.stringify({ id: 4, method: 'folders.sizes', params: { root: join(root, 'srv'), dir: '/etc' } }));
      expect(sent[3]).toMatchObject({ id: 4, error: { code: 'invalid-request', params: { field: 'dir', reason: 'must be inside the root' } } });
      await s.handleLine(JSON.stringify({ id: 5, method: 'folders.sizes', params: { root, dir: root, rm: true } }));
      expect(errorOf(sent[4])).toBe('invalid-request');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
