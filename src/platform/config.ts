/**
 * The only reader of the environment. Every setting is declared once below with its
 * documentation, default and parser; `loadConfig` validates them all at start and fails
 * with the name of each bad variable and why. `.env.example` and the README table are
 * checked against this list by a test, so the three cannot drift apart.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';

/** Raised when one or more variables are invalid; `problems` names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string) => T;

interface Setting<T> {
  doc: string;
  /** Shown in docs; `undefined` means the variable is optional and has no default. */
  example: string;
  default?: string;
  parse: Parser<T>;
}

const fail = (why: string): never => {
  throw new Error(why);
};

const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^\d+$/.test(raw)) fail(`must be a whole number, got '${raw}'`);
    const n = Number(raw);
    if (n < min || n > max) fail(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };

const str: Parser<string> = (raw) => raw;

const bool: Parser<boolean> = (raw) => {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  return fail(`must be true or false, got '${raw}'`);
};

const url =
  (...protocols: string[]): Parser<string> =>
  (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return fail('must be a URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(`must use ${protocols.join(' or ')}, got '${parsed.protocol}'`);
    }
    return raw;
  };

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) =>
    values.includes(raw as T) ? (raw as T) : fail(`must be one of ${values.join(', ')}, got '${raw}'`);

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const bytes: Parser<number> = (raw) => {
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) return fail(`must be a size like 1048576, 512kb or 10mb, got '${raw}'`);
  return Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1);
};

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const duration: Parser<number> = (raw) => {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(raw.trim());
  if (!m) return fail(`must be a duration like 500ms, 15m, 24h or 7d, got '${raw}'`);
  return Number(m[1]) * (DURATION_UNITS[m[2] as string] ?? 1);
};

const origins: Parser<string[]> = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => {
      if (o === '*') return fail("'*' is not allowed: list the origins that may call the API");
      const u = url('http:', 'https:')(o);
      const parsed = new URL(u);
      if (parsed.pathname !== '/' || parsed.search) fail(`'${o}' must be an origin (scheme://host[:port]), not a URL`);
      return parsed.origin;
    });

const secret: Parser<string> = (raw) => (raw.length >= 32 ? raw : fail('must be at least 32 characters (use `openssl rand -base64 48`)'));

const email: Parser<string> = (raw) =>
  /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw) ? raw.trim().toLowerCase() : fail('must be an email address');

/** Every setting the platform reads. Order is the order of the docs. */
export const SETTINGS = {
  PORT: { doc: 'TCP port the HTTP server listens on.', example: '3000', default: '3000', parse: int(0, 65535) },
  HOST: {
    doc: 'Address to bind; 0.0.0.0 for containers, 127.0.0.1 to stay local.',
    example: '0.0.0.0',
    default: '0.0.0.0',
    parse: str,
  },
  PUBLIC_URL: {
    doc: 'Externally visible base URL, used in links sent by mail. Defaults to http://localhost:PORT.',
    example: 'https://api.example.com',
    parse: url('http:', 'https:'),
  },
  DATA_DIR: {
    doc: 'Folder for the embedded database, the generated JWT secret and local files. Locked while a server uses it.',
    example: './data',
    default: './data',
    parse: (raw) => resolve(raw),
  },
  DATABASE_URL: {
    doc: 'PostgreSQL connection URL. Unset: embedded PostgreSQL (PGlite) in DATA_DIR.',
    example: 'postgres://postgres@127.0.0.1:5432/zaplecze',
    parse: url('postgres:', 'postgresql:'),
  },
  DATABASE_POOL_SIZE: {
    doc: 'Maximum connections in the PostgreSQL pool (ignored for the embedded database).',
    example: '10',
    default: '10',
    parse: int(1, 500),
  },
  REDIS_URL: {
    doc: 'Redis URL for rate limits and caches shared between instances. Unset: in memory.',
    example: 'redis://127.0.0.1:6379',
    parse: url('redis:', 'rediss:'),
  },
  REDIS_KEY_PREFIX: {
    doc: 'Prefix of every Redis key, so several deployments can share one Redis.',
    example: 'zaplecze:',
    default: 'zaplecze:',
    parse: (raw) => (/^[\w:.-]{1,64}$/.test(raw) ? raw : fail('must be 1-64 characters of letters, digits, : . _ -')),
  },
  NATS_URL: {
    doc: 'NATS server with JetStream for events between services. Unset: in-process event bus.',
    example: 'nats://127.0.0.1:4222',
    parse: url('nats:', 'tls:'),
  },
  NATS_STREAM: {
    doc: 'JetStream stream that holds the events (also their subject prefix).',
    example: 'ZAPLECZE',
    default: 'ZAPLECZE',
    parse: (raw) => (/^[A-Za-z0-9_-]{1,32}$/.test(raw) ? raw : fail('must be 1-32 letters, digits, _ or -')),
  },
  EVENT_MAX_DELIVERIES: {
    doc: 'Deliveries of an event to a module whose handler keeps failing before it goes to the dead letters (admins replay them).',
    example: '5',
    default: '5',
    parse: int(1, 100),
  },
  EVENT_RETRY_BACKOFF: {
    doc: 'Wait before an event is delivered again after its handler failed; doubles with each further delivery, up to 5m.',
    example: '1s',
    default: '1s',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 1 && ms <= 5 * 60_000 ? ms : fail('must be between 1ms and 5m');
    },
  },
  JWT_SECRET: {
    doc: 'HS256 key for access tokens, at least 32 characters. Required with DATABASE_URL; embedded mode generates one into DATA_DIR.',
    example: 'change-me-to-48-random-bytes-from-openssl-rand-base64',
    parse: secret,
  },
  ACCESS_TOKEN_TTL: {
    doc: 'Lifetime of an access token (at most 15m).',
    example: '15m',
    default: '15m',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 10_000 && ms <= 15 * 60_000 ? ms : fail('must be between 10s and 15m');
    },
  },
  REFRESH_TOKEN_TTL: {
    doc: 'How long an unused session (refresh token family) stays valid.',
    example: '30d',
    default: '30d',
    parse: duration,
  },
  ADMIN_EMAIL: {
    doc: 'With ADMIN_PASSWORD: create this admin at start, or promote the existing user. Idempotent.',
    example: 'admin@example.com',
    parse: email,
  },
  ADMIN_PASSWORD: {
    doc: 'Password for ADMIN_EMAIL when the account is created (an existing password is left alone).',
    example: 'a-long-admin-passphrase',
    parse: (raw) => (raw.length >= 8 && raw.length <= 128 ? raw : fail('must be 8 to 128 characters')),
  },
  CORS_ORIGINS: {
    doc: 'Comma-separated origins allowed to call the API from a browser. Empty: same-origin only.',
    example: 'http://localhost:5173,https://app.example.com',
    default: '',
    parse: origins,
  },
  TRUST_PROXY: {
    doc: 'Trust X-Forwarded-* only from these proxy addresses/CIDRs (e.g. 10.0.0.0/8), or false. `true` trusts any client, a hop count nobody (warned at start).',
    example: 'false',
    default: 'false',
    parse: (raw): boolean | number | string => {
      if (/^\d+$/.test(raw)) return Number(raw);
      if (/^(true|false)$/i.test(raw)) return bool(raw);
      return raw;
    },
  },
  LOG_LEVEL: {
    doc: 'pino log level.',
    example: 'info',
    default: 'info',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
  LOG_FORMAT: {
    doc: 'json (one JSON object a line, for log collectors), pretty (readable, needs the pino-pretty devDependency; JSON without it) or auto (pretty when stdout is a terminal).',
    example: 'auto',
    default: 'auto',
    parse: oneOf('json', 'pretty', 'auto'),
  },
  BODY_LIMIT: {
    doc: 'Largest JSON request body; larger bodies get 413.',
    example: '1mb',
    default: '1mb',
    parse: bytes,
  },
  RATE_LIMIT_MAX: {
    doc: 'Requests per client IP per RATE_LIMIT_WINDOW across the API (auth routes have tighter limits).',
    example: '300',
    default: '300',
    parse: int(1, 1_000_000),
  },
  RATE_LIMIT_WINDOW: { doc: 'Window of RATE_LIMIT_MAX.', example: '1m', default: '1m', parse: duration },
  AUTH_RATE_LIMIT_MAX: {
    doc: 'Requests per client IP per minute on each login, register, refresh and reset route.',
    example: '20',
    default: '20',
    parse: int(1, 1_000_000),
  },
  LOGIN_MAX_FAILURES: {
    doc: 'Failed logins per (account, address) before that pair locks for a growing delay; 4x per address locks the address; 20x per account slows it (see Security notes).',
    example: '5',
    default: '5',
    parse: int(1, 1000),
  },
  PASSWORD_HASH_CONCURRENCY: {
    doc: 'Password hashes computed at once (auto = CPU cores); more wait, so a login flood cannot starve other routes.',
    example: 'auto',
    default: 'auto',
    parse: (raw) => (raw === 'auto' ? Math.max(1, cpus().length) : int(1, 256)(raw)),
  },
  PASSWORD_HASH_MEMORY_KIB: {
    doc: 'argon2id memory per password hash, in KiB. Keep the OWASP baseline (19456 with time cost 2) in production; the test suite lowers it to hash fast.',
    example: '19456',
    default: '19456',
    parse: int(8, 4_194_304),
  },
  PASSWORD_HASH_TIME_COST: {
    doc: 'argon2id passes per password hash (with PASSWORD_HASH_MEMORY_KIB). Existing hashes keep their own cost and still verify after a change.',
    example: '2',
    default: '2',
    parse: int(1, 100),
  },
  SMTP_URL: {
    doc: 'SMTP server for outgoing mail (nodemailer URL). Unset: mail is logged and kept in the outbox table.',
    example: 'smtp://user:pass@smtp.example.com:587',
    parse: url('smtp:', 'smtps:'),
  },
  MAIL_FROM: {
    doc: 'Sender address of outgoing mail.',
    example: 'Zaplecze <no-reply@example.com>',
    default: 'Zaplecze <no-reply@localhost>',
    parse: str,
  },
  DEPLOYMENT: {
    doc: 'Which modules this process runs: all-in-one, or one service of the distributed setup (see deployments.ts).',
    example: 'all-in-one',
    default: 'all-in-one',
    parse: (raw) => (/^[a-z][a-z-]*$/.test(raw) ? raw : fail('must be a deployment name such as all-in-one')),
  },
  SHUTDOWN_TIMEOUT: {
    doc: 'How long SIGTERM waits for in-flight requests before closing anyway.',
    example: '10s',
    default: '10s',
    parse: duration,
  },
  MAX_UPLOAD_BYTES: {
    doc: 'Largest single uploaded file (multipart or resumable); larger ones get 413 and leave nothing stored.',
    example: '100mb',
    default: '100mb',
    parse: bytes,
  },
  FILES_ALLOWED_TYPES: {
    doc: 'Comma-separated media types accepted for upload, as detected from the content (magic bytes), e.g. image/*,application/pdf; */* accepts all.',
    example: 'image/png,image/jpeg,image/gif,image/webp,application/pdf',
    default: 'image/png,image/jpeg,image/gif,image/webp,image/avif,application/pdf,text/plain',
    parse: (raw) => {
      const types = raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const bad = types.find((t) => !/^([a-z0-9][\w.+-]*|\*)\/([a-z0-9][\w.+-]*|\*)$/.test(t));
      if (bad !== undefined) fail(`'${bad}' is not a media type or pattern like image/*`);
      return types.length ? types : fail('must list at least one media type');
    },
  },
  FILES_QUOTA_BYTES: {
    doc: 'Bytes of files (plus unfinished resumable uploads) each user may store; 0 means no quota.',
    example: '1gb',
    default: '1gb',
    parse: bytes,
  },
  FILES_UPLOAD_TTL: {
    doc: 'How long an unfinished resumable (tus) upload may sit idle before it expires and is removed.',
    example: '24h',
    default: '24h',
    parse: duration,
  },
  FILE_LINK_SECRET: {
    doc: 'HMAC key of signed file links, at least 32 characters. Unset: derived from the JWT secret with HKDF (rotating that secret voids the links).',
    example: 'another-48-random-bytes-from-openssl-rand-base64',
    parse: secret,
  },
  S3_BUCKET: {
    doc: 'Store files in this S3 bucket (it must exist). Unset: files on local disk under DATA_DIR/files.',
    example: 'zaplecze',
    parse: (raw) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) ? raw : fail('must be a valid S3 bucket name')),
  },
  S3_ENDPOINT: {
    doc: 'Endpoint of an S3-compatible service (MinIO, R2, ...). Unset: AWS S3 of S3_REGION.',
    example: 'http://127.0.0.1:9000',
    parse: url('http:', 'https:'),
  },
  S3_REGION: { doc: 'S3 region.', example: 'us-east-1', default: 'us-east-1', parse: str },
  S3_ACCESS_KEY_ID: {
    doc: 'S3 access key. Unset: the AWS SDK default credential chain (environment, instance role).',
    example: 'zaplecze',
    parse: str,
  },
  S3_SECRET_ACCESS_KEY: { doc: 'S3 secret key, with S3_ACCESS_KEY_ID.', example: 'zaplecze-secret', parse: str },
  S3_FORCE_PATH_STYLE: {
    doc: 'Address the bucket as endpoint/bucket/key instead of bucket.endpoint/key. Unset: true when S3_ENDPOINT is set (most S3-compatible services need it), false for AWS.',
    example: 'true',
    parse: bool,
  },
  CATALOG_SEED_ON_EMPTY: {
    doc: 'Load the demo catalog (200+ books, movies and goods) at start when the catalog is empty. Otherwise an empty embedded catalog logs how to seed it.',
    example: 'true',
    default: 'false',
    parse: bool,
  },
  CATALOG_CACHE_MAX_AGE: {
    doc: 'Seconds public catalog reads may be cached (Cache-Control max-age); ETags revalidate after that.',
    example: '30',
    default: '30',
    parse: int(0, 86_400),
  },
  TODO_MAX_LISTS_PER_USER: {
    doc: 'Todo lists one user may have; creating one more answers 422 TODO_LIST_LIMIT_REACHED.',
    example: '100',
    default: '100',
    parse: int(1, 100_000),
  },
  TODO_MAX_TODOS_PER_USER: {
    doc: 'Todos one user may have across their lists; creating one more answers 422 TODO_LIMIT_REACHED.',
    example: '5000',
    default: '5000',
    parse: int(1, 1_000_000),
  },
  TODO_SYNC_RETENTION: {
    doc: 'How long tombstones of deleted todos are kept for delta sync; an older updatedSince gets a full resync.',
    example: '30d',
    default: '30d',
    parse: duration,
  },
  TODO_BACKEND_COMPAT: {
    doc: 'Serve the anonymous Todo-Backend (todobackend.com) contract at /todo-backend, open to every origin.',
    example: 'false',
    default: 'false',
    parse: bool,
  },
  TODO_BACKEND_MAX_ITEMS: {
    doc: 'Most todos the shared Todo-Backend store holds; more answer 422 TODO_BACKEND_FULL until some are deleted.',
    example: '500',
    default: '500',
    parse: int(1, 100_000),
  },
  CHAT_MAX_CONNECTIONS_PER_USER: {
    doc: 'Chat WebSockets one user may have open at once across every instance; one more is refused before the upgrade with 429 CHAT_TOO_MANY_CONNECTIONS.',
    example: '10',
    default: '10',
    parse: int(1, 10_000),
  },
  CHAT_MAX_OWNED_ROOMS: {
    doc: 'Private chat rooms one user may own; creating one more answers 422 CHAT_ROOM_LIMIT_REACHED. Public rooms (admins) are not counted.',
    example: '50',
    default: '50',
    parse: int(1, 100_000),
  },
  CHAT_MAX_ROOMS_PER_CONNECTION: {
    doc: 'Rooms one chat WebSocket may be subscribed to at once; one more answers an error frame ROOM_LIMIT_REACHED.',
    example: '100',
    default: '100',
    parse: int(1, 10_000),
  },
  CHAT_RATE_LIMIT: {
    doc: 'Frames per second one chat WebSocket may send (bursts of twice that pass); more answer an error frame RATE_LIMITED and are dropped.',
    example: '10',
    default: '10',
    parse: int(1, 1_000_000),
  },
  CHAT_MAX_BUFFERED_BYTES: {
    doc: 'Bytes the server may hold unsent for one chat WebSocket; a client that reads slower is disconnected with close code 1013.',
    example: '1mb',
    default: '1mb',
    parse: bytes,
  },
  CHAT_REPLAY_LIMIT: {
    doc: 'Most missed messages a reconnecting chat client is sent per room; with more it is told to page through the REST history.',
    example: '500',
    default: '500',
    parse: int(1, 10_000),
  },
  CHAT_HEARTBEAT_INTERVAL: {
    doc: 'How often the server pings each chat WebSocket; a peer that has not answered the previous ping is dropped.',
    example: '30s',
    default: '30s',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 100 && ms <= 600_000 ? ms : fail('must be between 100ms and 10m');
    },
  },
  WEATHER_FORECAST_URL: {
    doc: 'Open-Meteo forecast endpoint (or a self-hosted/compatible one). With WEATHER_GEOCODING_URL, the only hosts the weather module calls.',
    example: 'https://api.open-meteo.com/v1/forecast',
    default: 'https://api.open-meteo.com/v1/forecast',
    parse: url('http:', 'https:'),
  },
  WEATHER_GEOCODING_URL: {
    doc: 'Open-Meteo geocoding endpoint, used to turn ?city= into coordinates.',
    example: 'https://geocoding-api.open-meteo.com/v1/search',
    default: 'https://geocoding-api.open-meteo.com/v1/search',
    parse: url('http:', 'https:'),
  },
  WEATHER_TIMEOUT: {
    doc: 'Timeout of each attempt to call Open-Meteo (connect, headers and body).',
    example: '3s',
    default: '3s',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 20 && ms <= 60_000 ? ms : fail('must be between 20ms and 60s');
    },
  },
  WEATHER_RETRIES: {
    doc: 'Retries after a failed call to Open-Meteo (timeouts, network errors, 5xx, 429), with jittered exponential backoff.',
    example: '2',
    default: '2',
    parse: int(0, 5),
  },
  WEATHER_CACHE_TTL: {
    doc: 'How long fetched weather is fresh (served from the cache without asking Open-Meteo).',
    example: '10m',
    default: '10m',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 1000 ? ms : fail('must be at least 1s');
    },
  },
  WEATHER_STALE_WHILE_REVALIDATE: {
    doc: 'After WEATHER_CACHE_TTL, how long stale weather is still served at once (stale: true) while a refresh runs behind. 0s: never.',
    example: '5m',
    default: '5m',
    parse: duration,
  },
  WEATHER_STALE_IF_ERROR: {
    doc: 'After WEATHER_CACHE_TTL, how long stale weather may be served (stale: true) when Open-Meteo fails. 0s: never.',
    example: '6h',
    default: '6h',
    parse: duration,
  },
  ORDER_PAYMENT_TIMEOUT: {
    doc: 'How long an order waits for payment; then it expires and its stock is released (by a job that survives restarts).',
    example: '30m',
    default: '30m',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 1000 && ms <= 7 * 86_400_000 ? ms : fail('must be between 1s and 7d');
    },
  },
  SHOP_SWEEP_INTERVAL: {
    doc: 'How often the shop job runs: expires unpaid orders, finishes interrupted stock releases and checkouts, retries webhook events.',
    example: '10s',
    default: '10s',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 10 && ms <= 3_600_000 ? ms : fail('must be between 10ms and 1h');
    },
  },
  IDEMPOTENCY_KEY_TTL: {
    doc: 'How long an Idempotency-Key of POST /orders is remembered (at least 24h).',
    example: '24h',
    default: '24h',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 86_400_000 ? ms : fail('must be at least 24h');
    },
  },
  SHOP_LOW_STOCK_THRESHOLD: {
    doc: 'GET /admin/stats lists active products with at most this many units left.',
    example: '5',
    default: '5',
    parse: int(0, 1_000_000),
  },
  SHOP_MAX_PENDING_ORDERS: {
    doc: 'Unpaid orders one customer may hold at once (each reserves stock until paid or expired); one more is 422 TOO_MANY_PENDING_ORDERS.',
    example: '3',
    default: '3',
    parse: int(1, 1_000_000),
  },
  SHOP_MAX_LINE_QUANTITY: {
    doc: 'Units of one product in a cart line, and so in an order line; more is 422 LINE_QUANTITY_LIMIT_EXCEEDED.',
    example: '10',
    default: '10',
    parse: int(1, 1000),
  },
  PAYMENT_PROVIDER: {
    doc: 'stripe, or sandbox: a test gateway where customers mark their own orders paid. Required with DATABASE_URL; embedded default: sandbox.',
    example: 'stripe',
    default: 'sandbox',
    parse: oneOf('sandbox', 'stripe'),
  },
  STRIPE_SECRET_KEY: {
    doc: 'Stripe secret key (sk_test_... or sk_live_...); required with PAYMENT_PROVIDER=stripe.',
    example: 'sk_test_your_key',
    parse: (raw) => (/^(sk|rk)_(test|live)_\S+$/.test(raw) ? raw : fail('must look like sk_test_... or sk_live_...')),
  },
  STRIPE_WEBHOOK_SECRET: {
    doc: 'Signing secret of the Stripe webhook endpoint (whsec_...); required with STRIPE_SECRET_KEY.',
    example: 'whsec_your_endpoint_secret',
    parse: (raw) => (raw.startsWith('whsec_') ? raw : fail('must start with whsec_')),
  },
  STRIPE_API_URL: {
    doc: 'Another Stripe API base URL (a proxy, or a local fake in tests). Unset: https://api.stripe.com.',
    example: 'http://127.0.0.1:12111',
    parse: url('http:', 'https:'),
  },
  STRIPE_TIMEOUT: {
    doc: 'Timeout of each call to Stripe; the SDK retries network errors, 409, 429 and 5xx twice with the same idempotency key.',
    example: '10s',
    default: '10s',
    parse: (raw) => {
      const ms = duration(raw);
      return ms >= 100 && ms <= 80_000 ? ms : fail('must be between 100ms and 80s');
    },
  },
  PAYMENT_SANDBOX_WEBHOOK_SECRET: {
    doc: 'Secret that signs the sandbox gateway callbacks (Sandbox-Signature). Unset: a random one per process.',
    example: 'change-me-to-32-or-more-random-characters',
    parse: secret,
  },
  WEATHER_RATE_LIMIT: {
    doc: 'Weather requests per minute per signed-in user, or per client IP for anonymous callers.',
    example: '60',
    default: '60',
    parse: int(1, 1_000_000),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
type Key = keyof Settings;
type ValueOf<K extends Key> = ReturnType<Settings[K]['parse']>;

/** The parsed, frozen configuration. Optional settings without a default are `undefined`. */
export type Config = {
  readonly [K in Key]: Settings[K] extends { default: string } ? ValueOf<K> : ValueOf<K> | undefined;
};

/**
 * Parses and validates the environment once. Empty strings count as unset.
 * Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(SETTINGS) as [Key, Setting<unknown>][]) {
    const raw = env[key]?.trim() || setting.default;
    if (raw === undefined) {
      out[key] = undefined;
      continue;
    }
    try {
      out[key] = setting.parse(raw);
    } catch (err) {
      problems.push(`${key} ${(err as Error).message}`);
    }
  }
  // Judge the pairs on the raw values, so an invalid partner is reported once, for what it is.
  const given = (key: Key) => Boolean(env[key]?.trim());
  if (given('ADMIN_EMAIL') && !given('ADMIN_PASSWORD')) {
    problems.push('ADMIN_PASSWORD must be set together with ADMIN_EMAIL');
  }
  if (given('S3_ACCESS_KEY_ID') !== given('S3_SECRET_ACCESS_KEY')) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  }
  if (given('DATABASE_URL') && !given('JWT_SECRET')) {
    problems.push('JWT_SECRET must be set when DATABASE_URL is (every instance must share it)');
  }
  // A real deployment must choose its payments: the sandbox would let customers mark orders paid.
  if (given('DATABASE_URL') && !given('PAYMENT_PROVIDER')) {
    problems.push('PAYMENT_PROVIDER must be set when DATABASE_URL is: stripe, or sandbox (customers mark their own orders paid)');
  }
  const provider = env.PAYMENT_PROVIDER?.trim();
  if (provider === 'stripe' && !given('STRIPE_SECRET_KEY')) {
    problems.push('STRIPE_SECRET_KEY must be set when PAYMENT_PROVIDER is stripe');
  }
  if (given('STRIPE_SECRET_KEY') && provider !== 'stripe') {
    problems.push('PAYMENT_PROVIDER must be stripe when STRIPE_SECRET_KEY is set (otherwise the sandbox would take the payments)');
  }
  if (given('STRIPE_SECRET_KEY') && !given('STRIPE_WEBHOOK_SECRET')) {
    problems.push('STRIPE_WEBHOOK_SECRET must be set together with STRIPE_SECRET_KEY (webhooks cannot be verified without it)');
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** The public base URL, falling back to the local listener. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
}
