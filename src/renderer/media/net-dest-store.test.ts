/**
 * The wizard's network share choice: the request carries the share as `dest` text and
 * the credentials only in `destination`; the Review's command line names a credentials
 * file, never the password; a saved profile holds no password; loading a profile with
 * a share brings its fields back (the password is typed again).
 */
import { describe, expect, it } from 'vitest';
import type { InventoryView } from '../../shared/media-make';
import type { Layout } from '../../shared/layout';
import { requestSchemas } from '../../shared/api';
import { commandText, profileFromRequest } from '../../shared/profile';
import { fakeTransport } from '../test-util/fake-transport';
import { backupProblem, createMediaStore, isoPath, makeRequest, profilePathOf, rescueProblem, stateOfRequest } from './store';

const PASSWORD = "wizard pa55 'quoted' $HOME";
const layout: Layout = { disks: [], filesystems: [{ device: '/dev/sda', type: 'ext4', mountpoint: '/' }], swap: [], lvm: null, md: [], crypt: [], boot: { firmware: 'bios' }, warnings: [] };
const inventory = (root: string): InventoryView => ({ root, layout, warnings: [], archived: ['/'], defaultExcludes: ['/tmp/*'] });

async function onBackup() {
  const fake = fakeTransport({
    'inventory.collect': (req) => inventory(req.root),
    'media.doctor': () => ({ ok: true, media: 'iso', items: [], missingModules: [] }),
    'profile.save': (req) => ({ path: req.path }),
    'media.make': () => ({ jobId: 'media-1' }),
  });
  const store = createMediaStore(fake.transport, { lang: 'en' });
  await store.getState().loadInventory();
  store.getState().goToBackup();
  return { store, fake };
}

describe('the wizard: a network share as the destination', () => {
  it('SMB: says what is missing, then sends the share as text and the credentials only in destination', async () => {
    const { store } = await onBackup();
    const a = store.getState();
    a.setDestKind('smb');
    expect(backupProblem(store.getState())).toBe('netServerRequired');
    a.setNetField('server', ' nas.local ');
    expect(backupProblem(store.getState())).toBe('netInvalid');
    a.setNetField('smbPath', 'backups//lifeboat/');
    expect(backupProblem(store.getState())).toBe('smbUserRequired');
    a.setNetField('username', 'alice');
    a.setNetField('password', PASSWORD);
    expect(backupProblem(store.getState())).toBeNull();
    const req = makeRequest(store.getState());
    expect(req.dest).toBe('cifs://nas.local/backups/lifeboat');
    expect(req.destination).toEqual({ kind: 'smb', server: 'nas.local', share: 'backups', path: 'lifeboat', username: 'alice', password: PASSWORD });
    // what the helper will accept
    expect(requestSchemas['media.make'].safeParse({ ...req, iso: '/srv/rescue.iso' }).success).toBe(true);
    // nothing is put "beside" a share: the ISO and the profile need a path of their own
    expect(isoPath(store.getState())).toBe('');
    expect(profilePathOf(store.getState())).toBe('');
    a.setIso('/srv/rescue.iso');
    expect(rescueProblem(store.getState())).not.toBe('isoInsideDest');
    const text = commandText(makeRequest(store.getState()));
    expect(text).toContain('--dest cifs://nas.local/backups/lifeboat');
    expect(text).toContain('--smb-credentials FILE');
    expect(text).not.toContain(PASSWORD);
    expect(JSON.stringify(profileFromRequest(makeRequest(store.getState())))).not.toContain(PASSWORD);
  });

  it('NFS: the export path with the set folder; no credentials', async () => {
    const { store } = await onBackup();
    store.getState().setDestKind('nfs');
    store.getState().setNetField('server', '10.0.2.2');
    store.getState().setNetField('nfsPath', 'sets/x');
    expect(backupProblem(store.getState())).toBe('netInvalid');
    store.getState().setNetField('nfsPath', '/sets/tonight/');
    expect(backupProblem(store.getState())).toBeNull();
    const req = makeRequest(store.getState());
    expect(req).toMatchObject({ dest: 'nfs:10.0.2.2:/sets/tonight', destination: { kind: 'nfs', server: '10.0.2.2', path: '/sets/tonight' } });
    expect(commandText(req)).not.toContain('--smb-credentials');
  });

  it('a saved profile holds no password; loading it brings the share back, password to type again', async () => {
    const { store, fake } = await onBackup();
    const a = store.getState();
    a.setDestKind('smb');
    a.setNetField('server', 'nas');
    a.setNetField('smbPath', 'backups/lifeboat');
    a.setNetField('username', 'alice');
    a.setNetField('password', PASSWORD);
    a.setIso('/srv/rescue.iso');
    a.setProfilePath('/srv/nightly-profile.json');
    a.goToRescue();
    await store.getState().checkDoctor();
    await store.getState().saveProfile();
    const call = fake.calls.find((c) => c.method === 'profile.save')!;
    expect(JSON.stringify(call)).not.toContain(PASSWORD);
    expect((call.req as { request: { dest: string } }).request.dest).toBe('cifs://nas/backups/lifeboat');
    const back = stateOfRequest({ ...makeRequest(store.getState()), destination: undefined }, []);
    expect(back).toMatchObject({ destKind: 'smb', net: { server: 'nas', smbPath: 'backups/lifeboat', password: '' } });
  });

  it('a folder sends no destination field, as before', async () => {
    const { store } = await onBackup();
    store.getState().setDest('/srv/set');
    expect(makeRequest(store.getState())).not.toHaveProperty('destination');
  });
});
