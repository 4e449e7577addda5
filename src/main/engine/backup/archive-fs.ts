/**
 * Archives one filesystem: `tar --create | compressor | part splitter`, in one pass.
 *
 * The three run as one bash pipeline, joined by kernel pipes: no archive byte passes
 * through Node, and no stream handle is passed from one child to the next through Node
 * (the earlier design, each tool spawned by Node with the previous one's stdout as its
 * stdin, moved the bytes through socketpairs — slower than pipes — and hung in rare runs
 * under load). The splitter (part-split.ts) writes and hashes the parts; Node reads only tar's
 * member list and checkpoints (stderr), the parts' "<size> <sha256> <name>" lines and the
 * pipeline's exit statuses (stdout), and the compressor's and splitter's messages (fd 3).
 * tar's member list goes to a file (--index-file) that Node reads a few times a second:
 * one line per file written into a pipe woke Node 70,000 times for a system tree, which
 * cost 0.7 s of a 6 s run.
 *
 * The pipeline runs in its own process group: a cancel, a full destination or any failure
 * stops every process of it, and this returns only once they are all gone, so the caller
 * may remove the set folder without a late write landing in it.
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { LifeboatError } from '../../../shared/errors';
import type { Part } from '../../../shared/backup-set';
import { ToolError } from '../run';
import type { Chosen } from './compressors';
import { SPACE_MESSAGE } from './part-writer';
import { PART_LINE, partSplitArgs } from './part-split';
import { tarCreateArgs } from './tar-args';
import { unescapeTar } from '../tar-quoting';

/** 128 KiB records (blocking factor 256, not tar's default 20): 13× fewer writes by tar
 *  and reads by the compressor. Any tar reads them back (it finds the record size itself). */
const BLOCKING = 256;
/** tar's record size: checkpoints count records */
const RECORD = BLOCKING * 512;
/** a checkpoint every 128 records: progress every 16 MiB, 6–20 times a second from a disk or
 *  from memory. Each line wakes Node: every 4 MiB (75 a second from memory) cost the event
 *  loop 30 ms more per 1.5 GiB, beside an archive that keeps both cores busy. */
const CHECKPOINT_RECORDS = 128;
/** how often the member list is looked at for the file count and the current name */
const LIST_POLL_MS = 250;
/** the line the pipeline ends with on stdout: the exit statuses of tar, the compressor, the splitter */
const STATUS = '@lifeboat-status ';

/**
 * $1: how many tar arguments follow, then them; then how many compressor words (0 for
 * none), then them; the rest is the splitter's command line. Each tool gets its argv as an array,
 * never re-parsed by the shell. The statuses are taken right after the pipeline.
 */
const SCRIPT = `nt=$1; shift; tar_args=("\${@:1:nt}"); shift "$nt"
nc=$1; shift; comp=("\${@:1:nc}"); shift "$nc"
if [ "$nc" -gt 0 ]; then
  tar "\${tar_args[@]}" </dev/null | "\${comp[@]}" 2>&3 | "$@" 2>&3
  st="\${PIPESTATUS[0]} \${PIPESTATUS[1]} \${PIPESTATUS[2]}"
else
  tar "\${tar_args[@]}" </dev/null | "$@" 2>&3
  st="\${PIPESTATUS[0]} 0 \${PIPESTATUS[1]}"
fi
printf '${STATUS}%s\\n' "$st"`;

export interface ArchiveFsResult {
  bytesIn: number;
  files: number;
  parts: Part[];
  /** tar's own messages (files changed while read, sockets ignored) */
  tarWarnings: string[];
}

export interface ArchiveFsOptions {
  mount: string;
  excludeArgs: string[];
  compressor: Chosen;
  setDir: string;
  base: string;
  /** an incremental: the tar snapshot file (a copy of the base set's) that tar updates.
   *  A level-0 archive gets none: its snapshot is made by the metadata walk beside it
   *  (estimate.ts), so tar reads directories in disk order, not sorted by name. */
  snapshot?: string;
  split: number;
  partWidth: number;
  destLabel: string;
  signal: AbortSignal;
  onProgress: (bytesIn: number, files: number, current: string) => void;
}

/** Splits a stream into lines, keeping a partial last line for the next chunk. */
function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop()!;
    lines.forEach(onLine);
  };
}

/**
 * Follows tar's member list as it grows: how many files so far and the latest one.
 * stop() reads what is left, so the final count is exact. Lines are counted in the bytes
 * and only the latest one is decoded: splitting the whole list into strings cost the
 * event loop 77 ms per 71,000 members, beside an archive that keeps both cores busy.
 */
function memberCounter(path: string): { files: number; current: string; stop: () => Promise<void> } {
  const state = { files: 0, current: '', stop: async () => {} };
  let offset = 0;
  let busy: Promise<void> = Promise.resolve();
  const buf = Buffer.alloc(1 << 20);
  /** the last line's bytes so far, without its newline (copied: buf is read into again) */
  let partial = Buffer.alloc(0);
  const onChunk = (chunk: Buffer) => {
    const data = partial.length ? Buffer.concat([partial, chunk]) : chunk;
    let start = 0;
    let last = -1;
    let lastEnd = -1;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      // "./…": a member (tar escapes a newline inside a name, so a line is a name)
      if (data[start] === 0x2e && data[start + 1] === 0x2f) {
        state.files++;
        last = start;
        lastEnd = nl;
      }
      start = nl + 1;
    }
    // tar writes names escaped (octal for every byte outside ASCII): shown decoded
    if (last >= 0) state.current = unescapeTar(data.toString('latin1', last, lastEnd));
    partial = Buffer.from(data.subarray(start));
  };
  const readNew = async () => {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch {
      return; // tar has not made it yet
    }
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (!bytesRead) break;
        offset += bytesRead;
        onChunk(buf.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
  };
  const timer = setInterval(() => {
    busy = busy.then(readNew);
  }, LIST_POLL_MS);
  state.stop = async () => {
    clearInterval(timer);
    await (busy = busy.then(readNew));
  };
  return state;
}

/**
 * More parts than the width chosen up front (a guess from the filesystem's used space,
 * which a compressed or reflinked filesystem can exceed) got longer numbers: all parts
 * are renamed to the widest, so that `cat <base>.*` still takes them in order.
 */
async function evenWidths(o: ArchiveFsOptions, parts: Part[]): Promise<void> {
  const width = String(parts.length - 1).length;
  if (width <= o.partWidth) return;
  for (const [i, p] of parts.entries()) {
    const name = `${o.base}.${String(i).padStart(width, '0')}`;
    if (name === p.name) continue;
    await rename(join(o.setDir, p.name), join(o.setDir, name));
    p.name = name;
  }
}

/** Resolves once no process of the group is left (bounded: zombies may linger unreaped). */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function archiveFilesystem(o: ArchiveFsOptions): Promise<ArchiveFsResult> {
  const listFile = join(o.setDir, `${o.base}.members`);
  const tarArgs = [
    `--blocking-factor=${BLOCKING}`,
    `--checkpoint=${CHECKPOINT_RECORDS}`,
    '--checkpoint-action=echo=#%u',
    `--index-file=${listFile}`,
    ...(await tarCreateArgs(o.mount, o.excludeArgs, '-', o.snapshot)),
  ];
  const comp = o.compressor.program ? [o.compressor.program, ...o.compressor.args] : [];
  const splitter = [process.execPath, ...partSplitArgs(o.split, o.partWidth, `${o.base}.`)];
  if (o.signal.aborted) throw new LifeboatError('cancelled');

  const sub = execa('bash', ['-c', SCRIPT, 'lifeboat-archive', String(tarArgs.length), ...tarArgs, String(comp.length), ...comp, ...splitter], {
    reject: false,
    buffer: false,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    cwd: o.setDir,
    // the splitter is this very Node; inside the Electron app, the binary run as Node
    env: { LC_ALL: 'C', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) },
    detached: true,
  });
  const pgid = sub.pid;
  let killed = false;
  const kill = () => {
    if (killed || !pgid) return;
    killed = true;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  o.signal.addEventListener('abort', kill, { once: true });

  let bytesIn = 0;
  const members = memberCounter(listFile);
  const messages: string[] = [];
  sub.stderr!.on(
    'data',
    lineReader((line) => {
      if (line.startsWith('tar: #')) {
        // %u is the number of records written so far
        bytesIn = Number(line.slice(6)) * RECORD;
        o.onProgress(bytesIn, members.files, members.current);
      } else if (line.startsWith('Total bytes written: ')) {
        bytesIn = parseInt(line.slice(21), 10);
      } else if (line) messages.push(line);
    }),
  );
  const parts: Part[] = [];
  const status: { codes: number[] | null } = { codes: null };
  let bad = '';
  sub.stdout!.on(
    'data',
    lineReader((line) => {
      const m = PART_LINE.exec(line);
      if (m) parts.push({ name: m[3]!, size: Number(m[1]), sha256: m[2]! });
      else if (line.startsWith(STATUS)) status.codes = line.slice(STATUS.length).split(' ').map(Number);
      else if (line) bad ||= line;
    }),
  );
  let toolErr = '';
  let full = false;
  sub.stdio[3]!.on('data', (c: Buffer) => {
    toolErr = (toolErr + c.toString()).slice(-4000);
    // a full destination stops everything now, not when the part would have ended
    if (!full && SPACE_MESSAGE.test(toolErr)) {
      full = true;
      kill();
    }
  });

  let res;
  try {
    res = await sub;
  } finally {
    o.signal.removeEventListener('abort', kill);
    await members.stop();
    await rm(listFile, { force: true });
  }
  o.onProgress(bytesIn, members.files, members.current);
  // a killed bash leaves its pipeline running: stop and wait for all of it
  if (killed || res.exitCode !== 0 || !status.codes) {
    kill();
    if (pgid) await groupGone(pgid);
  }
  if (full) throw new LifeboatError('dest-full', { path: o.destLabel });
  if (o.signal.aborted) throw new LifeboatError('cancelled');
  const st = status.codes;
  if (!st || st.length !== 3 || st.some((n) => !Number.isInteger(n))) {
    throw new ToolError('bash', ['-c', 'tar | compress | split'], res.exitCode ?? -1, `${toolErr}\n${messages.join('\n')}`.trim(), res.signal ?? undefined);
  }
  const [tarCode, compCode, splitCode] = st as [number, number, number];
  // The first stage that failed is the cause; the stages before it then die of a broken
  // pipe (141), so the splitter is looked at first, then the compressor, then tar.
  if (splitCode !== 0 || bad) throw new ToolError('lifeboat-split', [String(o.split), String(o.partWidth), `${o.base}.`], splitCode, toolErr || bad);
  if (compCode !== 0) throw new ToolError(o.compressor.program!, o.compressor.args, compCode, toolErr);
  // tar exit 1: some files changed while being read — the archive is still whole
  if (tarCode !== 0 && tarCode !== 1) throw new ToolError('tar', tarArgs, tarCode, messages.join('\n'));

  parts.forEach((p, i) => {
    if (p.name !== `${o.base}.${String(i).padStart(o.partWidth, '0')}`) throw new LifeboatError('internal', { detail: `the splitter wrote ${p.name} as part ${i}` });
  });
  // the splitter writes a .000 even for an empty stream: a set without it is not whole
  if (!parts.length) throw new LifeboatError('internal', { detail: 'the splitter reported no part' });
  await evenWidths(o, parts);
  return { bytesIn, files: members.files, parts, tarWarnings: messages };
}
