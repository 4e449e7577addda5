import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { writeCpio } from './cpio';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cpio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeCpio', () => {
  it('writes a newc archive that GNU cpio lists and extracts byte for byte', async () => {
    const src = join(dir, 'hello.txt');
    writeFileSync(src, 'hello from the host\n');
    const archive = join(dir, 'a.cpio');
    const out = createWriteStream(archive);
    const n = await writeCpio(out, [
      { path: 'etc', kind: 'dir' },
      { path: 'etc/hello', kind: 'file', source: src, mode: 0o640 },
      { path: 'etc/odd', kind: 'data', data: Buffer.from('abc'), mode: 0o755 },
      { path: 'etc/link', kind: 'symlink', target: 'hello' },
      { path: 'dev', kind: 'dir' },
      { path: 'dev/console', kind: 'char', major: 5, minor: 1 },
    ]);
    out.end();
    await once(out, 'close');
    expect(readFileSync(archive).length).toBe(n);
    expect(n % 4).toBe(0);
    const listing = execFileSync('cpio', ['-itv', '--quiet', '-F', archive], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rw-r-----.* etc\/hello$/m);
    expect(listing).toMatch(/^-rwxr-xr-x.* etc\/odd$/m);
    expect(listing).toMatch(/^lrwxrwxrwx.* etc\/link -> hello$/m);
    expect(listing).toMatch(/^crw-------.*5,\s+1.* dev\/console$/m);
    const x = join(dir, 'x');
    execFileSync('mkdir', ['-p', x]);
    execFileSync('cpio', ['-id', '--quiet', '-F', archive, 'etc/*'], { cwd: x });
    expect(readFileSync(join(x, 'etc/hello'), 'utf8')).toBe('hello from the host\n');
    expect(readFileSync(join(x, 'etc/odd'), 'utf8')).toBe('abc');
  });
});
