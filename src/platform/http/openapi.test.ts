import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

interface Operation {
  'x-access'?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, Record<string, string>>; schemas?: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let apiOperations: { name: string; op: Operation }[];

  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.request({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
    apiOperations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
      );
  });
  afterAll(() => t.close());

  it('when a browser opens the server root, then it is sent to the docs', async () => {
    const res = await t.request({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/docs');
  });

  it('when fetched, then it is OpenAPI 3.1 with a bearer security scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    expect(doc.components.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('when listing operations under /api, then the identity routes are there', () => {
    const names = apiOperations.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/users/me', 'GET /api/v1/admin/users']));
  });

  it('when any operation under /api is read, then it carries x-access, and bearer security exactly when not public', () => {
    const wrong = apiOperations.flatMap(({ name, op }) => {
      const access = op['x-access'];
      const bearer = (op.security ?? []).some((s) => 'bearerAuth' in s);
      if (access !== 'public' && access !== 'user' && access !== 'admin') return [`${name}: x-access is ${String(access)}`];
      if (access === 'public' && bearer) return [`${name}: public but asks for bearerAuth`];
      if (access !== 'public' && !bearer) return [`${name}: ${access} without bearerAuth security`];
      return [];
    });
    expect(wrong).toEqual([]);
  });

  it('when an operation needs a token, then it documents 401 (and 403 for admin)', () => {
    const wrong = apiOperations.flatMap(({ name, op }) => {
      const codes = Object.keys(op.responses ?? {});
      const missing = [];
      if (op['x-access'] !== 'public' && !codes.includes('401')) missing.push(`${name}: no 401`);
      if (op['x-access'] === 'admin' && !codes.includes('403')) missing.push(`${name}: no 403`);
      return missing;
    });
    expect(wrong).toEqual([]);
  });

  it('when any operation is read, then it documents the platform’s errors: 400 always, 429 unless exempt, 404/414 with path parameters, 413/415 with a body', () => {
    const wrong = apiOperations.flatMap(({ name, op }) => {
      const codes = Object.keys(op.responses ?? {});
      const expected = ['400'];
      if (!name.includes('/webhook')) expected.push('429');
      if (name.includes('{')) expected.push('404', '414');
      if (/^(POST|PUT|PATCH) /.test(name)) expected.push('413', '415');
      return expected.filter((code) => !codes.includes(code)).map((code) => `${name}: no ${code}`);
    });
    expect(wrong).toEqual([]);
  });

  it('when a parameter has a default, then it is not required of the client', () => {
    const wrong = apiOperations.flatMap(({ name, op }) =>
      ((op as { parameters?: { name: string; required?: boolean; schema?: { default?: unknown } }[] }).parameters ?? [])
        .filter((p) => p.schema?.default !== undefined && p.required)
        .map((p) => `${name}: ${p.name}`),
    );
    expect(wrong).toEqual([]);
    const bodies = apiOperations.flatMap(({ name, op }) => {
      const schema = (
        op as {
          requestBody?: {
            content?: Record<string, { schema?: { properties?: Record<string, { default?: unknown }>; required?: string[] } }>;
          };
        }
      ).requestBody?.content?.['application/json']?.schema;
      return (schema?.required ?? [])
        .filter((field) => schema?.properties?.[field]?.default !== undefined)
        .map((field) => `${name}: ${field}`);
    });
    expect(bodies).toEqual([]);
    const links = doc.paths['/api/v1/files/{id}/links']?.post as {
      requestBody: { content: { 'application/json': { schema: { properties: object } } } };
    };
    expect(links.requestBody.content['application/json'].schema.properties).toHaveProperty('expiresIn');
    const products = doc.paths['/api/v1/products']?.get as { parameters: { name: string; required?: boolean }[] };
    expect(products.parameters.find((p) => p.name === 'limit')?.required).toBe(false);
  });

  it('when any operation under /api is read, then it documents a success response', () => {
    const wrong = apiOperations
      .filter(({ op }) => !Object.keys(op.responses ?? {}).some((code) => /^2\d\d$/.test(code)))
      .map(({ name }) => name);
    expect(wrong).toEqual([]);
  });

  it('when specific routes are read, then their access is what the code declares', () => {
    const accessOf = (name: string) => apiOperations.find((o) => o.name === name)?.op['x-access'];
    expect(accessOf('POST /api/v1/auth/login')).toBe('public');
    expect(accessOf('GET /api/v1/users/me')).toBe('user');
    expect(accessOf('GET /api/v1/admin/users')).toBe('admin');
  });

  it('when an operation documents an error response, then its media type is application/problem+json', () => {
    const errors = apiOperations.flatMap(({ name, op }) =>
      Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>)
        .filter(([status, response]) => /^[45]/.test(status) && response.content)
        .map(([status, response]) => ({ name: `${name} ${status}`, types: Object.keys(response.content ?? {}) })),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.filter((e) => e.types.join() !== 'application/problem+json')).toEqual([]);
  });

  it('when the document is served, then the problem schema is a shared component', () => {
    expect(doc.components.schemas).toHaveProperty('Problem');
  });
});
