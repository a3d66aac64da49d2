/**
 * Ajv coerces query and path strings to numbers with JavaScript's loose rules, so " " becomes
 * 0, "0x10" becomes 16 and "1e3" becomes 1000. This hook checks, before validation, that every
 * numeric query or path parameter is written as a plain decimal number, and answers 400 with
 * the field path otherwise.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ValidationFailed } from './errors.js';

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const INTEGER = /^-?(0|[1-9]\d*)$/;

type Part = 'querystring' | 'params';
interface NumericField {
  part: Part;
  name: string;
  pattern: RegExp;
}

function numericFields(schema: unknown, part: Part): NumericField[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown; anyOf?: unknown[] }> } | undefined)?.properties;
  if (!properties) return [];
  return Object.entries(properties).flatMap(([name, prop]) => {
    const types = [prop.type, ...(prop.anyOf ?? []).map((s) => (s as { type?: unknown }).type)].flat();
    if (types.includes('integer')) return [{ part, name, pattern: INTEGER }];
    if (types.includes('number')) return [{ part, name, pattern: DECIMAL }];
    return [];
  });
}

/** Installs the check on every route that declares numeric query or path parameters. */
export function installStrictNumbers(app: FastifyInstance) {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as { querystring?: unknown; params?: unknown } | undefined;
    const fields = [...numericFields(schema?.querystring, 'querystring'), ...numericFields(schema?.params, 'params')];
    if (!fields.length) return;
    const check = async (request: FastifyRequest) => {
      for (const field of fields) {
        const source = (field.part === 'querystring' ? request.query : request.params) as Record<string, unknown> | undefined;
        const raw = source?.[field.name];
        for (const value of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
          if (typeof value === 'string' && !field.pattern.test(value)) {
            const path = `/${field.part}/${field.name}`;
            const message = field.pattern === INTEGER ? 'must be a whole number' : 'must be a decimal number';
            throw ValidationFailed(`${path} ${message}`, { errors: [{ path, message }] });
          }
        }
      }
    };
    const existing = route.preValidation;
    route.preValidation = [check, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
  });
}
