/**
 * The session gate of services that do not run identity: an in-memory mirror of identity's
 * `session.changed` events, followed from now minus the access-token TTL. A session with no
 * entry is live; an entry decides otherwise (role null: ended; another role: the token's role
 * is stale). Entries go after the access-token TTL, since no token outlives it. While the
 * follower is not current (NATS down, catching up), the database check decides instead.
 */
import type { Principal, Role } from '../../platform/auth/access-tokens.js';
import type { Clock } from '../../platform/clock.js';
import type { SessionChanged } from './events.js';

export interface SessionMirrorDeps {
  clock: Clock;
  /** How long an entry is kept: the access-token TTL. */
  ttlMs: number;
  /** Whether the mirror has every event up to about now (the follower's `current`). */
  isCurrent(): boolean;
  /** The database's answer: the session's role when it is live and its user active, else undefined. */
  liveRole(principal: Principal): Promise<Role | undefined>;
}

/** How often expired entries are swept out (they are ignored as soon as they expire). */
const SWEEP_INTERVAL_MS = 60_000;

export type SessionMirror = ReturnType<typeof createSessionMirror>;

export function createSessionMirror(deps: SessionMirrorDeps) {
  const { clock, ttlMs } = deps;
  const entries = new Map<string, { role: Role | null; until: number }>();
  let sweepAt = clock.now().getTime() + SWEEP_INTERVAL_MS;

  function sweep(now: number) {
    if (now < sweepAt) return;
    sweepAt = now + SWEEP_INTERVAL_MS;
    for (const [sid, entry] of entries) if (entry.until <= now) entries.delete(sid);
  }

  return {
    /** Takes one session.changed in (events of one session arrive in order: the last one wins). */
    apply(change: SessionChanged) {
      const now = clock.now().getTime();
      sweep(now);
      entries.set(change.sid, { role: change.role, until: now + ttlMs });
    },

    /** The gate: whether the principal's token may still be used. */
    async isLive(principal: Principal): Promise<boolean> {
      if (!deps.isCurrent()) return (await deps.liveRole(principal)) === principal.role;
      const now = clock.now().getTime();
      sweep(now);
      const entry = entries.get(principal.sid);
      if (!entry || entry.until <= now) return true;
      return entry.role === principal.role;
    },

    /** Entries held (expired ones until the next sweep), for tests and metrics. */
    size: () => entries.size,
  };
}
