/**
 * render.yaml, the Render Blueprint of the split: its required keys, that every reference
 * (fromDatabase, fromService, fromGroup, the NATS host) names an entry of the file, and that the
 * environment each app service ends up with is one the server accepts.
 */
import { describe, expect, it } from 'vitest';
import { DEPLOYMENTS, SERVICES } from '../../src/deployments.js';
import { configProblems, readYaml, SAMPLE_SECRETS, sampleSecret } from './deploy-files.js';

interface EnvVar {
  key?: string;
  value?: string;
  generateValue?: boolean;
  sync?: false;
  fromDatabase?: { name: string; property: string };
  fromService?: { type: string; name: string; property?: string; envVarKey?: string };
  fromGroup?: string;
}
interface RenderService {
  type: string;
  name: string;
  runtime?: string;
  image?: { url: string };
  numInstances?: number;
  healthCheckPath?: string;
  maxShutdownDelaySeconds?: number;
  envVars?: EnvVar[];
  disk?: { name: string; mountPath: string; sizeGB?: number };
  dockerCommand?: string;
  ipAllowList?: unknown[];
}
interface Blueprint {
  services: RenderService[];
  databases: { name: string; ipAllowList?: unknown[] }[];
  envVarGroups: { name: string; envVars: EnvVar[] }[];
}

const blueprint = () => readYaml('render.yaml') as Blueprint;
const COMPUTE = new Set(['web', 'pserv', 'worker']);
/** What the operator types when Render asks for the `sync: false` values. */
const OPERATOR_VALUES: Record<string, string> = {
  ...SAMPLE_SECRETS,
  PUBLIC_URL: 'https://zaplecze-gateway.onrender.com',
  S3_BUCKET: 'zaplecze',
  S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com',
  S3_REGION: 'eu-central-1',
};

/**
 * The environment Render gives a service: its own entries and its groups', with references
 * resolved to plausible values. A reference to something the file does not define throws.
 */
function environmentOf(service: RenderService, file: Blueprint): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (entry: EnvVar, where: string) => {
    if (entry.fromGroup) {
      const group = file.envVarGroups.find((g) => g.name === entry.fromGroup);
      if (!group) throw new Error(`${where}: no envVarGroup ${entry.fromGroup}`);
      for (const grouped of group.envVars) add(grouped, `group ${group.name}`);
      return;
    }
    const key = entry.key as string;
    if (entry.value !== undefined) env[key] = String(entry.value);
    else if (entry.generateValue) env[key] = sampleSecret(key) ?? 'g'.repeat(44);
    else if (entry.sync === false) env[key] = OPERATOR_VALUES[key] ?? `${key.toLowerCase()}-value`;
    else if (entry.fromDatabase) {
      const db = file.databases.find((d) => d.name === entry.fromDatabase?.name);
      if (!db) throw new Error(`${where} ${key}: no database ${entry.fromDatabase.name}`);
      expect(entry.fromDatabase.property).toBe('connectionString');
      env[key] = `postgres://zaplecze:pw@${db.name}:5432/zaplecze`;
    } else if (entry.fromService) {
      const ref = entry.fromService;
      const target = file.services.find((s) => s.name === ref.name && s.type === ref.type);
      if (!target) throw new Error(`${where} ${key}: no ${ref.type} service ${ref.name}`);
      if (ref.property === 'connectionString') env[key] = `redis://${target.name}:6379`;
      else if (ref.property === 'hostport') {
        // Render detects the port a service listens on: PORT, for ours.
        const port = target.envVars?.find((e) => e.key === 'PORT')?.value;
        if (!port) throw new Error(`${where} ${key}: ${target.name} sets no PORT`);
        env[key] = `${target.name}:${port}`;
      } else throw new Error(`${where} ${key}: unexpected property ${ref.property}`);
    } else throw new Error(`${where} ${key}: no value, generateValue, sync, fromDatabase or fromService`);
  };
  for (const entry of service.envVars ?? []) add(entry, service.name);
  return env;
}

const appServices = (file: Blueprint) => file.services.filter((s) => s.envVars?.some((e) => e.key === 'DEPLOYMENT'));
const deploymentOf = (service: RenderService) => service.envVars?.find((e) => e.key === 'DEPLOYMENT')?.value;

describe('render.yaml', () => {
  it('when read, then every service has a type and name, and every compute service a runtime with its image and envVars', () => {
    const file = blueprint();
    const names = file.services.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const service of file.services) {
      expect(['web', 'pserv', 'worker', 'keyvalue'], service.name).toContain(service.type);
      expect(service.name).toMatch(/^[a-z][a-z0-9-]*$/);
      if (!COMPUTE.has(service.type)) continue;
      expect(service.runtime, service.name).toBe('image');
      expect(service.image?.url, service.name).toMatch(/^[\w.-]+(\/[\w.-]+)+:[\w.-]+$/);
    }
    for (const service of appServices(file)) expect(service.envVars?.length, service.name).toBeGreaterThan(0);
  });

  it('when read, then the gateway is the public web service, the routed services private, the worker a worker, with Postgres and Key Value', () => {
    const file = blueprint();
    const byDeployment = new Map(appServices(file).map((s) => [deploymentOf(s), s]));
    expect([...byDeployment.keys()].sort()).toEqual(
      Object.keys(DEPLOYMENTS)
        .filter((d) => d !== 'all-in-one')
        .sort(),
    );
    for (const name of SERVICES) expect(byDeployment.get(name)?.type, name).toBe('pserv');
    expect(byDeployment.get('worker')?.type).toBe('worker');
    const web = file.services.filter((s) => s.type === 'web');
    expect(web.map((s) => s.name)).toEqual(['zaplecze-gateway']);
    expect(web[0]?.image?.url).toContain('zaplecze-gateway');
    expect(web[0]?.healthCheckPath).toBe('/health/ready');
    expect(file.services.filter((s) => s.type === 'keyvalue')).toHaveLength(1);
    expect(file.databases).toHaveLength(1);
    // Neither engine is reachable from the internet.
    expect(file.services.find((s) => s.type === 'keyvalue')?.ipAllowList).toEqual([]);
    expect(file.databases[0]?.ipAllowList).toEqual([]);
  });

  it('when resolved, then every reference names an entry of the file and each app service gets an environment the server accepts', () => {
    const file = blueprint();
    for (const service of appServices(file)) {
      const env = environmentOf(service, file);
      expect(configProblems(env), service.name).toEqual([]);
      // Render sends SIGTERM and kills after maxShutdownDelaySeconds (default 30).
      const drain = Number.parseInt(env.SHUTDOWN_DELAY ?? '0', 10) + Number.parseInt(env.SHUTDOWN_TIMEOUT ?? '10', 10);
      expect(service.maxShutdownDelaySeconds ?? 30, service.name).toBeGreaterThan(drain);
    }
  });

  it('when a reference names nothing in the file, then resolving fails (so the check above has teeth)', () => {
    const file = blueprint();
    const commerce = appServices(file).find((s) => deploymentOf(s) === 'commerce') as RenderService;
    const broken = {
      ...commerce,
      envVars: [{ key: 'REDIS_URL', fromService: { type: 'keyvalue', name: 'no-such-kv', property: 'connectionString' } }],
    };
    expect(() => environmentOf(broken, file)).toThrow(/no-such-kv/);
    const withoutGroup = { ...commerce, envVars: commerce.envVars?.filter((e) => !e.fromGroup) };
    expect(configProblems(environmentOf(withoutGroup, file)).join('\n')).toMatch(/JWT_SECRET/);
  });

  it('when the services share secrets, then they come from one group with generated values, linked by every app service', () => {
    const file = blueprint();
    const shared = file.envVarGroups.find((g) => g.envVars.some((e) => e.key === 'JWT_SECRET'));
    for (const key of ['JWT_SECRET', 'PAYMENT_SANDBOX_WEBHOOK_SECRET']) {
      expect(shared?.envVars.find((e) => e.key === key)?.generateValue, key).toBe(true);
    }
    for (const service of appServices(file)) {
      expect(
        service.envVars?.some((e) => e.fromGroup === shared?.name),
        service.name,
      ).toBe(true);
      expect(
        service.envVars?.some((e) => e.key === 'JWT_SECRET'),
        `${service.name} must not define its own JWT_SECRET`,
      ).toBe(false);
    }
  });

  it('when NATS runs on Render, then it is a private service of the file, with JetStream on a disk, at the host NATS_URL names', () => {
    const file = blueprint();
    const natsUrl = file.envVarGroups.flatMap((g) => g.envVars).find((e) => e.key === 'NATS_URL')?.value as string;
    const nats = file.services.find((s) => s.name === new URL(natsUrl).hostname);
    expect(nats?.type).toBe('pserv');
    expect(nats?.image?.url).toMatch(/nats:2/);
    expect(nats?.dockerCommand).toMatch(/-js\b/);
    expect(nats?.dockerCommand).toContain(`-sd ${nats?.disk?.mountPath}`);
    expect(nats?.dockerCommand).toContain(`-p ${new URL(natsUrl).port}`);
  });

  it("when the gateway starts, then each routed service's upstream is that private service's host:port", () => {
    const file = blueprint();
    const gateway = file.services.find((s) => s.type === 'web') as RenderService;
    const env = environmentOf(gateway, file);
    for (const service of SERVICES) {
      const target = appServices(file).find((s) => deploymentOf(s) === service);
      expect(env[`${service.toUpperCase()}_UPSTREAMS`], service).toBe(`${target?.name}:3000`);
    }
  });
});
