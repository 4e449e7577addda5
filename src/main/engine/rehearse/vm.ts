/**
 * Boots a machine in qemu (software emulation) and reads its serial console: the engine
 * of `lifeboat rehearse`, and the tests' way to boot what Lifeboat makes.
 *
 * The serial line is qemu's stdio, so a caller can wait for a line (`waitFor`) and type
 * into the rescue menu (`send`). `-no-reboot` turns a reboot or power-off into qemu
 * exiting; every VM is killed in `stop()`, and `stopAll()` is for `afterAll`. Never
 * `-enable-kvm`: on these machines it hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export interface VmOptions {
  /** an ISO attached as a CD (booted first) */
  cdrom?: string;
  /** a raw disk image attached as the first IDE disk (snapshot: never modified) */
  disk?: string;
  /** a raw disk image attached as a writable virtio disk (/dev/vda in the guest): a restore target */
  targetDisk?: string;
  /** more writable virtio disks after targetDisk (/dev/vdb, /dev/vdc… in the guest) */
  moreTargetDisks?: string[];
  /** a host folder shown to the guest as a read-only FAT disk (qemu's vvfat; FAT16, so up to ~500 MB) */
  readOnlyFolder?: string;
  /** direct kernel boot */
  kernel?: string;
  initrd?: string;
  append?: string;
  uefi?: boolean;
  memoryMiB?: number;
  /** a virtio network card on qemu's user network (DHCP at 10.0.2.2, guest 10.0.2.15) */
  nic?: boolean;
  /** network boot: qemu's built-in TFTP serves this folder and the firmware boots `bootfile` */
  tftp?: { dir: string; bootfile: string };
  /** a QEMU monitor on a unix socket, for `monitor()` (swapping the CD: `change ide1-cd0 FILE`) */
  monitor?: boolean;
}

const OVMF_PAIRS = [
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'],
  ['/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'],
];

export function ovmf(): { code: string; vars: string } | null {
  const pair = OVMF_PAIRS.find(([c, v]) => existsSync(c) && existsSync(v));
  return pair ? { code: pair[0], vars: pair[1] } : null;
}

export function hasQemu(): boolean {
  return ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'].some((p) => existsSync(p));
}

const running = new Set<Vm>();

export class Vm {
  output = '';
  readonly started = Date.now();
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly scratch: string;
  private listeners: (() => void)[] = [];
  private readonly monitorSocket: string | null;

  constructor(opts: VmOptions) {
    this.scratch = mkdtempSync(join(tmpdir(), 'lifeboat-vm-'));
    this.monitorSocket = opts.monitor ? join(this.scratch, 'monitor.sock') : null;
    const monitor = this.monitorSocket ? `unix:${this.monitorSocket},server=on,wait=off` : 'none';
    const args = ['-m', String(opts.memoryMiB ?? 1024), '-display', 'none', '-serial', 'stdio', '-monitor', monitor, '-no-reboot', '-smp', '1'];
    if (opts.uefi) {
      const fw = ovmf();
      if (!fw) throw new Error('OVMF firmware not found (install ovmf)');
      const vars = join(this.scratch, 'vars.fd');
      copyFileSync(fw.vars, vars);
      args.push('-drive', `if=pflash,format=raw,readonly=on,file=${fw.code}`, '-drive', `if=pflash,format=raw,file=${vars}`);
    }
    if (opts.cdrom) args.push('-drive', `file=${opts.cdrom},media=cdrom,readonly=on,if=ide,index=2`, '-boot', 'd');
    if (opts.disk) args.push('-drive', `file=${opts.disk},format=raw,if=ide,index=0,snapshot=on`);
    for (const d of [opts.targetDisk, ...(opts.moreTargetDisks ?? [])]) if (d) args.push('-drive', `file=${d},format=raw,if=virtio,cache=unsafe`);
    // After the targets, so they keep /dev/vda, /dev/vdb… as the restore was told.
    if (opts.readOnlyFolder) args.push('-drive', `file=fat:${opts.readOnlyFolder},format=raw,if=virtio,readonly=on`);
    if (opts.nic || opts.tftp) {
      const tftp = opts.tftp ? `,tftp=${opts.tftp.dir},bootfile=${opts.tftp.bootfile}` : '';
      args.push('-netdev', `user,id=n0${tftp}`, '-device', 'virtio-net-pci,netdev=n0');
      if (opts.tftp) args.push('-boot', 'n');
    } else args.push('-nic', 'none');
    if (opts.kernel) {
      args.push('-kernel', opts.kernel);
      if (opts.initrd) args.push('-initrd', opts.initrd);
      if (opts.append) args.push('-append', opts.append);
    }
    this.child = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // One decoder per stream: a UTF-8 character split across two reads must not turn into garbage.
    const reader = () => {
      const decoder = new StringDecoder('utf8');
      return (d: Buffer) => {
        this.output += decoder.write(d);
        for (const l of this.listeners.slice()) l();
      };
    };
    this.child.stdout!.on('data', reader());
    this.child.stderr!.on('data', reader());
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      running.delete(this);
      // A VM that powers itself off is often never stop()ped: its scratch folder (OVMF
      // variables, monitor socket) would stay in /tmp for good.
      rmSync(this.scratch, { recursive: true, force: true });
      for (const l of this.listeners.slice()) l();
      resolve(code);
    }));
    running.add(this);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the seconds since start when `pattern` appears; rejects on timeout or exit. */
  waitFor(pattern: string | RegExp, timeoutMs: number, from = 0): Promise<number> {
    const test = () => (typeof pattern === 'string' ? this.output.indexOf(pattern, from) >= 0 : pattern.test(this.output.slice(from)));
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (err) reject(err);
        else resolve((Date.now() - this.started) / 1000);
      };
      const check = () => {
        if (test()) done();
        else if (!this.alive) done(new Error(`qemu exited before “${pattern}”; console:\n${this.tail()}`));
      };
      const timer = setTimeout(() => done(new Error(`no “${pattern}” within ${timeoutMs / 1000} s; console:\n${this.tail()}`)), timeoutMs);
      this.listeners.push(check);
      check();
    });
  }

  /** Types text on the serial console. */
  send(text: string): void {
    this.child.stdin!.write(text);
  }

  /**
   * Runs one QEMU monitor command (the VM needs `monitor: true`) and resolves with what
   * the monitor printed after it, once it shows its prompt again.
   */
  monitor(command: string, timeoutMs = 10_000): Promise<string> {
    const path = this.monitorSocket;
    if (!path) return Promise.reject(new Error('this VM has no monitor (monitor: true)'));
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      let text = '';
      let sent = false;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`monitor: no answer to “${command}”: ${text}`));
      }, timeoutMs);
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('data', (d) => {
        text += d.toString('utf8');
        if (!text.endsWith('(qemu) ')) return;
        if (!sent) {
          sent = true;
          text = '';
          sock.write(command + '\n');
          return;
        }
        clearTimeout(timer);
        sock.end();
        // the monitor echoes the command line first
        resolve(text.replace(/\r/g, '').split('\n').slice(1, -1).join('\n'));
      });
    });
  }

  tail(chars = 3000): string {
    return this.output.slice(-chars);
  }

  async stop(): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((vm) => vm.stop()));
}
