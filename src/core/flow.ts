/**
 * How the core runs over a synchronous store (SQLite) or an asynchronous one (PostgreSQL) with its
 * rules written once: the core's methods are generator functions that `yield*` where async code
 * would `await` (see service/core.ts for why). A store method returns a value or a promise of it.
 */
export type MaybePromise<T> = T | Promise<T>;

/** A core operation in progress: it yields the promises it waits for and returns its result. */
export type Flow<T> = Generator<Promise<unknown>, T, unknown>;

export const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** The core's `await`: `const user = yield* q(store.getUser(id))`. A plain value passes through without yielding. */
export function* q<T>(v: MaybePromise<T>): Flow<T> {
  return isPromise(v) ? ((yield v) as T) : v;
}

/**
 * Runs a flow over a synchronous store: one step, which must finish it. A flow that waits for a
 * promise here is a bug (an async store behind a sync runner), never silently awaited.
 */
export function runSync<T>(flow: Flow<T>): T {
  const step = flow.next();
  if (!step.done) {
    flow.return(undefined as T);
    throw new Error('runSync: the flow waited for a promise; a synchronous store must not return one');
  }
  return step.value;
}

/** Runs a flow over an asynchronous store: awaits each promise it yields and resumes it with the result (or the error). */
export async function runAsync<T>(flow: Flow<T>): Promise<T> {
  let step = flow.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await step.value;
    } catch (e) {
      step = flow.throw(e);
      continue;
    }
    step = flow.next(value);
  }
  return step.value;
}
