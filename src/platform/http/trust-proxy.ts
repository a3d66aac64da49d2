/** Fastify's `trustProxy` from the TRUST_PROXY setting, with a warning for the settings that do not do what they seem to. */
import type { Logger } from 'pino';

/**
 * The proxies' addresses or CIDRs are the one safe form: only a hop from them is believed.
 * `true` believes every X-Forwarded-For hop, so any client can claim any address and step
 * around per-address limits (rate limits, login locks). A hop count is ignored by Fastify
 * 5.12 (it fails closed: every request gets the proxy's address, so all clients share one
 * budget and one login lock). Both still start, with a warning.
 */
export function trustProxyOption(setting: boolean | number | string, log: Pick<Logger, 'warn'>): boolean | number | string {
  if (setting === true) {
    log.warn(
      { setting: 'TRUST_PROXY' },
      'TRUST_PROXY=true trusts any X-Forwarded-For, so clients can pick their own address and dodge rate limits and login locks; ' +
        'set the proxy addresses or CIDRs instead (e.g. TRUST_PROXY=10.0.0.0/8)',
    );
  } else if (typeof setting === 'number') {
    log.warn(
      { setting: 'TRUST_PROXY' },
      `TRUST_PROXY=${setting} is a hop count, which Fastify ignores (it fails closed): every request gets the proxy's address, ` +
        'so all clients share its rate limits and login locks; set the proxy addresses or CIDRs instead',
    );
  }
  return setting;
}
