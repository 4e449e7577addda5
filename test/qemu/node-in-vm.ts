/**
 * Runs the real `lifeboat` CLI inside a qemu guest booted with the rescue system's
 * kernel and initramfs: the only place on these machines with device-mapper (LVM),
 * since the host kernel has none (DESIGN.md, "Testing on the project's machines").
 *
 * The guest boots the rescue initramfs with one more (uncompressed) cpio appended:
 * `/lbtest-init`, started by `rdinit=` instead of the rescue menu. It loads the rescue
 * system's modules, mounts the "lab" disk (/dev/vda: an ext4 image made on the host
 * with `mkfs.ext4 -d`, so no loop device is needed) holding node with its libraries,
 * dist/cli.cjs and the guest scripts, runs one script, writes its log and outputs to
 * the lab disk's /out, and powers off. The host then reads /out with debugfs.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildInitramfs, usrPath } from '../../src/main/engine/media/initramfs';
import { chooseKernel } from '../../src/main/engine/media/kernel';
import { libraryClosure } from '../../src/main/engine/media/closure';
import { writeCpio } from '../../src/main/engine/media/cpio';
import { Vm } from './vm';

const repo = process.env.LIFEBOAT_REPO ?? join(__dirname, '..', '..');

/** PID 1 of the test guest: the rescue system's module loading, then one lab script, then power off. */
const INIT = `#!/bin/sh
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mkdir -p /proc /sys /dev /run /tmp /lab
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
command -v modprobe >/proc/sys/kernel/modprobe
echo 1 >/proc/sys/kernel/printk
exec </dev/console >/dev/console 2>&1
. /etc/lifeboat/build.conf
for m in $MODULES_EARLY $MODULES_LATE; do modprobe -q "$m" 2>/dev/null; done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
script=
for arg in $(cat /proc/cmdline); do case "$arg" in lbtest.script=*) script=\${arg#*=} ;; esac; done
if mount -t ext4 /dev/vda /lab; then
	# node's libraries and the extra tools, at their host paths (same host, same libc);
	# what the rescue system already has stays: rewriting the libc this shell runs on kills it
	(cd /lab/sysroot && find . ! -type d) | while IFS= read -r f; do
		[ -e "/$f" ] && continue
		mkdir -p "$(dirname "/$f")"
		cp -a "/lab/sysroot/$f" "/$f"
	done
	mkdir -p /lab/out
	echo "LBTEST-START $script"
	start=$(date +%s)
	( sh -x "/lab/scripts/$script"; echo $? >/tmp/rc ) 2>&1 | tee "/lab/out/$script.log"
	rc=$(cat /tmp/rc)
	echo "$(( $(date +%s) - start ))" >"/lab/out/$script.seconds"
	echo "$rc" >"/lab/out/$script.rc"
	sync
	umount /lab
else
	rc=lab-mount-failed
fi
sync
echo "LBTEST-DONE rc=$rc"
poweroff -f
`;

export interface LabFiles {
  /** lab path (relative) → content */
  [path: string]: string;
}

/** The rescue initramfs of this host's kernel, with the test init appended. Returns its path. */
export async function buildTestInitrd(work: string, kernel: string): Promise<string> {
  const out = join(work, 'initrd.img');
  const extra = join(work, 'lbtest.cpio');
  // The kernel unpacks concatenated archives in order. The plain one goes first (as early
  // microcode does): after a zstd archive, the kernel's decompressor does not say where
  // it ended, and a plain archive behind it is rejected as "invalid magic".
  const rescue = join(work, 'rescue-initrd.img');
  const { createWriteStream } = await import('node:fs');
  const s = createWriteStream(extra);
  await writeCpio(s, [{ path: 'lbtest-init', kind: 'data', mode: 0o755, data: Buffer.from(INIT) }]);
  await new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())));
  await buildInitramfs({ kernel: chooseKernel({ kernel }), lang: 'en', out: rescue });
  copyFileSync(extra, out);
  appendFileSync(out, readFileSync(rescue));
  return out;
}

/** Copies a host program and its libraries under `sysroot`, at their host paths. */
async function addProgram(sysroot: string, program: string, as = program): Promise<void> {
  const dest = join(sysroot, usrPath(as));
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(program), dest);
  chmodSync(dest, 0o755);
  const { libs, notFound } = await libraryClosure(program);
  if (notFound.length) throw new Error(`${program}: libraries not found: ${notFound.join(', ')}`);
  for (const lib of libs) {
    // merged /usr, as in the rescue tree: its /lib is a symlink that cp cannot copy a folder onto
    const to = join(sysroot, usrPath(lib));
    if (existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(realpathSync(lib), to);
  }
}

/**
 * The lab disk: node, the CLI bundle as /usr/local/bin/lifeboat, the few host tools the
 * rescue system lacks, and the scripts; ext4 made without mounting.
 */
export async function makeLabDisk(work: string, scripts: LabFiles, sizeMiB = 640): Promise<string> {
  const tree = join(work, 'lab-tree');
  const sysroot = join(tree, 'sysroot');
  mkdirSync(join(tree, 'scripts'), { recursive: true });
  mkdirSync(join(tree, 'out'), { recursive: true });
  await addProgram(sysroot, process.execPath, '/usr/local/bin/node');
  // The guest stands in for a machine making a backup, not only for the rescue system:
  // coreutils' split (the backup's part writer) and the attr tools are not in the rescue.
  // (split's part filter wants GNU tee and sha256sum too)
  // In /usr/local/bin, first on PATH: the busybox applets of the same names stay where they are.
  for (const p of ['/usr/bin/getfattr', '/usr/bin/setfattr', '/usr/bin/split', '/usr/bin/tee', '/usr/bin/sha256sum']) await addProgram(sysroot, p, `/usr/local/bin/${basename(p)}`);
  mkdirSync(join(sysroot, 'usr/local/lib/lifeboat'), { recursive: true });
  copyFileSync(join(repo, 'dist', 'cli.cjs'), join(sysroot, 'usr/local/lib/lifeboat/cli.cjs'));
  writeFileSync(
    join(sysroot, 'usr/local/bin/lifeboat'),
    `#!/usr/local/bin/node\nrequire('/usr/local/lib/lifeboat/cli.cjs').main(process.argv.slice(2)).then((c) => process.exit(c), (e) => { process.stderr.write('lifeboat: ' + ((e && e.stack) || e) + '\\n'); process.exit(1); });\n`,
    { mode: 0o755 },
  );
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(tree, 'scripts', name), text, { mode: 0o755 });
  const img = join(work, 'lab.img');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'lblab', '-d', tree, img], { stdio: 'pipe' });
  return img;
}

/** Copies the lab disk's /out to `dest`/out (debugfs: no mount, no loop device). */
export function readLabDir(lab: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync('debugfs', ['-R', `rdump /out ${dest}`, lab], { stdio: 'pipe' });
}

export interface GuestRun {
  rc: string;
  seconds: number;
  log: string;
  vm: Vm;
}

/**
 * Boots the guest with the lab disk as /dev/vda and `disks` as /dev/vdb, /dev/vdc…, runs
 * `script`, waits for power-off and copies the lab's /out to `outDir`.
 */
export async function runGuest(opts: { kernel: string; initrd: string; lab: string; disks: string[]; script: string; outDir: string; timeoutMs: number; memoryMiB?: number }): Promise<GuestRun> {
  const vm = new Vm({
    kernel: opts.kernel,
    initrd: opts.initrd,
    targetDisk: opts.lab,
    moreTargetDisks: opts.disks,
    memoryMiB: opts.memoryMiB ?? 1536,
    append: `console=ttyS0,115200 quiet panic=-1 rdinit=/lbtest-init lbtest.script=${opts.script}`,
  });
  try {
    const seconds = await vm.waitFor(/LBTEST-DONE rc=\S+/, opts.timeoutMs);
    await Promise.race([vm.exited, new Promise((r) => setTimeout(r, 30_000))]);
    const rc = /LBTEST-DONE rc=(\S+)/.exec(vm.output)![1];
    readLabDir(opts.lab, opts.outDir);
    const logFile = join(opts.outDir, 'out', `${opts.script}.log`);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : vm.output;
    return { rc, seconds, log, vm };
  } finally {
    await vm.stop();
  }
}
