/**
 * Watching every statement the database runs, for the query-duration metric and SQL spans,
 * at the driver: node-postgres clients of the pool, or the PGlite instance and its
 * transactions. Nothing is wrapped per call while no observer is set (metrics and tracing off).
 */

/** Called when a statement starts; the function it returns when it settled. */
export type QueryObserver = (statement: Statement) => (error?: unknown) => void;

/** What a statement is, read from its SQL text once per distinct text. */
export interface Statement {
  text: string;
  /** SELECT, INSERT, UPDATE, DELETE, WITH, BEGIN, COMMIT, ... */
  operation: string;
  /** The first table named after FROM / INTO / UPDATE (no schema), when there is one. */
  collection: string | undefined;
}

const TABLE = /\b(?:from|into|update)\s+(?:"?\w+"?\.)?"?(\w+)"?/i;
const known = new Map<string, Statement>();

export function statementOf(text: string): Statement {
  let statement = known.get(text);
  if (statement) return statement;
  const operation = (/^\s*(\w+)/.exec(text)?.[1] ?? 'unknown').toUpperCase();
  statement = { text, operation, collection: TABLE.exec(text)?.[1] };
  // Drizzle writes a few hundred distinct texts; a bound keeps a stream of raw SQL from growing it.
  if (known.size < 2000) known.set(text, statement);
  return statement;
}

/** A mutable slot the wrapped drivers read on each call, so an observer can be set after the database opened. */
export interface ObserverSlot {
  current: QueryObserver | undefined;
}

type Callback = (err: Error | null, result?: unknown) => void;

/**
 * Wraps a driver's `query(textOrConfig, values?, callback?)`: promise-style (drizzle) and
 * callback-style (pg's pool) calls are both seen; anything else (cursors) passes through.
 */
export function observeQuery<F extends (...args: never[]) => unknown>(slot: ObserverSlot, original: F): F {
  const query = original as unknown as (...args: unknown[]) => unknown;
  return function observed(this: unknown, ...args: unknown[]) {
    const observer = slot.current;
    const first = args[0] as string | { text?: string; submit?: unknown } | undefined;
    const text = typeof first === 'string' ? first : first?.text;
    if (!observer || text === undefined || (typeof first === 'object' && typeof first.submit === 'function')) {
      return query.apply(this, args);
    }
    const done = observer(statementOf(text));
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: Error | null, result?: unknown) => {
        done(err ?? undefined);
        (last as Callback)(err, result);
      };
      return query.apply(this, args);
    }
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (err) {
      done(err);
      throw err;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => done(),
        (err: unknown) => done(err),
      );
    } else done();
    return result;
  } as unknown as F;
}
