/**
 * The platform's own settings: infrastructure only (server, data folder, database, Redis,
 * events, tokens, CORS and proxies, logs, limits, password hashing, mail, deployment,
 * shutdown, blob storage). Modules declare theirs in `src/modules/<name>/settings.ts`.
 */
import { cpus } from 'node:os';
import { bool, bytes, duration, durationBetween, fail, folder, int, oneOf, origins, ratio, secret, str, url } from './parsers.js';
import { type ConfigOf, defineSettings } from './settings-group.js';

/** Every variable the platform reads. Order is the order of the docs. */
export const platformSettings = defineSettings(
  'platform',
  {
    PORT: { doc: 'TCP port the HTTP server listens on.', example: '3000', default: '3000', parse: int(0, 65535) },
    HOST: {
      doc: 'Address to bind; 0.0.0.0 for containers, 127.0.0.1 to stay local.',
      example: '0.0.0.0',
      default: '0.0.0.0',
      parse: str,
    },
    METRICS_PORT: {
      doc: 'Serve Prometheus metrics at /metrics on this port, on its own listener (never the public one). Unset: metrics are off and cost nothing. 0 picks a free port.',
      example: '9464',
      parse: int(0, 65535),
    },
    METRICS_HOST: {
      doc: 'Address the metrics listener binds. The default keeps it on this machine; containers set 0.0.0.0 so Prometheus can reach it (keep that port off the public network).',
      example: '0.0.0.0',
      default: '127.0.0.1',
      parse: str,
    },
    OTEL_EXPORTER_OTLP_ENDPOINT: {
      doc: 'Turns tracing on: spans are exported over OTLP (HTTP, protobuf) to this base URL (the collector; /v1/traces is appended). Unset: tracing is off and costs nothing. The exporter also reads the standard OTEL_EXPORTER_OTLP_HEADERS.',
      example: 'http://otel-collector:4318',
      parse: url('http:', 'https:'),
    },
    OTEL_TRACES_SAMPLER: {
      doc: 'Which traces are recorded (OpenTelemetry standard values). parentbased_*: an incoming traceparent decides, the rest only starts new traces.',
      example: 'parentbased_traceidratio',
      default: 'parentbased_always_on',
      parse: oneOf(
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ),
    },
    OTEL_TRACES_SAMPLER_ARG: {
      doc: 'The share of new traces kept by the traceidratio samplers, from 0 to 1.',
      example: '0.1',
      default: '1',
      parse: ratio,
    },
    OTEL_SERVICE_NAME: {
      doc: 'The service name on every span. Defaults to zaplecze-<DEPLOYMENT> (zaplecze-commerce, ...).',
      example: 'zaplecze-commerce',
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
      parse: folder,
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
      parse: durationBetween('1ms', '5m'),
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
      parse: durationBetween('10s', '15m'),
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
    SHUTDOWN_DELAY: {
      doc: 'After SIGTERM, how long readiness answers 503 while requests are still served, so a gateway stops routing here first.',
      example: '3s',
      default: '0s',
      parse: duration,
    },
    SHUTDOWN_TIMEOUT: {
      doc: 'How long SIGTERM waits for in-flight requests before closing anyway.',
      example: '10s',
      default: '10s',
      parse: duration,
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
  },
  {
    check: (given, env) => [
      ...(given('S3_ACCESS_KEY_ID') !== given('S3_SECRET_ACCESS_KEY')
        ? ['S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together']
        : []),
      ...(given('METRICS_PORT') && env.METRICS_PORT?.trim() !== '0' && env.METRICS_PORT?.trim() === (env.PORT?.trim() || '3000')
        ? ['METRICS_PORT must differ from PORT: metrics are never served on the public port']
        : []),
      ...(isSplit(env)
        ? splitRequires
            .filter((key) => !given(key))
            .map(
              (key) =>
                `${key} must be set when DEPLOYMENT is ${env.DEPLOYMENT?.trim()} (a service of the split shares its engines and secrets)`,
            )
        : []),
      ...(given('DATABASE_URL') && !given('JWT_SECRET')
        ? ['JWT_SECRET must be set when DATABASE_URL is (every instance must share it)']
        : []),
    ],
  },
);

/** Every service of the split must share these engines and secrets (PAYMENT_PROVIDER is the shop's, required with DATABASE_URL). */
const splitRequires = ['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'S3_BUCKET', 'JWT_SECRET', 'PUBLIC_URL', 'TRUST_PROXY'];

/** The process is one service of the distributed setup, not all-in-one. */
export function isSplit(env: Record<string, string | undefined>): boolean {
  const deployment = env.DEPLOYMENT?.trim();
  return Boolean(deployment) && deployment !== 'all-in-one';
}

/** The platform's parsed settings, as every module receives them in `platform.config`. */
export interface PlatformConfig extends ConfigOf<typeof platformSettings> {}

/** The public base URL, falling back to the local listener. */
export function publicUrl(config: Pick<PlatformConfig, 'PUBLIC_URL' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
}
