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

/** What `body` gets: `leave`, the transaction it is in now, commit hooks and a way to roll back. */
export interface Phase<T> {
  leave: Leave;
  tx(): Db;
  /**
   * One statement that must commit with the last transaction, sent together with COMMIT without
   * waiting for its answer first. `statement` must issue exactly one statement at once (no awaits before it). If it fails, the transaction commits nothing and the
   * result is its error, as if it had failed inside.
   */
  withCommit(statement: (tx: Db) => Promise<unknown>): void;
  /** Run once the last transaction has committed. */
  afterCommit(hook: () => void): void;
  /** Return this from `body` to roll the transaction in progress back and resolve with `value`. */
  rollback(value: T): RolledBack<T>;
}

const ROLLED_BACK = Symbol('rolled back');

/** `body`'s answer when its transaction must not commit. */
export interface RolledBack<T> {
  readonly [ROLLED_BACK]: true;
  readonly value: T;
}

const isRolledBack = <T>(value: T | RolledBack<T>): value is RolledBack<T> => typeof value === 'object' && value !== null && ROLLED_BACK in value;

/** Carries a rolled-back answer out of the transaction callback (a throw is how the driver rolls back). */
class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

type Step<T> =
  | { kind: 'done'; value: T | RolledBack<T> }
  | { kind: 'error'; error: unknown }
  | { kind: 'leave'; committed: Deferred<void>; finished: Promise<void>; rebound: Deferred<void> };

/**
 * Runs `body` in a transaction bound to `tenantId` (`phase.tx()` is the current one). Calling `leave(work)` commits what `body` did so far, runs `work` while no connection is
 * held, then binds a new transaction and returns to `body`; the result comes once the last
 * transaction committed. A throw rolls back the transaction in progress only: earlier ones stay
 * committed. `leave` calls are taken one at a time.
 */
export async function withTenantPhases<T>(
  database: Database,
  tenantId: string,
  body: (phase: Phase<T>) => Promise<T | RolledBack<T>>,
  options?: TenantTxOptions,
): Promise<T> {
  let step = deferred<Step<T>>();
  let running = false;
  let waiting: Deferred<void> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let current: Db | undefined;
  const lastStatements: ((tx: Db) => Promise<unknown>)[] = [];
  let sent: Promise<unknown>[] = [];
  const committedHooks: (() => void)[] = [];
  const phase: Phase<T> = {
    leave: (work) => leave(work),
    tx: () => tx(),
    withCommit: (statement) => void lastStatements.push(statement),
    afterCommit: (hook) => void committedHooks.push(hook),
    rollback: (value) => ({ [ROLLED_BACK]: true, value }),
  };
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
          if (!running) {
            running = true;
            body(phase).then(
              (value) => step.resolve({ kind: 'done', value }),
              (error: unknown) => step.resolve({ kind: 'error', error }),
            );
          } else {
            waiting?.resolve();
          }
          const next = await step.promise;
          if (next.kind === 'error') throw next.error;
          if (next.kind === 'done') {
            if (isRolledBack(next.value)) throw new Rollback(next.value.value);
            sent = lastStatements.map((statement) => statement(bound));
            for (const pending of sent) pending.catch(() => undefined);
          }
          return next;
        },
        options,
      );
    } catch (error) {
      if (error instanceof Rollback) return error.value as T;
      // A transaction that could not begin while `body` waits in `leave`: `body` fails with it.
      waiting?.reject(error);
      throw error;
    }
    if (outcome.kind !== 'leave') {
      // A statement sent with COMMIT that failed made the database roll the transaction back.
      await Promise.all(sent);
      for (const hook of committedHooks) hook();
      return (outcome as { value: T }).value;
    }
    current = undefined;
    step = deferred();
    waiting = outcome.rebound;
    outcome.committed.resolve();
    await outcome.finished;
  }
}
