/**
 * Typed errors shared by every side.
 *
 * An error crossing a process boundary (helper → main → renderer, engine → CLI) is
 * carried as a plain `ErrorInfo` object: a stable `code` (which is also the i18n key
 * `errors.<code>`), interpolation `params`, and the `kind` that decides the CLI exit
 * code. The English `message` is only for logs; the UI and CLI translate `code`.
 */

/** How an error ends a CLI run: 1 failure while working, 2 refused, 130 cancelled. */
export type ErrorKind = 'failure' | 'refused' | 'cancelled';

export const EXIT_CODES: Record<ErrorKind | 'ok', number> = {
  ok: 0,
  failure: 1,
  refused: 2,
  cancelled: 130,
};

/**
 * Every error code the product can report, with its kind.
 *
 * Adding a code means adding `errors.<code>` to both locale files; a test checks it.
 */
export const ERROR_CODES = {
  // generic
  internal: 'failure',
  cancelled: 'cancelled',
  'invalid-request': 'refused',
  'request-too-large': 'refused',
  'unknown-method': 'refused',
  'not-confirmed': 'refused',
  'tool-missing': 'failure',
  'tool-failed': 'failure',
  // privileged helper
  'helper-died': 'failure',
  'helper-elevation-cancelled': 'cancelled',
  'helper-no-polkit-agent': 'failure',
  'helper-start-failed': 'failure',
  // images
  'image-missing': 'refused',
  'image-unreadable': 'refused',
  'image-unknown-format': 'refused',
  'image-damaged': 'refused',
  'image-zip-not-single': 'refused',
  'bmap-invalid': 'refused',
  // drives and targets
  'target-missing': 'refused',
  'target-system': 'refused',
  'target-too-small': 'refused',
  'target-is-source': 'refused',
  'target-read-only': 'refused',
  'target-not-block-device': 'refused',
  'target-mounted': 'refused',
  'target-duplicate': 'refused',
  'target-loop-not-allowed': 'refused',
  'target-is-partition': 'refused',
  'target-vanished': 'failure',
  'write-failed': 'failure',
  'verify-mismatch': 'failure',
  // backup sets
  'dest-not-empty': 'refused',
  'dest-full': 'failure',
  'dest-read-only': 'refused',
  'dest-inside-set': 'refused',
  'base-not-beside': 'refused',
  'set-invalid': 'refused',
  'set-part-missing': 'refused',
  'set-part-corrupt': 'refused',
  'set-part-size': 'refused',
  'set-raw-length': 'refused',
  'root-invalid': 'refused',
  'path-escape': 'refused',
  'set-path-missing': 'refused',
  // network destinations (NFS exports, SMB shares): all found before anything is written
  'net-dest-invalid': 'refused',
  'net-unreachable': 'refused',
  'net-auth-refused': 'refused',
  'net-share-missing': 'refused',
  'net-tools-missing': 'refused',
  'net-fs-unsupported': 'refused',
  'net-mount-failed': 'failure',
  'net-credentials-needed': 'refused',
  'net-credentials-insecure': 'refused',
  'net-credentials-invalid': 'refused',
  // profiles (saved wizard choices)
  'profile-missing': 'refused',
  'profile-not-profile': 'refused',
  'profile-version': 'refused',
  'profile-invalid': 'refused',
  'profile-write-failed': 'failure',
  // rescue media
  'kernel-missing': 'refused',
  'modules-missing': 'refused',
  'media-part-too-big': 'refused',
  'media-set-incremental': 'refused',
  'media-disc-too-small': 'refused',
  'media-data-fs-needs-usb': 'refused',
  // rehearsal
  'rehearse-needs-qemu': 'refused',
  'rehearse-needs-ovmf': 'refused',
  'rehearse-restore-failed': 'failure',
  'rehearse-boot-failed': 'failure',
  // restore
  'restore-disk-unmapped': 'refused',
  'restore-disk-unknown': 'refused',
  'restore-size-too-small': 'refused',
  'restore-size-unknown': 'refused',
  'restore-size-locked': 'refused',
  'restore-lvm-in-use': 'refused',
  'restore-md-in-use': 'refused',
  'restore-md-unsupported': 'refused',
  'restore-md-member-unmapped': 'refused',
  'restore-step-failed': 'failure',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Interpolation values for an error's message; strings and numbers only so they serialise. */
export type ErrorParams = Record<string, string | number>;

/** The serialisable form of an error, as it crosses process boundaries. */
export interface ErrorInfo {
  code: ErrorCode;
  params: ErrorParams;
  /** English text for logs only. */
  message: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function errorKind(code: ErrorCode): ErrorKind {
  return ERROR_CODES[code];
}

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[errorKind(code)];
}

/** An error the product knows how to explain. */
export class LifeboatError extends Error {
  readonly code: ErrorCode;
  readonly params: ErrorParams;

  constructor(code: ErrorCode, params: ErrorParams = {}, message?: string, options?: { cause?: unknown }) {
    super(message ?? `${code}${Object.keys(params).length ? ' ' + JSON.stringify(params) : ''}`, options);
    this.name = 'LifeboatError';
    this.code = code;
    this.params = params;
  }

  get kind(): ErrorKind {
    return errorKind(this.code);
  }

  toInfo(): ErrorInfo {
    return { code: this.code, params: this.params, message: this.message };
  }

  static fromInfo(info: ErrorInfo): LifeboatError {
    return new LifeboatError(info.code, info.params, info.message);
  }
}

/** Turns anything thrown into an `ErrorInfo`, keeping the real cause in the message (never swallow it). */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof LifeboatError) return err.toInfo();
  if (err && typeof err === 'object' && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    const e = err as { code: ErrorCode; params?: ErrorParams; message?: string };
    return { code: e.code, params: e.params ?? {}, message: e.message ?? e.code };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', params: { detail: message }, message };
}
