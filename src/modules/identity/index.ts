/**
 * The identity module: accounts, roles, sessions. Other modules use only what is exported
 * here: the module factory, the event names and payloads, and the user directory.
 */

import type { Follower } from '../../platform/bus/event-bus.js';
import { createFallbackStore } from '../../platform/cache/fallback-store.js';
import { createMemoryStore } from '../../platform/cache/memory-store.js';
import { publicUrl } from '../../platform/config.js';
import type { ModuleFactory, Platform } from '../../platform/platform.js';
import { createAdminService } from './admin-service.js';
import { createUserDirectory, type UserDirectory } from './directory.js';
import { IdentityEvents } from './events.js';
import { withLoginMetrics } from './login-metrics.js';
import { createLoginThrottle } from './login-throttle.js';
import { createIdentityRepo } from './repo.js';
import { identityRoutes } from './routes.js';
import { createIdentityService, SESSION_CHECK_TTL_MS } from './service.js';
import { createSessionMirror } from './session-mirror.js';
import { identitySettings } from './settings.js';

export type { UserDirectory } from './directory.js';
export {
  IdentityEventMap,
  IdentityEvents,
  type SessionChanged,
  type UserDeleted,
  type UserDisabled,
  type UserRegistered,
} from './events.js';

/** Which user ids are active accounts and their display names, for modules that invite, address or show users by id. */
export function createIdentityDirectory(platform: Pick<Platform, 'db'>): UserDirectory {
  return createUserDirectory(platform.db);
}

/** Plugs identity into the app: routes, the session gate for the access guard, and the first admin. */
export const identityModule: ModuleFactory = (platform) => {
  const config = identitySettings.read(platform.config);
  const log = platform.log.child({ module: 'identity' });
  const repo = createIdentityRepo(platform.db);
  // With Redis, a Redis outage must not fail every login: count in this process meanwhile.
  const throttleStore = platform.redis
    ? createFallbackStore(platform.cacheFor('identity'), createMemoryStore({ clock: platform.clock }), log, 'login throttle')
    : platform.cacheFor('identity');
  const identity = createIdentityService({
    repo,
    tokens: platform.tokens,
    passwords: platform.passwords,
    throttle: withLoginMetrics(createLoginThrottle(throttleStore, config.LOGIN_MAX_FAILURES), platform.metrics),
    marks: throttleStore,
    mailer: platform.mailer,
    relay: platform.relay,
    clock: platform.clock,
    log,
    refreshTtlMs: config.REFRESH_TOKEN_TTL,
    publicUrl: publicUrl(config),
  });
  const admin = createAdminService({ repo, identity, passwords: platform.passwords, relay: platform.relay, clock: platform.clock });
  let follower: Follower | undefined;
  return {
    name: 'identity',
    routes: async (app) => app.register(identityRoutes, { identity, admin, authRateLimit: config.AUTH_RATE_LIMIT_MAX }),
    sessionGate: (principal) => identity.isSessionLive(principal),
    async start() {
      // A change made through another identity instance bites here at once, not after this one's cache expires.
      const since = new Date(platform.clock.now().getTime() - SESSION_CHECK_TTL_MS);
      follower = platform.bus.follow(IdentityEvents.sessionChanged, { since }, (event) => identity.forgetSessions([event.payload.sid]));
      if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
        const outcome = await admin.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
        log.info({ email: config.ADMIN_EMAIL, outcome }, 'admin account from ADMIN_EMAIL');
      }
    },
    async stop() {
      await follower?.stop();
      await identity.drain();
    },
  };
};

/**
 * The session gate of a service without identity (commerce, realtime): a mirror of identity's
 * `session.changed` events, falling back to the shared database while it is not current. It
 * serves no routes.
 */
export const sessionMirrorModule: ModuleFactory = (platform) => {
  const { clock } = platform;
  const ttlMs = platform.config.ACCESS_TOKEN_TTL;
  const repo = createIdentityRepo(platform.db);
  let follower: Follower | undefined;
  const mirror = createSessionMirror({
    clock,
    ttlMs,
    // Before start nothing is mirrored yet: the database decides.
    isCurrent: () => follower?.current() ?? false,
    liveRole: (principal) => repo.liveSessionRole(principal.sid, principal.id, clock.now()),
  });
  return {
    name: 'session-mirror',
    routes: async () => {},
    sessionGate: (principal) => mirror.isLive(principal),
    async start() {
      // Every change that can matter: no token issued before now - TTL is still valid.
      const since = new Date(clock.now().getTime() - ttlMs);
      follower = platform.bus.follow(IdentityEvents.sessionChanged, { since }, (event) => mirror.apply(event.payload));
    },
    async stop() {
      await follower?.stop();
    },
  };
};
