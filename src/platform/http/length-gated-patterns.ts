/**
 * Ajv with `allErrors` checks every keyword of a string, so a `pattern` still runs over a 1 MB
 * value whose `maxLength` already failed: any super-linear regular expression then blocks the
 * event loop. The request validator compiles each schema with its patterns gated by the length
 * bound beside them (`pattern` only when `maxLength` holds). The published OpenAPI document keeps
 * the plain schemas; only what Ajv compiles is rewritten.
 */
import { AjvCompiler } from '@fastify/ajv-compiler';

type Json = unknown;

/** Returns a copy of `schema` where every `{ maxLength, pattern }` checks the pattern only within the length. */
export function gatePatternsByLength(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(gatePatternsByLength);
  if (schema === null || typeof schema !== 'object') return schema;
  const node: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema)) node[key] = gatePatternsByLength(value);
  if (typeof node.pattern !== 'string' || typeof node.maxLength !== 'number') return node;
  const { pattern, ...rest } = node;
  // biome-ignore lint/suspicious/noThenProperty: `then` is a JSON Schema keyword here, not a thenable.
  const gate = { if: { maxLength: node.maxLength }, then: { pattern } };
  return { ...rest, allOf: [...(Array.isArray(rest.allOf) ? rest.allOf : []), gate] };
}

type BuildValidator = ReturnType<typeof AjvCompiler>;

/** Fastify's standard Ajv validator compiler, fed the length-gated schemas. */
export function lengthGatedValidatorCompiler(): BuildValidator {
  const standard = AjvCompiler();
  return ((externalSchemas: Record<string, Json>, options: Parameters<BuildValidator>[1]) => {
    const gatedExternals = Object.fromEntries(Object.entries(externalSchemas).map(([id, s]) => [id, gatePatternsByLength(s)]));
    const build = standard(gatedExternals as never, options);
    return (route: { schema: Json }) => build({ ...route, schema: gatePatternsByLength(route.schema) } as never);
  }) as BuildValidator;
}
