/**
 * Checks an upstream's JSON against a TypeBox schema compiled once. An upstream is outside our
 * control: anything that does not match is refused here, before a field of it is used.
 */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Why a body was refused: the first few mismatches as JSON pointers, for the log. */
export class DecodeError extends Error {
  constructor(readonly problems: string[]) {
    super(`unexpected upstream body: ${problems.join('; ')}`);
    this.name = 'DecodeError';
  }
}

/** Returns a function that returns `body` typed by `schema`, or throws DecodeError. */
export function compileDecoder<S extends TSchema>(schema: S): (body: unknown) => Static<S> {
  const validator = Compile(schema);
  return (body) => {
    if (validator.Check(body)) return body as Static<S>;
    const problems = validator
      .Errors(body)
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new DecodeError(problems.length ? problems : ['does not match the schema']);
  };
}
