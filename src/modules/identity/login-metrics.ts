/**
 * Login failures and lockouts as metrics, counted where the throttle sees them: a wrong email
 * or password is recorded as a failure, an attempt while the pair or the address is locked is
 * refused before any password is checked. Unchanged throttle when metrics are off.
 */
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { LoginThrottle } from './login-throttle.js';

/** The throttle, counting failures and locked-out attempts as it sees them. */
export function withLoginMetrics(throttle: LoginThrottle, metrics: Metrics): LoginThrottle {
  if (!metrics.enabled) return throttle;
  const failures = metrics.counter('zaplecze_identity_login_failures_total', 'Logins refused for a wrong email or password.');
  const locked = metrics.counter(
    'zaplecze_identity_login_locked_total',
    'Login attempts refused because the address is locked out after failures.',
  );
  return {
    async retryAfterMs(email, ip) {
      const wait = await throttle.retryAfterMs(email, ip);
      if (wait > 0) locked.inc();
      return wait;
    },
    async recordFailure(email, ip) {
      failures.inc();
      await throttle.recordFailure(email, ip);
    },
    recordSuccess: (email, ip) => throttle.recordSuccess(email, ip),
  };
}
