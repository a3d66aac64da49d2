/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document: values that should pass
 * a schema, and values that should not (one node of a valid value replaced by something hostile).
 * Only what the contract fuzz test needs; unknown keywords fall back to any JSON.
 */
import fc from 'fast-check';

export type Schema = Record<string, unknown>;
type Components = Record<string, Schema>;

const HOSTILE: unknown[] = [
  null,
  '',
  ' ',
  '\u0000',
  'x'.repeat(5_000),
  '\u202Eevil',
  -1,
  0,
  1.5,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  -1e308,
  true,
  [],
  {},
  { __proto__: { polluted: 1 } },
  '0190a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b',
  '2024-02-30T25:61:00Z',
  '../../etc/passwd',
  "' or 1=1 --",
];

/** A pool of ids the server has answered with, so path parameters sometimes name real objects. */
export interface IdPool {
  pick(n: number): string | undefined;
}

export function createSchemaArbitraries(components: Components, ids: IdPool) {
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const target = components[ref.replace('#/components/schemas/', '')];
    return target ? resolve(target) : {};
  };

  function stringArb(schema: Schema): fc.Arbitrary<string> {
    const min = (schema.minLength as number | undefined) ?? 0;
    const max = Math.min((schema.maxLength as number | undefined) ?? 40, Math.max(min, 40));
    const fits = (s: string) => s.length >= min && s.length <= ((schema.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY);
    const examples = (schema.examples as string[] | undefined) ?? [];
    let arb: fc.Arbitrary<string>;
    switch (schema.format) {
      case 'uuid':
        return fc.oneof(
          fc.nat().map((n) => ids.pick(n) ?? '0190a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b'),
          fc.uuid({ version: 7 }),
        );
      case 'date-time':
        return fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      case 'date':
        return fc
          .date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      case 'email':
        arb = fc.emailAddress().filter((e) => e.length <= 254);
        break;
      case 'uri':
        arb = fc.webUrl();
        break;
      default:
        if (typeof schema.pattern === 'string') {
          let matching: fc.Arbitrary<string> | undefined;
          try {
            // fast-check builds Unicode property classes slowly; plain strings and examples cover those.
            if (/\\[pP]\{/.test(schema.pattern)) throw new Error('unicode property class');
            matching = fc.stringMatching(new RegExp(schema.pattern, 'u'), { size: 'xsmall' }).filter(fits);
          } catch {
            matching = undefined;
          }
          arb = fc.oneof(
            ...[matching, examples.length ? fc.constantFrom(...examples) : undefined].filter(
              (a): a is fc.Arbitrary<string> => a !== undefined,
            ),
            fc.string({ minLength: Math.max(min, 1), maxLength: max }),
          );
        } else {
          arb = fc.string({ minLength: min, maxLength: max, unit: 'grapheme' });
        }
    }
    return examples.length ? fc.oneof(fc.constantFrom(...examples), arb) : arb;
  }

  const memo = new Map<Schema, fc.Arbitrary<unknown>>();
  function valid(input: Schema, depth = 0): fc.Arbitrary<unknown> {
    const known = memo.get(input);
    if (known) return known;
    const arb = build(input, depth);
    memo.set(input, arb);
    return arb;
  }

  function build(input: Schema, depth: number): fc.Arbitrary<unknown> {
    const schema = resolve(input);
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
    const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (union?.length) return fc.oneof(...union.map((s) => valid(s, depth + 1)));
    if (Array.isArray(schema.allOf) && schema.allOf.length)
      return valid({ ...schema, allOf: undefined, ...(schema.allOf[0] as Schema) }, depth);
    const type = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (type.length > 1) return fc.oneof(...type.map((t) => valid({ ...schema, type: t }, depth)));
    switch (type[0]) {
      case 'string':
        return stringArb(schema);
      case 'integer': {
        const min = (schema.minimum as number | undefined) ?? (schema.exclusiveMinimum as number | undefined) ?? -1_000;
        const max = (schema.maximum as number | undefined) ?? 1_000_000;
        return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) });
      }
      case 'number':
        return fc.double({
          min: (schema.minimum as number | undefined) ?? -1e6,
          max: (schema.maximum as number | undefined) ?? 1e6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        if (depth > 4) return fc.constant([]);
        const items = (schema.items as Schema | undefined) ?? {};
        const minLength = (schema.minItems as number | undefined) ?? 0;
        return fc.array(valid(items, depth + 1), {
          minLength,
          maxLength: Math.min((schema.maxItems as number | undefined) ?? 4, minLength + 4),
        });
      }
      case 'object': {
        if (depth > 4) return fc.constant({});
        const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
        const required = (schema.required as string[] | undefined) ?? [];
        const record = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valid(s, depth + 1)]));
        return fc.record(record, { requiredKeys: required.filter((k) => k in properties) });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** A valid value with one node (or the whole) replaced by a hostile one. */
  function invalid(schema: Schema): fc.Arbitrary<unknown> {
    return fc
      .tuple(valid(schema), fc.nat(), fc.constantFrom(...HOSTILE), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
      .map(([value, at, hostile, junk, useJunk]) => replaceNode(structuredClone(value), at, useJunk ? junk : hostile));
  }

  return { valid, invalid, resolve };
}

/** Replaces the `at`-th node (in a walk of `value`) by `by`; the root when there is no such node. */
function replaceNode(value: unknown, at: number, by: unknown): unknown {
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      slots.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(key) : key });
      walk(child);
    }
  };
  walk(value);
  if (!slots.length || at % (slots.length + 1) === slots.length) return by;
  const slot = slots[at % (slots.length + 1)];
  if (slot) (slot.parent as Record<string, unknown>)[slot.key] = by;
  return value;
}
