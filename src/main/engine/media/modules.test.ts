import { describe, expect, it, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModuleIndex, selectModules } from './modules';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-mods-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('module closure', () => {
  it('follows modules.dep and soft dependencies, counts built-ins, lists the missing', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'modules.dep'),
      [
        'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko',
        'kernel/fs/jbd2/jbd2.ko:',
        'kernel/fs/mbcache.ko:',
        'kernel/crypto/crc32c_generic.ko.xz:',
        'kernel/drivers/usb/storage/usb-storage.ko: kernel/drivers/scsi/scsi_mod.ko',
        'kernel/drivers/scsi/scsi_mod.ko:',
        'kernel/drivers/block/unused.ko:',
        'kernel/crypto/cmac.ko:',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'modules.alias'), 'alias crypto-cmac cmac\nalias pci:v00008086d* e1000\n');
    writeFileSync(join(dir, 'modules.builtin'), 'kernel/fs/isofs/isofs.ko\n');
    writeFileSync(join(dir, 'modules.softdep'), '# Soft dependencies\nsoftdep ext4 pre: crc32c_generic\nsoftdep usb_storage pre: scsi_mod post: crypto-cmac\n');
    const sel = selectModules(readModuleIndex(dir), ['ext4', 'usb_storage', 'isofs', 'nvme']);
    expect(sel.files).toEqual([
      'kernel/crypto/cmac.ko',
      'kernel/crypto/crc32c_generic.ko.xz',
      'kernel/drivers/scsi/scsi_mod.ko',
      'kernel/drivers/usb/storage/usb-storage.ko',
      'kernel/fs/ext4/ext4.ko',
      'kernel/fs/jbd2/jbd2.ko',
      'kernel/fs/mbcache.ko',
    ]);
    expect(sel.present).toEqual(['ext4', 'usb_storage']);
    expect(sel.builtin).toEqual(['isofs']);
    expect(sel.missing).toEqual(['nvme']);
  });
});
