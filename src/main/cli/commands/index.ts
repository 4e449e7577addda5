/**
 * The list of CLI commands. Each module exports a `register` function; the order
 * here is the order of `lifeboat --help`.
 */
import type { Command } from 'commander';
import type { CliIo } from '../output';
import { registerMedia } from './media';
import { registerDoctor } from './doctor';
import { registerInventory } from './inventory';
import { registerBackup } from './backup';
import { registerVerify } from './verify';
import { registerFlash } from './flash';
import { registerDrives } from './drives';
import { registerRestore } from './restore';
import { registerCompare } from './compare';
import { registerFiles } from './files';
import { registerRehearse } from './rehearse';

export type RegisterCommand = (
  program: Command,
  io: CliIo,
  signal: AbortSignal,
  setExitCode: (code: number) => void,
) => void;

export const COMMANDS: RegisterCommand[] = [registerMedia, registerDoctor, registerDrives, registerFlash, registerInventory, registerBackup, registerVerify, registerRestore, registerCompare, registerFiles, registerRehearse];
