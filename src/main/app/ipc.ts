/**
 * The IPC channels between the preload bridge and the Electron main. Two channels
 * only: one for calls (validated by the same shared schemas as the browser host) and
 * one for pushed events, so the contract in `src/shared/api.ts` stays the only list.
 */
export const INVOKE_CHANNEL = 'lifeboat:invoke';
export const EVENT_CHANNEL = 'lifeboat:event';

/** What `invoke` resolves to: errors travel as data, because Electron flattens thrown errors to a string. */
export type InvokeReply = { ok: true; result: unknown } | { ok: false; error: import('../../shared/errors').ErrorInfo };
