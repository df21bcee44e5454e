import type { Database, Db, TenantTxOptions } from './client';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Commits the transaction so far, runs `work` holding no connection, and resumes in a new transaction. */
export type Leave = <R>(work: () => Promise<R>) => Promise<R>;

/** What `body` gets: `leave`, and the transaction it is in now. */
export interface Phase {
  leave: Leave;
  tx(): Db;
}

type Step<T> =
  | { kind: 'done'; value: T }
  | { kind: 'error'; error: unknown }
  | { kind: 'leave'; committed: Deferred<void>; finished: Promise<void>; rebound: Deferred<void> };

/**
 * Runs `body` in a transaction bound to `tenantId`, handing each transaction to `bind` before `body`
 * uses it. Calling `leave(work)` commits what `body` did so far, runs `work` while no connection is
 * held, then binds a new transaction and returns to `body`; the result comes once the last
 * transaction committed. A throw rolls back the transaction in progress only: earlier ones stay
 * committed. `leave` calls are taken one at a time.
 */
export async function withTenantPhases<T>(
  database: Database,
  tenantId: string,
  bind: (tx: Db) => void,
  body: (phase: Phase) => Promise<T>,
  options?: TenantTxOptions,
): Promise<T> {
  let step = deferred<Step<T>>();
  let running = false;
  let waiting: Deferred<void> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let current: Db | undefined;
  const tx = (): Db => {
    if (!current) throw new Error('withTenantPhases: no transaction is bound');
    return current;
  };

  const leaveOnce = async <R>(work: () => Promise<R>): Promise<R> => {
    const committed = deferred<void>();
    const finished = deferred<void>();
    const rebound = deferred<void>();
    step.resolve({ kind: 'leave', committed, finished: finished.promise, rebound });
    await committed.promise;
    try {
      return await work();
    } finally {
      finished.resolve();
      await rebound.promise;
    }
  };
  const leave: Leave = (work) => {
    const turn = queue.then(() => leaveOnce(work));
    queue = turn.catch(() => undefined);
    return turn;
  };

  for (;;) {
    let outcome: Step<T>;
    try {
      outcome = await database.withTenant(
        tenantId,
        async (bound) => {
          current = bound;
          bind(bound);
          if (!running) {
            running = true;
            body({ leave, tx }).then(
              (value) => step.resolve({ kind: 'done', value }),
              (error: unknown) => step.resolve({ kind: 'error', error }),
            );
          } else {
            waiting?.resolve();
          }
          const next = await step.promise;
          if (next.kind === 'error') throw next.error;
          return next;
        },
        options,
      );
    } catch (error) {
      // A transaction that could not begin while `body` waits in `leave`: `body` fails with it.
      waiting?.reject(error);
      throw error;
    }
    if (outcome.kind !== 'leave') return (outcome as { value: T }).value;
    current = undefined;
    step = deferred();
    waiting = outcome.rebound;
    outcome.committed.resolve();
    await outcome.finished;
  }
}
