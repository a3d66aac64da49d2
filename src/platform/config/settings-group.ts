/**
 * A settings group: the variables one owner (the platform, or one module) reads, declared in
 * the owner's own folder with documentation, example, default and parser, plus the checks that
 * judge several of them together. The app composes the groups (src/settings.ts); each owner
 * types only its own keys (`ConfigOf<typeof shopSettings>`).
 */
import type { Parser } from './parsers.js';

/** One environment variable: what it means, how it is shown in the docs, and how it is read. */
export interface Setting<T> {
  doc: string;
  /** Shown in .env.example; commented out unless it equals the default. */
  example: string;
  /** `undefined` means the variable is optional and has no default. */
  default?: string;
  parse: Parser<T>;
}

/** A group's variables by name, in the order of the docs. */
export type SettingsMap = Record<string, Setting<unknown>>;

/** The raw environment: every value a string, absent or empty meaning unset. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Judges variables together, on the raw environment (so a partner that is given but invalid is
 * reported once, by its parser, for what it is). `given(key)`: the variable is set and not blank;
 * any key may be asked, also another group's (the shop asks for DATABASE_URL). Returns problems.
 */
export type SettingsCheck = (given: (key: string) => boolean, env: Env) => string[];

/** A declared group; compose it into `loadConfig`, read it back with `read`. */
export interface SettingsGroup<S extends SettingsMap = SettingsMap> {
  /** Who reads these variables: 'platform' or a module's name (its folder under src/modules). */
  readonly owner: string;
  readonly settings: S;
  readonly check?: SettingsCheck;
  /**
   * The loaded configuration seen with this group's keys typed. Throws when the group was not
   * loaded (not composed into the app's settings), instead of handing out `undefined`s.
   */
  read<C extends object>(config: C): C & ValuesOf<S>;
}

/** The parsed values of declared variables; optional ones without a default may be `undefined`. */
export type ValuesOf<S extends SettingsMap> = {
  readonly [K in keyof S]: S[K] extends { default: string } ? ReturnType<S[K]['parse']> : ReturnType<S[K]['parse']> | undefined;
};

/** The parsed values of a group's variables: what its owner reads (`ConfigOf<typeof shopSettings>`). */
export type ConfigOf<G> = G extends SettingsGroup<infer S> ? ValuesOf<S> : never;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The parsed values of several groups together. */
export type ConfigOfGroups<G extends readonly SettingsGroup[]> = UnionToIntersection<ConfigOf<G[number]>>;

/** Declares the variables `owner` reads, and optionally the check that judges them together. */
export function defineSettings<S extends SettingsMap>(
  owner: string,
  settings: S,
  options: { check?: SettingsCheck } = {},
): SettingsGroup<S> {
  const keys = Object.keys(settings);
  return {
    owner,
    settings,
    ...(options.check ? { check: options.check } : {}),
    read<C extends object>(config: C) {
      const missing = keys.filter((key) => !(key in config));
      if (missing.length) {
        throw new Error(`The settings of ${owner} were not loaded (missing ${missing.join(', ')}): compose the group into loadConfig`);
      }
      return config as C & ValuesOf<S>;
    },
  };
}
