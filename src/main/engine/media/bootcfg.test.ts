import { describe, expect, it } from 'vitest';
import { CONSOLE_ARGS, renderGrubCfg, renderIsolinuxCfg } from './bootcfg';

const base = { kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' };

describe('boot menus', () => {
  it('puts the console contract and the language on every entry, both languages offered', () => {
    const { cfg, display } = renderIsolinuxCfg({ ...base, lang: 'fr', append: 'lifeboat.set=label:BACKUP', timeout: 5 });
    const appends = cfg.split('\n').filter((l) => l.trim().startsWith('APPEND'));
    expect(appends).toHaveLength(2);
    for (const a of appends) expect(a).toContain(CONSOLE_ARGS);
    expect(appends[0]).toContain('lifeboat.lang=fr');
    expect(appends[1]).toContain('lifeboat.lang=en');
    expect(appends[0]).toContain('lifeboat.set=label:BACKUP');
    expect(cfg).toMatch(/^TIMEOUT 50$/m);
    expect(cfg).toMatch(/^PROMPT 1$/m);
    expect(display).toContain('Démarrer le système de secours Lifeboat');
  });

  it('does not wait in the menu when the medium restores unattended', () => {
    const o = { ...base, lang: 'en' as const, append: 'lifeboat.restore=auto lifeboat.poweroff=1', timeout: 0 };
    expect(renderIsolinuxCfg(o).cfg).toMatch(/^PROMPT 0$/m);
    const grub = renderGrubCfg({ ...o, searchFile: '/.lifeboat-abc' });
    expect(grub).toMatch(/^set timeout=0$/m);
    expect(grub).toContain('search --no-floppy --set=root --file /.lifeboat-abc');
    expect(grub).toContain("menuentry 'Restore automatically (unattended)'");
    expect(grub).toMatch(/linux \/boot\/vmlinuz console=tty0 console=ttyS0,115200 .*lifeboat\.restore=auto/);
  });
});
