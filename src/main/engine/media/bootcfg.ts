/**
 * Boot menus for the rescue media: isolinux (BIOS CD/disk, PXE) and GRUB (UEFI, USB, netboot).
 *
 * Every entry carries the console contract (`console=tty0 console=ttyS0,115200`) and the
 * `lifeboat.*` arguments; entry titles come from the `rescue` i18n namespace. An
 * unattended medium (`lifeboat.restore=auto`) does not wait in the menu at all.
 */
import type { Language } from '../../../shared/api';
import { fill, readAsset } from './assets';
import { rescueMessage } from './rescue-i18n';

export const CONSOLE_ARGS = 'console=tty0 console=ttyS0,115200';

export interface BootMenuOptions {
  lang: Language;
  /** extra kernel arguments (lifeboat.set=…, the user's --append) */
  append: string;
  /** seconds the menu waits; 0 boots the default entry at once */
  timeout: number;
  kernelPath: string;
  initrdPath: string;
}

interface Entry {
  label: string;
  title: string;
  args: string;
}

const other = (lang: Language): Language => (lang === 'fr' ? 'en' : 'fr');

export function isUnattended(append: string): boolean {
  return /(^|\s)lifeboat\.restore=auto(\s|$)/.test(append);
}

function entries(o: BootMenuOptions): Entry[] {
  const base = (lang: Language) => [CONSOLE_ARGS, 'quiet', `lifeboat.lang=${lang}`, o.append].filter(Boolean).join(' ');
  const list: Entry[] = [
    { label: 'lifeboat', title: rescueMessage(o.lang, 'boot.entry'), args: base(o.lang) },
    { label: `lifeboat-${other(o.lang)}`, title: rescueMessage(other(o.lang), 'boot.entryLang'), args: base(other(o.lang)) },
  ];
  // The unattended entry is only offered when asked for; a medium that restores by
  // itself must be a deliberate choice.
  if (isUnattended(o.append)) list[0].title = rescueMessage(o.lang, 'boot.entryAuto');
  return list;
}

export function renderIsolinuxCfg(o: BootMenuOptions): { cfg: string; display: string } {
  const list = entries(o);
  const cfg = fill(readAsset('isolinux.cfg.tpl'), {
    defaultLabel: list[0].label,
    prompt: o.timeout > 0 ? 1 : 0,
    timeoutTenths: Math.max(1, Math.round(o.timeout * 10)),
    entries: list
      .map((e) => `LABEL ${e.label}\n  KERNEL ${o.kernelPath}\n  INITRD ${o.initrdPath}\n  APPEND ${e.args}\n`)
      .join('\n'),
  });
  const display = [rescueMessage(o.lang, 'boot.title'), '', ...list.map((e) => `  ${e.label.padEnd(14)} ${e.title}`), ''].join('\r\n');
  return { cfg, display: display + '\r\n' };
}

export function renderGrubCfg(o: BootMenuOptions & { searchFile?: string }): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return fill(readAsset('grub.cfg.tpl'), {
    timeout: Math.max(0, Math.round(o.timeout)),
    search: o.searchFile ? `search --no-floppy --set=root --file ${o.searchFile}` : '',
    entries: entries(o)
      .map((e) => `menuentry ${quote(e.title)} {\n  linux ${o.kernelPath} ${e.args}\n  initrd ${o.initrdPath}\n}\n`)
      .join('\n'),
  });
}
