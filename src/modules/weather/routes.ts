/** HTTP routes of the weather module: validate -> service -> wire shape. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { problem } from '../../platform/http/route-helpers.js';
import * as S from './schema.js';
import type { WeatherService } from './service.js';
import { cacheControl, toCurrentWire, toForecastWire, toPlaceQuery } from './wire.js';

export interface WeatherRoutesOptions {
  weather: WeatherService;
  clock: Clock;
  /** Requests per minute per signed-in user, or per IP for anonymous callers, across both routes. */
  rateLimit: number;
}

// Ajv's number coercion accepts ' ', '0x10' and 'Infinity'; coordinates must be plain decimals.
const DECIMAL = /^-?\d{1,3}(\.\d{1,12})?$/;

async function refuseLooseNumbers(request: FastifyRequest) {
  const query = request.query as Record<string, unknown>;
  const errors = ['lat', 'lon']
    .filter((name) => typeof query[name] === 'string' && !DECIMAL.test(query[name] as string))
    .map((name) => ({ path: `/querystring/${name}`, message: 'must be a decimal number' }));
  if (errors.length) throw ValidationFailed(`${errors[0]?.path} ${errors[0]?.message}`, { errors });
}

export const weatherRoutes: FastifyPluginAsyncTypebox<WeatherRoutesOptions> = async (app, { weather, clock, rateLimit }) => {
  // One budget shared by both routes, keyed by the caller (request.user is set on public routes
  // when a valid token is sent; the access guard runs before this hook).
  const limit = app.rateLimit({
    max: rateLimit,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.user ? `weather:user:${request.user.id}` : `weather:ip:${request.ip}`),
  });
  const config = { access: 'public' as const };
  const tags = ['weather'];
  const failures = {
    400: problem('Invalid city or coordinates, or both/neither given'),
    404: problem('CITY_NOT_FOUND'),
    429: problem('Too many requests from this user or IP; see Retry-After'),
    502: problem('UPSTREAM_BAD_RESPONSE or UPSTREAM_FAILED, and nothing usable cached'),
    503: problem('UPSTREAM_UNAVAILABLE: provider paused (circuit open) or rate limiting us; see Retry-After'),
    504: problem('UPSTREAM_TIMEOUT, and nothing usable cached'),
  };

  app.get(
    '/weather/current',
    {
      config,
      onRequest: limit,
      preValidation: refuseLooseNumbers,
      schema: {
        tags,
        summary: 'Current weather for a city or coordinates (from Open-Meteo, cached)',
        querystring: S.CurrentQuery,
        response: { 200: S.CurrentWeather, ...failures },
      },
    },
    async (request, reply) => {
      const report = await weather.getReport(toPlaceQuery(request.query));
      reply.header('cache-control', cacheControl(report, clock.now().getTime()));
      return toCurrentWire(report);
    },
  );

  app.get(
    '/weather/forecast',
    {
      config,
      onRequest: limit,
      preValidation: refuseLooseNumbers,
      schema: {
        tags,
        summary: 'Daily forecast (min/max temperature, precipitation, max wind) for 1-7 days',
        querystring: S.ForecastQuery,
        response: { 200: S.Forecast, ...failures },
      },
    },
    async (request, reply) => {
      const report = await weather.getReport(toPlaceQuery(request.query));
      reply.header('cache-control', cacheControl(report, clock.now().getTime()));
      return toForecastWire(report, request.query.days, clock.now());
    },
  );
};
