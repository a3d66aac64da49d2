/** The weather module's coded errors. Upstream failures never leak the upstream's own body or URL. */
import { defineError } from '../../platform/http/errors.js';

export const CityNotFound = defineError('CITY_NOT_FOUND', 404, 'City not found');
/** Open-Meteo answered something we cannot use (not JSON, wrong shape, a 4xx to our request). */
export const UpstreamBadResponse = defineError('UPSTREAM_BAD_RESPONSE', 502, 'Bad answer from the weather provider');
/** Open-Meteo failed (5xx, connection refused) on every attempt and nothing usable was cached. */
export const UpstreamFailed = defineError('UPSTREAM_FAILED', 502, 'The weather provider failed');
/** Open-Meteo did not answer in time on any attempt and nothing usable was cached. */
export const UpstreamTimeout = defineError('UPSTREAM_TIMEOUT', 504, 'The weather provider did not answer in time');
/** The circuit is open or Open-Meteo asked us to back off; comes with Retry-After. */
export const UpstreamUnavailable = defineError('UPSTREAM_UNAVAILABLE', 503, 'The weather provider is unavailable');
