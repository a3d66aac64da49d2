import { describe, expect, it } from 'vitest';
import { type ObserverSlot, observeQuery, type Statement, statementOf } from './query-observer.js';

/** A driver's query in both styles: a promise without a callback, the callback when one is given. */
function fakeQuery(fail: boolean) {
  return (text: string | { text: string; submit?: () => void }, _values?: unknown, callback?: (err: Error | null, r?: unknown) => void) => {
    const error = fail ? new Error('boom') : null;
    if (typeof callback === 'function') {
      setImmediate(() => callback(error, error ? undefined : { text }));
      return undefined;
    }
    return error ? Promise.reject(error) : Promise.resolve({ text });
  };
}

function recorder() {
  const seen: { statement: Statement; error?: unknown; settled: boolean }[] = [];
  const slot: ObserverSlot = {
    current: (statement) => {
      const entry: (typeof seen)[number] = { statement, settled: false };
      seen.push(entry);
      return (error) => {
        entry.error = error;
        entry.settled = true;
      };
    },
  };
  return { seen, slot };
}

describe('observing SQL statements at the driver', () => {
  it('when a statement runs promise-style, then the observer sees it start and settle, with the error when it fails', async () => {
    const { seen, slot } = recorder();
    await observeQuery(slot, fakeQuery(false))({ text: 'select * from "catalog"."products" where id = $1' }, [1]);
    await expect(observeQuery(slot, fakeQuery(true))('insert into "shop"."orders" values ($1)')).rejects.toThrow('boom');
    expect(seen.map((s) => [s.statement.operation, s.statement.collection, s.settled, (s.error as Error | undefined)?.message])).toEqual([
      ['SELECT', 'products', true, undefined],
      ['INSERT', 'orders', true, 'boom'],
    ]);
  });

  it('when a statement runs callback-style (the pg pool), then the callback still gets the result and the observer settles first', async () => {
    const { seen, slot } = recorder();
    const result = await new Promise((resolve) =>
      observeQuery(slot, fakeQuery(false))('update "identity"."users" set name = $1', ['x'], (_err, r) => {
        expect(seen[0]?.settled).toBe(true);
        resolve(r);
      }),
    );
    expect(result).toEqual({ text: 'update "identity"."users" set name = $1' });
    expect(seen[0]?.statement).toMatchObject({ operation: 'UPDATE', collection: 'users' });
  });

  it('when no observer is set or the query is a cursor, then the call passes through untouched', async () => {
    const { seen, slot } = recorder();
    const observer = slot.current;
    slot.current = undefined;
    await observeQuery(slot, fakeQuery(false))('select 1');
    slot.current = observer;
    await observeQuery(slot, fakeQuery(false))({ text: 'select 2', submit: () => {} });
    expect(seen).toEqual([]);
  });

  it('when statements have no table or open a transaction, then the operation still names them', () => {
    expect(statementOf('begin')).toMatchObject({ operation: 'BEGIN', collection: undefined });
    expect(statementOf('with "x" as (select 1) delete from "shop"."cart_items"')).toMatchObject({
      operation: 'WITH',
      collection: 'cart_items',
    });
  });
});
