/**
 * compose.yaml runs the split: the gateway in front of every deployable, on PostgreSQL, Redis,
 * NATS JetStream and MinIO. Checked statically (no Docker engine here): the topology, the
 * environment each service gets after compose's interpolation (fed to the server's own config
 * loader), healthchecks, the shutdown budget, and that only the gateway is published.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENTS, SERVICES } from '../../src/deployments.js';
import { interpolate, interpolateTree, MissingVariableError } from './compose-interpolation.js';
import { configProblems, ROOT, readText, readYaml, SAMPLE_SECRETS, seconds } from './deploy-files.js';

interface ComposeService {
  build?: { context: string; target?: string };
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  command?: string[];
  volumes?: string[];
}
interface Compose {
  name: string;
  services: Record<string, ComposeService>;
}

/** What an operator exports before `docker compose up` (the file's header). */
const OPERATOR_ENV = {
  JWT_SECRET: SAMPLE_SECRETS.JWT_SECRET,
  PAYMENT_SANDBOX_WEBHOOK_SECRET: SAMPLE_SECRETS.PAYMENT_SANDBOX_WEBHOOK_SECRET,
};
const raw = () => readYaml('compose.yaml') as Compose;
const compose = (env: Record<string, string> = OPERATOR_ENV) => interpolateTree(raw(), env);

/** Services that run the app image, by their DEPLOYMENT. */
function appServices(c: Compose) {
  return Object.entries(c.services).filter(([, s]) => s.environment?.DEPLOYMENT !== undefined);
}
const defaultProfile = (c: Compose) => Object.entries(c.services).filter(([, s]) => !s.profiles?.length);
const SPLIT = Object.keys(DEPLOYMENTS).filter((name) => name !== 'all-in-one');

describe('compose interpolation (the check itself)', () => {
  it('when variables are set, unset, empty or required, then it answers as docker compose does', () => {
    const env = { SET: 'a', EMPTY: '' };
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: compose syntax, not JavaScript templates
    expect(interpolate('${SET:-x} ${UNSET:-x} ${EMPTY:-x} ${EMPTY-x} $SET $$SET', env)).toBe('a x x  a $SET');
    expect(interpolate('${SET:?needed}', env)).toBe('a');
    expect(() => interpolate('${EMPTY:?set EMPTY, e.g. $(openssl rand -base64 48)}', env)).toThrow(MissingVariableError);
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: compose syntax
  });
});

describe('compose.yaml', () => {
  it('when parsed, then every deployable of the split runs, with 2 replicas of each routed service and 1 worker', () => {
    const c = compose();
    const split = appServices(c).filter(([, s]) => !s.profiles?.length);
    expect(split.map(([, s]) => s.environment?.DEPLOYMENT).sort()).toEqual([...SPLIT].sort());
    for (const [name, service] of split) {
      expect(name, 'the service is named after its deployable').toBe(service.environment?.DEPLOYMENT);
      expect(service.deploy?.replicas, name).toBe(name === 'worker' ? 1 : 2);
      expect(service.build?.target, name).toBe('app');
    }
    // All in one stays available on the same engines, in its own profile.
    const allInOne = appServices(c).filter(([, s]) => s.environment?.DEPLOYMENT === 'all-in-one');
    expect(allInOne.map(([name, s]) => [name, s.profiles])).toEqual([['api', ['all-in-one']]]);
  });

  it('when the operator sets the two shared secrets, then every app service gets an environment the server accepts', () => {
    for (const [name, service] of appServices(compose())) {
      expect(configProblems(service.environment ?? {}), name).toEqual([]);
    }
  });

  it('when a shared engine is missing from a service, then the same check names it (so the test above has teeth)', () => {
    const env = { ...compose().services.commerce?.environment };
    delete env.NATS_URL;
    expect(configProblems(env).join('\n')).toMatch(/NATS_URL/);
  });

  it('when JWT_SECRET or the sandbox secret is not exported, then compose refuses to start, naming it', () => {
    for (const variable of ['JWT_SECRET', 'PAYMENT_SANDBOX_WEBHOOK_SECRET']) {
      const env: Record<string, string> = { ...OPERATOR_ENV };
      delete env[variable];
      expect(() => compose(env), variable).toThrow(new RegExp(variable));
    }
  });

  it('when every service reads the secrets, then they read the same ones (one definition shared by all)', () => {
    const values = appServices(compose()).map(([, s]) => [s.environment?.JWT_SECRET, s.environment?.PAYMENT_SANDBOX_WEBHOOK_SECRET]);
    expect(new Set(values.map((v) => v.join(' '))).size).toBe(1);
    expect(values[0]).toEqual([OPERATOR_ENV.JWT_SECRET, OPERATOR_ENV.PAYMENT_SANDBOX_WEBHOOK_SECRET]);
  });

  it('when a service is stopped, then compose waits longer than its drain (SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT) before SIGKILL', () => {
    for (const [name, service] of appServices(compose())) {
      const drain = seconds(service.environment?.SHUTDOWN_DELAY ?? '0s') + seconds(service.environment?.SHUTDOWN_TIMEOUT ?? '10s');
      expect(seconds(service.stop_grace_period ?? '10s'), name).toBeGreaterThan(drain);
      expect(
        seconds(service.environment?.SHUTDOWN_DELAY ?? '0s'),
        `${name}: readiness must be 503 for longer than a health check interval`,
      ).toBeGreaterThan(1);
    }
  });

  it('when every container starts, then it has a healthcheck, the app services on /health/ready', () => {
    const c = compose();
    for (const [name, service] of defaultProfile(c).filter(([n]) => n !== 'minio-init')) {
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    for (const [name, service] of appServices(c)) expect(service.healthcheck?.test.join(' '), name).toContain('/health/ready');
    // The app services wait for the engines (and the bucket) they refuse to start without.
    for (const [name, service] of appServices(c)) {
      expect(service.depends_on, name).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        nats: { condition: 'service_healthy' },
        'minio-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('when NATS starts, then JetStream is on and stores the stream in a volume', () => {
    const nats = compose().services.nats;
    expect(nats?.command).toContain('-js');
    const storeDir = nats?.command?.[(nats.command.indexOf('-sd') ?? -2) + 1];
    expect(nats?.volumes?.some((v) => v.endsWith(`:${storeDir}`))).toBe(true);
  });

  it('when the default services run, then only the gateway publishes a port, on loopback 3000', () => {
    const c = compose();
    const published = defaultProfile(c).filter(([, s]) => s.ports?.length);
    expect(published.map(([name, s]) => [name, s.ports])).toEqual([['gateway', ['127.0.0.1:3000:3000']]]);
    // Profiles publish on loopback only, never on the gateway's port.
    for (const [name, service] of Object.entries(c.services)) {
      for (const port of service.ports ?? []) {
        expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
        if (name !== 'gateway') expect(port.split(':')[1], name).not.toBe('3000');
      }
    }
  });

  it("when the gateway starts, then it is the Dockerfile's gateway image and lists every replica of every routed service", () => {
    const c = compose();
    const gateway = c.services.gateway;
    expect(gateway?.build?.target).toBe('gateway');
    for (const service of SERVICES) {
      const replicas = c.services[service]?.deploy?.replicas ?? 1;
      // Compose names replica n of a service <project>-<service>-<n>, and Docker's DNS answers that name.
      const expected = Array.from({ length: replicas }, (_, i) => `${c.name}-${service}-${i + 1}:3000`);
      expect(gateway?.environment?.[`${service.toUpperCase()}_UPSTREAMS`]?.split(/\s+/), service).toEqual(expected);
      expect(gateway?.depends_on?.[service], service).toEqual({ condition: 'service_healthy' });
    }
    expect(gateway?.environment?.PORT).toBe('3000');
  });

  const caddyfile = join(ROOT, 'deploy/gateway/Caddyfile');
  it.skipIf(!existsSync(caddyfile))(
    'when the generated Caddyfile reads a variable without a default, then the gateway service sets it',
    () => {
      const required = [...readText('deploy/gateway/Caddyfile').matchAll(/\{\$([A-Z_][A-Z0-9_]*)\}/g)].map((m) => m[1] as string);
      const env = compose().services.gateway?.environment ?? {};
      for (const variable of new Set(required)) expect(env[variable], variable).toBeTruthy();
    },
  );
});
