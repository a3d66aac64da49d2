/**
 * Reads the environment once for every composed settings group: parses each variable, runs
 * each group's checks, and fails with every problem named, or returns one frozen object.
 */
import type { ConfigOfGroups, Env, SettingsGroup } from './settings-group.js';

/** Raised when one or more variables are invalid; `problems` names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates `env` for `groups` (in their order). Empty strings count as unset.
 * Throws ConfigError naming every bad variable: first each parser's refusal, then each group's
 * check. Two groups declaring the same variable is a programming error and throws at once.
 */
export function loadConfig<const G extends readonly SettingsGroup[]>(env: Env, groups: G): ConfigOfGroups<G> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const owners = new Map<string, string>();
  for (const group of groups) {
    for (const [key, setting] of Object.entries(group.settings)) {
      const owner = owners.get(key);
      if (owner !== undefined) throw new Error(`${key} is declared by both ${owner} and ${group.owner}`);
      owners.set(key, group.owner);
      const raw = env[key]?.trim() || setting.default;
      if (raw === undefined) {
        out[key] = undefined;
        continue;
      }
      try {
        out[key] = setting.parse(raw);
      } catch (err) {
        problems.push(`${key} ${(err as Error).message}`);
      }
    }
  }
  const given = (key: string) => Boolean(env[key]?.trim());
  for (const group of groups) problems.push(...(group.check?.(given, env) ?? []));
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOfGroups<G>;
}
