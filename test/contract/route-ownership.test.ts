/**
 * The split serves exactly what all-in-one serves: every route has one owner in ROUTES, that
 * owner really serves it, no two services serve the same route, and the worker serves none.
 * The gateway's config is generated from ROUTES, so a route missing here would be a 404 there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, type DeploymentName, FALLBACK_SERVICE, SERVICES, serviceFor } from '../../src/deployments.js';
import { createTestApp, type TestApp } from '../test-app.js';

/**
 * Every process answers these for itself (health, CORS preflights); the gateway serves the
 * all-in-one document and docs.
 */
const OWN_PER_PROCESS = /^(\*|\/health\/.*|\/openapi\.json|\/docs(\/.*)?)$/;

const seen = new Map<DeploymentName, Set<string>>();
const apps: TestApp[] = [];

async function routesOf(deployment: DeploymentName): Promise<Set<string>> {
  const t = await createTestApp({ deployment });
  apps.push(t);
  return new Set(t.routes);
}

describe('route ownership of the split', () => {
  beforeAll(async () => {
    for (const name of Object.keys(DEPLOYMENTS) as DeploymentName[]) seen.set(name, await routesOf(name));
  }, 120_000);
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  const api = (name: DeploymentName) => [...(seen.get(name) ?? [])].filter((r) => !OWN_PER_PROCESS.test(r.split(' ')[1] ?? ''));

  it('every route of all-in-one is served by the service ROUTES names for it, and by no other', () => {
    const all = api('all-in-one');
    expect(all.length).toBeGreaterThan(50);
    for (const route of all) {
      const path = route.split(' ')[1] ?? '';
      const servedBy = SERVICES.filter((s) => seen.get(s)?.has(route));
      const owner = path === '/' ? FALLBACK_SERVICE : serviceFor(path);
      expect(owner, `${route} has no owner in ROUTES`).toBeDefined();
      expect({ route, servedBy }).toEqual({ route, servedBy: [owner] });
    }
  });

  it('the services together serve nothing all-in-one does not', () => {
    const all = new Set(api('all-in-one'));
    for (const service of SERVICES) for (const route of api(service)) expect(all.has(route), `${service}: ${route}`).toBe(true);
  });

  it('the worker serves only its health checks', () => {
    expect(api('worker')).toEqual([]);
    expect([...(seen.get('worker') ?? [])].every((r) => /^((GET|HEAD) \/health\/|OPTIONS \*$)/.test(r))).toBe(true);
  });
});
