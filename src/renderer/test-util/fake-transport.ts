/**
 * A fake of the host for store tests: answers requests from a table, records every
 * call, and lets the test push events as the host would. Not a test file itself, so
 * the stores' tests share it instead of each keeping a copy.
 */
import type { EventName, Events, Method, RequestOf, Responses, Transport } from '../../shared/api';

/** The answer to each method a test expects; any other call fails the test. */
export type Answers = Partial<{ [M in Method]: (req: RequestOf<M>) => Responses[M] | Promise<Responses[M]> }>;

/** A transport answering from a table, recording calls, and letting the test push events. */
export function fakeTransport(answers: Answers) {
  const calls: { method: Method; req: unknown }[] = [];
  const listeners = new Map<EventName, ((p: unknown) => void)[]>();
  const transport: Transport = {
    async invoke(method, req) {
      calls.push({ method, req });
      const fn = answers[method] as ((r: unknown) => unknown) | undefined;
      if (!fn) throw new Error(`unexpected call ${method}`);
      return fn(req) as never;
    },
    on(event, listener) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener as (p: unknown) => void]);
      return () => undefined;
    },
  };
  const emit = <E extends EventName>(event: E, payload: Events[E]) => listeners.get(event)?.forEach((l) => l(payload));
  return { transport, calls, emit };
}
