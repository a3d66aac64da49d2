/**
 * deploy/k8s/: `kubectl kustomize` renders each overlay, and every object it yields is checked
 * against the Kubernetes schema (kubernetes-models) and against what the split needs: probes on
 * /health/ready and /health/live, a preStop delay inside the grace period, PodDisruptionBudgets,
 * Services that select their pods, a non-root read-only pod, and an environment the server
 * accepts. Skipped where kubectl is not installed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SERVICES } from '../../src/deployments.js';
import { configProblems, ROOT, sampleSecret, seconds } from './deploy-files.js';

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const OVERLAYS = readdirSync(join(ROOT, 'deploy/k8s/overlays'));

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field below
type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: any };

function render(overlay: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s/overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((doc) => doc.toJS() as Obj);
}

/** The kubernetes-models class of an object: `apps/v1` Deployment -> kubernetes-models/apps/v1/Deployment (core `v1` -> v1/). */
async function modelOf(object: Obj): Promise<new (data: Obj) => { validate(): void }> {
  const module = (await import(/* @vite-ignore */ `kubernetes-models/${object.apiVersion}/${object.kind}`)) as Record<string, unknown>;
  const model = module[object.kind];
  if (typeof model !== 'function') throw new Error(`no kubernetes-models class for ${object.apiVersion} ${object.kind}`);
  return model as new (
    data: Obj,
  ) => { validate(): void };
}

const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe.skipIf(!hasKubectl)('deploy/k8s', () => {
  it('when the overlays are listed, then there is one to render (production)', () => {
    expect(OVERLAYS).toContain('production');
  });

  it('when a Deployment loses its selector, then schema validation rejects it (so the check below has teeth)', async () => {
    const [deployment] = render('production').filter((o) => o.kind === 'Deployment');
    const Model = await modelOf(deployment as Obj);
    const broken = structuredClone(deployment as Obj);
    delete broken.spec.selector;
    expect(() => new Model(broken).validate()).toThrow(/selector/);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    let objects: Obj[];
    beforeAll(() => {
      objects = render(overlay);
    });
    const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
    const deployment = (name: string) => ofKind('Deployment').find((d) => d.metadata.name === name);

    it('when rendered, then every object is valid against the Kubernetes schema', async () => {
      expect(objects.length).toBeGreaterThan(10);
      for (const object of objects) {
        const Model = await modelOf(object);
        expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
      }
    });

    it('when rendered, then each routed service, the worker and the gateway have a Deployment; Services exist for all but the worker', () => {
      expect(
        ofKind('Deployment')
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual([...SERVICES, 'worker', 'gateway'].sort());
      expect(
        ofKind('Service')
          .map((s) => s.metadata.name)
          .sort(),
      ).toEqual([...SERVICES, 'gateway'].sort());
      for (const service of ofKind('Service')) {
        const target = deployment(service.metadata.name);
        expect(selects(service.spec.selector, target?.spec.template.metadata.labels), service.metadata.name).toBe(true);
        const portNames = target?.spec.template.spec.containers.flatMap((c: { ports?: { name: string }[] }) =>
          (c.ports ?? []).map((p) => p.name),
        );
        for (const port of service.spec.ports) expect(portNames, service.metadata.name).toContain(port.targetPort);
      }
      // Nothing secret is committed: the Secret is the operator's.
      expect(ofKind('Secret')).toEqual([]);
    });

    it('when a Deployment rolls or a node drains, then readiness and liveness probes, a PodDisruptionBudget and a preStop delay inside the grace period protect it', () => {
      const config = ofKind('ConfigMap').find((c) => c.metadata.name.startsWith('zaplecze-config'))?.data ?? {};
      for (const d of ofKind('Deployment')) {
        const name = d.metadata.name;
        const pod = d.spec.template.spec;
        const [container] = pod.containers;
        expect(container.readinessProbe?.httpGet?.path, name).toBe('/health/ready');
        expect(container.livenessProbe?.httpGet?.path, name).toBe('/health/live');
        const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
        expect(preStop?.[0], name).toBe('sleep');
        const app =
          name === 'gateway'
            ? { delay: 0, timeout: 10 }
            : { delay: seconds(config.SHUTDOWN_DELAY), timeout: seconds(config.SHUTDOWN_TIMEOUT) };
        expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThan(Number(preStop?.[1]) + app.delay + app.timeout);
        expect(container.resources?.requests?.cpu && container.resources?.limits?.memory, name).toBeTruthy();

        const budgets = ofKind('PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
        expect(budgets.length, `${name} has one PodDisruptionBudget`).toBe(1);
        // A budget that allows no disruption at all would block every node drain.
        if (budgets[0]?.spec.minAvailable !== undefined) expect(budgets[0].spec.minAvailable, name).toBeLessThan(d.spec.replicas);
        if (d.spec.replicas > 1) expect(d.spec.strategy?.rollingUpdate?.maxUnavailable, name).toBe(0);
      }
    });

    it("when a pod starts, then it meets the 'restricted' Pod Security Standard on a read-only root filesystem", () => {
      for (const d of ofKind('Deployment')) {
        const pod = d.spec.template.spec;
        expect(pod.securityContext?.runAsNonRoot, d.metadata.name).toBe(true);
        expect(pod.securityContext?.seccompProfile?.type, d.metadata.name).toBe('RuntimeDefault');
        for (const container of pod.containers) {
          expect(container.securityContext, d.metadata.name).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
          });
          expect(container.securityContext.capabilities?.drop, d.metadata.name).toEqual(['ALL']);
          // The only capability the standard lets a pod add back.
          for (const added of container.securityContext.capabilities?.add ?? []) expect(added, d.metadata.name).toBe('NET_BIND_SERVICE');
        }
      }
    });

    it('when an app service starts with the Secret holding the keys it references, then the server accepts its environment', () => {
      const configMaps = new Map(ofKind('ConfigMap').map((c) => [c.metadata.name, c.data as Record<string, string>]));
      const appDeployments = ofKind('Deployment').filter((d) => d.metadata.name !== 'gateway');
      expect(appDeployments.length).toBe(SERVICES.length + 1);
      for (const d of appDeployments) {
        const [container] = d.spec.template.spec.containers;
        const env: Record<string, string> = {};
        for (const source of container.envFrom ?? []) Object.assign(env, configMaps.get(source.configMapRef?.name) ?? {});
        for (const entry of container.env ?? []) {
          if (entry.value !== undefined) env[entry.name] = entry.value;
          const ref = entry.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name, entry.name).toBe('zaplecze-secrets');
            env[entry.name] = sampleSecret(ref.key) ?? '';
          }
        }
        expect(env.DEPLOYMENT).toBe(d.metadata.name);
        expect(configProblems(env), d.metadata.name).toEqual([]);
        // The shared secrets come from the Secret, never from the ConfigMap.
        for (const key of ['JWT_SECRET', 'DATABASE_URL', 'PAYMENT_SANDBOX_WEBHOOK_SECRET']) {
          expect(
            container.env.find((e: { name: string }) => e.name === key)?.valueFrom?.secretKeyRef,
            `${d.metadata.name} ${key}`,
          ).toBeDefined();
        }
      }
      for (const data of configMaps.values()) expect(Object.keys(data).filter((k) => /SECRET|PASSWORD|DATABASE_URL/.test(k))).toEqual([]);
    });

    it("when the gateway starts, then each service's upstream is that service's name and port", () => {
      const gateway = deployment('gateway')?.spec.template.spec.containers[0];
      const env = Object.fromEntries((gateway?.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
      for (const service of SERVICES) {
        const port = ofKind('Service').find((s) => s.metadata.name === service)?.spec.ports[0].port;
        expect(env[`${service.toUpperCase()}_UPSTREAMS`], service).toBe(`${service}:${port}`);
      }
      expect(env.PORT).toBe('3000');
    });
  });
});
