/**
 * The gateway serves the all-in-one OpenAPI document for the split (exported at build time), so
 * the services' own documents together must describe exactly the same API: the same paths and
 * operations, and the same schemas. Only texts that name the running process (info) may differ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, serviceFor } from '../../src/deployments.js';
import { createTestApp, type TestApp } from '../test-app.js';

interface Document {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

async function documentOf(app: TestApp): Promise<Document> {
  const res = await app.request({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json() as Document;
}

describe('OpenAPI documents of the split', () => {
  const documents = new Map<string, Document>();

  beforeAll(async () => {
    for (const deployment of ['all-in-one', ...SERVICES] as const) {
      const app = await createTestApp({ deployment });
      try {
        documents.set(deployment, await documentOf(app));
      } finally {
        await app.close();
      }
    }
  });

  afterAll(() => documents.clear());

  const services = () => SERVICES.map((service) => ({ service, doc: documents.get(service) as Document }));
  const allInOne = () => documents.get('all-in-one') as Document;

  it('when the services document their paths, then together they are exactly the paths of all-in-one, each in the service that owns it', () => {
    const merged: Record<string, Record<string, unknown>> = {};
    for (const { service, doc } of services()) {
      for (const [path, operations] of Object.entries(doc.paths)) {
        // /health/* is every process's own and the same everywhere.
        if (!path.startsWith('/health/')) expect({ path, owner: serviceFor(path) }).toEqual({ path, owner: service });
        for (const [method, operation] of Object.entries(operations)) {
          const existing = merged[path]?.[method];
          if (existing !== undefined) expect({ path, method, operation }).toEqual({ path, method, operation: existing });
          merged[path] = { ...merged[path], [method]: operation };
        }
      }
    }
    expect(Object.keys(merged).sort()).toEqual(Object.keys(allInOne().paths).sort());
    for (const [path, operations] of Object.entries(allInOne().paths)) {
      expect({ path, operations: merged[path] }).toEqual({ path, operations });
    }
  });

  it('when the services document schemas, then each is the same as in all-in-one and together they are all of them', () => {
    const merged: Record<string, unknown> = {};
    for (const { doc } of services()) {
      for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
        if (name in merged) expect({ name, schema }).toEqual({ name, schema: merged[name] });
        merged[name] = schema;
      }
      expect(doc.components?.securitySchemes).toEqual(allInOne().components?.securitySchemes);
    }
    const expected = allInOne().components?.schemas ?? {};
    expect(Object.keys(merged).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, schema] of Object.entries(expected)) expect({ name, schema: merged[name] }).toEqual({ name, schema });
  });
});
