import { describe, expect, it } from 'vitest';
import { loadConfig, platformSettings } from '../config.js';
import { createPasswordHasher, OWASP_HASH_COST } from './passwords.js';

describe('password hashing', () => {
  it('when no cost is configured, then hashes use argon2id at the OWASP baseline', async () => {
    const config = loadConfig({}, [platformSettings]);
    expect({ memoryKib: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_TIME_COST }).toEqual(OWASP_HASH_COST);
    const hasher = createPasswordHasher({ concurrency: 1, cost: OWASP_HASH_COST });
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(stored, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(stored, 'wrong horse battery')).toBe(false);
  });

  it('when a lower cost is configured, then new hashes carry it', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, cost: { memoryKib: 64, timeCost: 1 } });
    expect(await hasher.hash('correct horse battery')).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
  });

  it('when the cost changes, then hashes made at the old cost still verify', async () => {
    const stored = await createPasswordHasher({ concurrency: 1, cost: { memoryKib: 64, timeCost: 1 } }).hash('old password');
    const hasher = createPasswordHasher({ concurrency: 1, cost: OWASP_HASH_COST });
    expect(await hasher.verify(stored, 'old password')).toBe(true);
    expect(await hasher.verify(stored, 'other password')).toBe(false);
  });

  it('when the account is unknown (no stored hash), then verify answers false', async () => {
    expect(await createPasswordHasher({ concurrency: 1 }).verify(null, 'anything')).toBe(false);
  });

  it('when a stored hash is malformed, then verify answers false instead of throwing', async () => {
    expect(await createPasswordHasher({ concurrency: 1 }).verify('not-a-hash', 'anything')).toBe(false);
  });

  it('when a cost setting is out of range, then the configuration is refused', () => {
    expect(() => loadConfig({ PASSWORD_HASH_MEMORY_KIB: '4' }, [platformSettings])).toThrow(/PASSWORD_HASH_MEMORY_KIB/);
    expect(() => loadConfig({ PASSWORD_HASH_TIME_COST: '0' }, [platformSettings])).toThrow(/PASSWORD_HASH_TIME_COST/);
  });
});
