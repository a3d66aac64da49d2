import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { createUserDirectory } from './directory.js';

describe('user directory', () => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    alice = await t.createUser({ name: 'Alice' });
    bob = await t.createUser({ name: 'Bob' });
  });
  afterAll(() => t.close());

  it('when thousands of ids are asked at once (a large room online), then the accounts among them are found, repeats and strangers ignored', async () => {
    const directory = createUserDirectory(t.platform.db);
    const strangers = Array.from({ length: 5_000 }, () => randomUUID());
    const asked = [...strangers.slice(0, 2_500), alice.id, bob.id, alice.id, ...strangers.slice(2_500)];
    expect(await directory.displayNames(asked)).toEqual(
      new Map([
        [alice.id, 'Alice'],
        [bob.id, 'Bob'],
      ]),
    );
    const admin = await t.admin();
    expect(
      (await t.request({ method: 'PATCH', url: `/api/v1/admin/users/${bob.id}`, token: admin.token, payload: { disabled: true } }))
        .statusCode,
    ).toBe(200);
    expect(await directory.activeUserIds(asked)).toEqual(new Set([alice.id]));
    expect(await directory.displayNames([])).toEqual(new Map());
  });
});
