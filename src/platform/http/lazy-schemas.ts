/**
 * Route schemas compiled when they are first needed instead of while the app starts. Compiling
 * every route's validators (Ajv) and serializers (fast-json-stringify) up front was about a third
 * of the CPU a start took (issue #17). The compilers and what they produce are Fastify's own; only
 * the moment changes: a route compiles on its first request, and `compileAll` compiles the rest
 * in the background once the app is ready, so a few seconds later the process is where an eager
 * start would have left it.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type SerializerFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']
>;

/** What Fastify hands a schema compiler for one schema of one route. */
interface RouteSchema {
  schema: unknown;
  method?: string;
  url?: string;
  httpPart?: string;
  httpStatus?: string;
}
type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown; schemaEnv?: unknown };
type Compile = (route: RouteSchema) => Compiled;
/** Fastify's `compilersFactory` builders: one compiler per plugin context and its shared schemas. */
type Builder = (externalSchemas: never, options?: never) => (route: never) => unknown;
type AnyBuilder = (externalSchemas: unknown, options?: unknown) => Compile;

/** The serializer builder Fastify uses when none is given (@fastify/fast-json-stringify-compiler, as Fastify resolves it). */
export function defaultSerializerBuilder(): SerializerFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  return (fromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)();
}

export interface LazySchemas<V extends Builder, S extends Builder> {
  /** For Fastify's `schemaController.compilersFactory`. */
  readonly compilersFactory: { buildValidator: V; buildSerializer: S };
  /**
   * Compiles every schema not compiled yet, one per event-loop turn so requests keep being served
   * in between. Stops early when `signal` aborts. Rejects with the failures (route and message)
   * after trying them all: a schema that does not compile fails its route's requests with a 500.
   */
  compileAll(signal?: AbortSignal): Promise<void>;
  /** Schemas registered but not compiled yet. */
  readonly pending: number;
}

/** Wraps the validator and serializer builders so each route schema compiles on first use. */
export function lazySchemas<V extends Builder, S extends Builder>(builders: { buildValidator: V; buildSerializer: S }): LazySchemas<V, S> {
  const pending = new Map<() => Compiled, RouteSchema>();

  const lazily =
    (build: AnyBuilder, wrap: (compiled: () => Compiled) => Compiled): AnyBuilder =>
    (externalSchemas, options) => {
      // Building the compiler (an Ajv instance holding the context's shared schemas) waits too.
      let compiler: Compile | undefined;
      return (route) => {
        let fn: Compiled | undefined;
        const compiled = () => {
          if (!fn) {
            compiler ??= build(externalSchemas, options);
            fn = compiler(route);
            pending.delete(compiled);
          }
          return fn;
        };
        pending.set(compiled, route);
        return wrap(compiled);
      };
    };

  return {
    compilersFactory: {
      buildValidator: lazily(builders.buildValidator as unknown as AnyBuilder, lazyValidator) as unknown as V,
      buildSerializer: lazily(
        builders.buildSerializer as unknown as AnyBuilder,
        (compiled) => ((data: unknown) => compiled()(data)) as Compiled,
      ) as unknown as S,
    },
    async compileAll(signal) {
      const failures: string[] = [];
      for (const [compiled, route] of [...pending]) {
        await new Promise((resolve) => setImmediate(resolve));
        if (signal?.aborted) return;
        try {
          compiled();
        } catch (err) {
          pending.delete(compiled);
          failures.push(`${route.method} ${route.url} ${route.httpPart ?? `response ${route.httpStatus}`}: ${(err as Error).message}`);
        }
      }
      if (failures.length > 0) throw new Error(`route schemas that do not compile:\n${failures.join('\n')}`);
    },
    get pending() {
      return pending.size;
    },
  };
}

/**
 * A validator that compiles on its first call. Fastify reads two properties of Ajv's validators:
 * `schemaEnv` before the call (Ajv then may coerce or default the root value in place) and
 * `errors` after it, so both are forwarded to the compiled function.
 */
function lazyValidator(compiled: () => Compiled): Compiled {
  const validate = function (this: unknown, ...args: unknown[]) {
    return compiled().apply(this, args);
  } as Compiled;
  Object.defineProperties(validate, {
    schemaEnv: { get: () => compiled().schemaEnv },
    errors: { get: () => compiled().errors },
  });
  return validate;
}
