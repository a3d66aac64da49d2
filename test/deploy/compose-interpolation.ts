/**
 * Compose's variable interpolation, enough for compose.yaml: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$VAR` and `$$` (a literal dollar).
 * A required variable that is missing throws, as `docker compose` refuses to start.
 */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`required variable ${variable} is missing a value: ${detail}`);
  }
}

const PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    PATTERN,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const value = env[name as string];
      const emptyCounts = op?.startsWith(':') ?? false;
      const missing = value === undefined || (emptyCounts && value === '');
      if (op === ':-' || op === '-') return missing ? (arg ?? '') : (value as string);
      if (op === ':?' || op === '?') {
        if (missing) throw new MissingVariableError(name as string, arg ?? '');
        return value as string;
      }
      return value ?? '';
    },
  );
}

/** Interpolates every string of a parsed YAML tree. */
export function interpolateTree<T>(tree: T, env: Readonly<Record<string, string | undefined>>): T {
  if (typeof tree === 'string') return interpolate(tree, env) as T;
  if (Array.isArray(tree)) return tree.map((item) => interpolateTree(item, env)) as T;
  if (tree && typeof tree === 'object') {
    return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, interpolateTree(value, env)])) as T;
  }
  return tree;
}
