/**
 * A property-based fuzz of the whole API, driven by its own OpenAPI document: for every
 * operation, valid and hostile path parameters, queries, headers and bodies, as an anonymous
 * caller, a user and an admin. It fails on any 5xx (but a documented upstream 502-504), any status
 * the operation does not declare, any 2xx body that breaks its response schema, and any error
 * that is not a problem document. Bounded (FUZZ_RUNS, default 2,000) and seeded (FUZZ_SEED); the
 * seed is printed with every failure, so a failing run can be repeated.
 */
import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../test-app.js';
import { createAnswerContract } from './answer-contract.js';
import { createSchemaArbitraries, type Schema } from './schema-arbitrary.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options'];
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
type Role = 'anonymous' | 'user' | 'admin';
interface FuzzRequest {
  op: Operation;
  role: Role;
  inject: InjectOptions;
}

const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

/**
 * A path parameter as one URL segment. `.` and `..` (also percent-encoded) are dot segments
 * that inject's URL parser removes, as HTTP clients do (RFC 3986, 5.2.4), so the request would
 * reach another route than the one generated; they are sent with a character appended. An
 * empty value becomes a space so the segment is not lost.
 */
const pathSegment = (value: string) => {
  if (value === '') return '%20';
  if (value === '.' || value === '..') return encodeURIComponent(`${value}~`);
  return encodeURIComponent(value);
};

describe('contract fuzz', () => {
  let t: TestApp;
  let ops: Operation[];
  let doc: { components: { schemas: Record<string, Schema> }; paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> };
  const ids: string[] = [];
  const tokens: Partial<Record<Role, TestUser>> = {};
  // The configured admin never takes part: it makes a fresh fuzzing admin whenever the fuzz has
  // revoked, demoted or renamed the last one. Its id is kept out of the pool.
  let root: TestUser;

  async function freshAdmin(): Promise<TestUser> {
    const user = await t.createUser();
    const res = await t.request({ method: 'PATCH', url: `/api/v1/admin/users/${user.id}`, token: root.token, payload: { role: 'admin' } });
    if (res.statusCode !== 200) throw new Error(`promotion failed: ${res.statusCode} ${res.body}`);
    return t.login(user.email, user.password);
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { CATALOG_SEED_ON_EMPTY: 'true' } });
    doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ ...op, method, path })),
    );
    tokens.user = await t.createUser();
    root = await t.admin();
    tokens.admin = await freshAdmin();
    const products = (await t.request({ method: 'GET', url: '/api/v1/products?limit=20' })).json();
    remember(products);
  });
  afterAll(() => t?.close());

  function remember(body: unknown) {
    for (const id of asText(body).match(UUID_IN_TEXT) ?? []) {
      if (id !== root?.id && !ids.includes(id)) ids.push(id);
      if (ids.length > 300) ids.shift();
    }
  }

  function requestArbitrary(): fc.Arbitrary<FuzzRequest> {
    const schemas = createSchemaArbitraries(doc.components.schemas, { pick: (n) => (ids.length ? ids[n % ids.length] : undefined) });
    const value = (schema: Schema, good: boolean) => (good ? schemas.valid(schema) : schemas.invalid(schema));
    return fc.oneof(...ops.map((op) => operationArbitrary(op, value)));
  }

  function operationArbitrary(op: Operation, value: (schema: Schema, good: boolean) => fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> {
    const params = op.parameters ?? [];
    const jsonBody = op.requestBody?.content['application/json'];
    const otherBody = op.requestBody && !jsonBody ? Object.keys(op.requestBody.content)[0] : undefined;
    return fc
      .record({
        role: fc.constantFrom<Role>('anonymous', 'user', 'user', 'admin', 'admin'),
        // Mostly valid input, so requests get past validation and exercise the handlers.
        goodParams: fc.nat(9).map((n) => n < 7),
        goodBody: fc.nat(9).map((n) => n < 6),
        params: fc.tuple(...params.map((p) => fc.tuple(fc.boolean(), value(p.schema, true), value(p.schema, false)))),
        body: jsonBody?.schema ? fc.tuple(value(jsonBody.schema, true), value(jsonBody.schema, false)) : fc.constant(undefined),
        bytes: fc.uint8Array({ maxLength: 64 }),
      })
      .map(({ role, goodParams, goodBody, params: values, body, bytes }) => {
        let url = op.path;
        const query: string[] = [];
        const headers: Record<string, string> = {};
        params.forEach((p, i) => {
          const [include, good, bad] = values[i] as [boolean, unknown, unknown];
          const raw = goodParams ? good : bad;
          // An empty segment would address another route (trailing slashes are ignored).
          if (p.in === 'path') url = url.replace(`{${p.name}}`, pathSegment(asText(raw)));
          else if (p.required || include || !goodParams) {
            if (p.in === 'query')
              for (const v of Array.isArray(raw) ? raw : [raw]) query.push(`${p.name}=${encodeURIComponent(asText(v))}`);
            else if (p.in === 'header') headers[p.name] = asText(raw).replace(/[^\x20-\x7e]/g, '');
          }
        });
        const inject: InjectOptions = {
          method: op.method.toUpperCase() as 'GET',
          url: query.length ? `${url}?${query.join('&')}` : url,
          headers,
          // Its own client address: the login locks the fuzz earns must not lock out the
          // helper logins (from 127.0.0.1) that replace revoked tokens.
          remoteAddress: '127.0.0.2',
        };
        if (body) {
          inject.payload = JSON.stringify(goodBody ? body[0] : body[1]) ?? 'null';
          headers['content-type'] = 'application/json';
        } else if (otherBody) {
          inject.payload = Buffer.from(bytes);
          headers['content-type'] = otherBody;
        }
        return { op, role, inject };
      });
  }

  it(`when ${RUNS} generated requests are sent (seed ${SEED}), then every answer keeps the contract`, { timeout: 600_000 }, async () => {
    const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
    // ajv-formats is CommonJS: its default export is the plugin itself at run time.
    (formats as unknown as typeof formats.default)(ajv);
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const validators = new Map<Schema, ReturnType<typeof ajv.compile>>();
    const validatorFor = (schema: Schema) => {
      let v = validators.get(schema);
      if (!v) {
        v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
        validators.set(schema, v);
      }
      return v;
    };

    const answerContract = createAnswerContract(doc);
    const violations: string[] = [];
    const samples = fc.sample(requestArbitrary(), { numRuns: RUNS, seed: SEED });
    for (const [i, { op, role, inject }] of samples.entries()) {
      const who = role === 'anonymous' ? undefined : tokens[role];
      // Judged here, not by the test app, so every violation is listed with the seed.
      const res = await t.request({ ...inject, token: who?.token, contract: false });
      const status = res.statusCode;
      const name = `#${i} ${inject.method} ${String(inject.url).slice(0, 160)} as ${role} -> ${status}`;
      const declared = op.responses[String(status)] ?? op.responses.default;
      const broken = answerContract(inject.method ?? 'GET', String(inject.url), res);
      const type = String(res.headers['content-type'] ?? '');
      if (status >= 500 && !(declared && status >= 502 && status <= 504))
        violations.push(`${name}: server error ${res.body.slice(0, 200)}`);
      else if (broken) violations.push(`${name}: ${broken} (${res.body.slice(0, 160)})`);
      else if (status >= 200 && status < 300 && type.includes('application/json')) {
        const schema = declared?.content?.['application/json']?.schema;
        if (schema) {
          const validate = validatorFor(schema);
          if (!validate(res.json())) violations.push(`${name}: body breaks its schema: ${ajv.errorsText(validate.errors)}`);
        }
        remember(res.body);
      }
      // A token the fuzz revoked (logout, password change, deleted account) is replaced.
      if (who && status === 401 && role !== 'anonymous') tokens[role] = role === 'admin' ? await freshAdmin() : await t.createUser();
      if (violations.length >= 20) break;
    }
    expect(violations, `contract violations (repeat with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`).toEqual([]);
  });
});
