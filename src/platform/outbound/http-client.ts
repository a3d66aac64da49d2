/**
 * The resilient outbound HTTP client every integration uses (weather, payments, ...): Node's
 * fetch with a timeout per attempt, retries with jittered exponential backoff for failures
 * worth retrying, a circuit breaker, a bounded response body, and a decoder that refuses any
 * body not matching the expected schema. Every failure surfaces as an OutboundError.
 *
 * Requests go only to the configured `baseUrl`: callers add encoded path segments and a query
 * built with URLSearchParams, never a URL or a host, and redirects are refused, so no user
 * input can point the server at another host.
 */
import type { Clock } from '../clock.js';
import { injectTraceparent, inSpan, SpanKind } from '../tracing/spans.js';
import { type CircuitBreaker, CircuitOpenError, createCircuitBreaker } from './circuit-breaker.js';
import { isRetryable, isUpstreamFault, OutboundError, parseRetryAfter } from './outbound-error.js';
import { type RetryPolicy, retryWithBackoff } from './retry.js';

/** The methods retried without an explicit `idempotent: true` (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** How long the breaker stays open for an upstream's Retry-After at most, whatever it asked. */
const MAX_BACKOFF_HONOURED_MS = 15 * 60_000;

type QueryValue = string | number | boolean | undefined;

/** One request, relative to the client's base URL. */
export interface OutboundRequest<T> {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path segments appended to the base URL's path, each percent-encoded (so '/' or '..' cannot escape). */
  path?: readonly string[];
  query?: Record<string, QueryValue> | URLSearchParams;
  /** A JSON body. */
  json?: unknown;
  /** A form-encoded body (application/x-www-form-urlencoded). */
  form?: URLSearchParams;
  headers?: Record<string, string>;
  /**
   * Whether retrying cannot do the work twice. Defaults to true for GET/HEAD/PUT/DELETE; set it
   * for a POST only when the request carries an idempotency key the upstream honours.
   */
  idempotent?: boolean;
  /** Turns the parsed JSON body (null when empty) into T; throw to refuse it. See compileDecoder. */
  decode(body: unknown): T;
}

/** A decoded 2xx answer. */
export interface OutboundResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A client bound to one upstream endpoint. */
export interface OutboundClient {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  /** Sends `request`; resolves with a decoded 2xx answer or rejects with an OutboundError. */
  request<T>(request: OutboundRequest<T>): Promise<OutboundResponse<T>>;
}

export interface OutboundClientOptions {
  /** Names the upstream in logs and errors. */
  name: string;
  /** From config only. Requests go to this URL plus encoded path segments and a query. */
  baseUrl: string;
  /** Per attempt, covering connect, headers and body. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** The breaker guarding this upstream (it may be shared by clients of one upstream). */
  breaker: CircuitBreaker;
  /** Sent with every request (e.g. User-Agent, Authorization). */
  headers?: Record<string, string>;
  /** Largest accepted response body; larger ones fail as bad-response. Default 1 MiB. */
  maxBodyBytes?: number;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  /** Injectable for tests. */
  fetch?: typeof fetch;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  /** For Retry-After dates. Default: Date.now. */
  now?(): number;
}

/**
 * A circuit breaker for an outbound client: it counts only upstream faults (timeouts, network
 * errors, 5xx, bad bodies; not 4xx), and logs every transition. Its state is per process.
 */
export function createUpstreamBreaker(options: {
  name: string;
  clock: Clock;
  failureThreshold: number;
  cooldownMs: number;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}): CircuitBreaker {
  return createCircuitBreaker({
    ...options,
    isFault: isUpstreamFault,
    onStateChange: (from, to) =>
      (to === 'open' ? options.log.warn : options.log.info).call(options.log, { upstream: options.name, from, to }, 'circuit breaker'),
  });
}

/** Creates a client for the upstream at `options.baseUrl`. */
export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`${options.name}: base URL must be http(s)`);
  const doFetch = options.fetch ?? fetch;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  const { name, breaker, log } = options;

  function urlFor(request: OutboundRequest<unknown>): URL {
    const url = new URL(base);
    if (request.path?.length) {
      const segments = request.path.map((segment) => {
        // URL parsing resolves '.', '..' and their encoded forms, so they are refused outright.
        if (/^(\.|%2e){0,2}$/i.test(segment)) throw new Error(`${options.name}: path segment '${segment}' is not allowed`);
        return encodeURIComponent(segment);
      });
      url.pathname = `${url.pathname.replace(/\/$/, '')}/${segments.join('/')}`;
    }
    const query = request.query instanceof URLSearchParams ? new URLSearchParams(request.query) : new URLSearchParams();
    if (!(request.query instanceof URLSearchParams)) {
      for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query.set(key, String(value));
    }
    for (const [key, value] of base.searchParams) if (!query.has(key)) query.set(key, value);
    url.search = query.toString();
    return url;
  }

  /** One try, a client span of its own when tracing is on (its `traceparent` goes with the request). */
  function attempt<T>(url: URL, init: RequestInit, request: OutboundRequest<T>): Promise<OutboundResponse<T>> {
    return inSpan(
      init.method ?? 'GET',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': init.method ?? 'GET',
          // Without the query: it may carry the upstream's API key.
          'url.full': `${url.origin}${url.pathname}`,
          'server.address': url.hostname,
          'zaplecze.upstream': name,
        },
      },
      async (span) => {
        if (!span) return attemptOnce(url, init, request);
        const headers = { ...(init.headers as Record<string, string>) };
        injectTraceparent(headers);
        try {
          const response = await attemptOnce(url, { ...init, headers }, request);
          span.setAttribute('http.response.status_code', response.status);
          return response;
        } catch (err) {
          if (err instanceof OutboundError && err.status !== undefined) span.setAttribute('http.response.status_code', err.status);
          throw err;
        }
      },
    );
  }

  async function attemptOnce<T>(url: URL, init: RequestInit, request: OutboundRequest<T>): Promise<OutboundResponse<T>> {
    const signal = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, { ...init, signal, redirect: 'error' });
      text = await readBody(name, response, maxBodyBytes);
    } catch (err) {
      throw toTransportError(name, err, options.timeoutMs);
    }
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      throw new OutboundError('rate-limited', name, `${name} answered 429`, { status: 429, retryAfterMs, body: parseLoose(text) });
    }
    if (response.status < 200 || response.status > 299) {
      throw new OutboundError('status', name, `${name} answered ${response.status}`, { status: response.status, body: parseLoose(text) });
    }
    let parsed: unknown = null;
    if (text.length) {
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new OutboundError('bad-response', name, `${name} answered a body that is not JSON`, { status: response.status, cause: err });
      }
    }
    try {
      return { status: response.status, headers: response.headers, body: request.decode(parsed) };
    } catch (err) {
      throw new OutboundError('bad-response', name, `${name} answered an unexpected body: ${(err as Error).message}`, {
        status: response.status,
        cause: err,
      });
    }
  }

  return {
    name,
    breaker,
    async request(request) {
      const method = request.method ?? 'GET';
      const url = urlFor(request);
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...request.headers };
      let body: string | undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers['content-type'] = 'application/json';
      } else if (request.form) {
        body = request.form.toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
      const init: RequestInit = { method, headers, body };
      const idempotent = request.idempotent ?? IDEMPOTENT.has(method);
      const started = performance.now();
      try {
        const response = await retryWithBackoff(
          () =>
            breaker
              .run(() => attempt(url, init, request))
              .catch((err) => {
                if (err instanceof CircuitOpenError) {
                  throw new OutboundError('circuit-open', name, err.message, { retryAfterMs: err.retryAfterMs });
                }
                throw err;
              }),
          {
            ...options.retry,
            attempts: idempotent ? options.retry.attempts : 1,
            shouldRetry: isRetryable,
            retryAfterOf: (err) => (err instanceof OutboundError ? err.retryAfterMs : undefined),
            onRetry: (err, n, delayMs) =>
              log.warn({ upstream: name, attempt: n, delayMs, reason: describe(err) }, 'outbound call failed; retrying'),
            sleep: options.sleep,
            random: options.random,
          },
        );
        log.debug({ upstream: name, status: response.status, ms: Math.round(performance.now() - started) }, 'outbound call');
        return response;
      } catch (err) {
        // The upstream asked for a pause longer than we wait inside a call: every caller should
        // pause, so the breaker refuses calls until then instead of spending one to learn it.
        if (err instanceof OutboundError && err.kind === 'rate-limited' && err.retryAfterMs !== undefined) {
          if (err.retryAfterMs > options.retry.maxRetryAfterMs) breaker.openFor(Math.min(err.retryAfterMs, MAX_BACKOFF_HONOURED_MS));
        }
        if (!(err instanceof OutboundError && err.kind === 'circuit-open')) {
          log.warn({ upstream: name, reason: describe(err), ms: Math.round(performance.now() - started) }, 'outbound call failed');
        }
        throw err;
      }
    },
  };
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

function toTransportError(upstream: string, err: unknown, timeoutMs: number): OutboundError {
  if (err instanceof OutboundError) return err;
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new OutboundError('timeout', upstream, `${upstream} did not answer within ${timeoutMs} ms`, { cause: err });
  }
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  const reason = cause?.code ?? cause?.message ?? describe(err);
  return new OutboundError('network', upstream, `${upstream} could not be reached: ${reason}`, { cause: err });
}

/** Reads the body as text, refusing more than `max` bytes without buffering them. */
async function readBody(upstream: string, response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > max) {
    await response.body?.cancel();
    throw new OutboundError('bad-response', upstream, `${upstream} answered a body of ${declared} bytes exceeds ${max}`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > max) {
      await response.body.cancel().catch(() => {});
      throw new OutboundError('bad-response', upstream, `${upstream} answered a body over ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseLoose(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500);
  }
}
