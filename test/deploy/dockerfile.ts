/**
 * Just enough of Docker's build inputs to check them without an engine: the Dockerfile's stages
 * and COPY instructions, and .dockerignore's rules (moby's patternmatcher semantics: `*`, `?`,
 * `**`, `!` exceptions, the last matching rule wins, an excluded folder excludes its contents).
 */
export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}
export interface Stage {
  name: string;
  base: string;
  copies: Copy[];
  runs: string[];
  env: Record<string, string>;
  workdir?: string;
}

/** The stages of a Dockerfile, in order (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.filter((a) => !a.startsWith('--platform='));
    const stage = stages.at(-1);
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages.push({ base: args[0] as string, name: args[2] ?? String(stages.length), copies: [], runs: [], env: {} });
        break;
      case 'COPY': {
        const from = args.find((a) => a.startsWith('--from='))?.slice('--from='.length);
        const paths = args.filter((a) => !a.startsWith('--'));
        stage?.copies.push({ from, sources: paths.slice(0, -1), destination: paths.at(-1) as string });
        break;
      }
      case 'RUN':
        stage?.runs.push(rest.join(' '));
        break;
      case 'WORKDIR':
        if (stage) stage.workdir = args[0];
        break;
      case 'ENV':
        for (const pair of rest.join(' ').matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g))
          if (stage) stage.env[pair[1] as string] = pair[2] as string;
        break;
    }
  }
  return stages;
}

function patternToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of folders (also none); a trailing `**` is anything.
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether `.dockerignore` (its text) keeps `path` (relative to the context, with `/`) out of the build context. */
export function isIgnored(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, re: patternToRegExp(pattern) };
    });
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    // An exception only brings back what it names exactly; an exclusion also covers folders' contents.
    const matches = rule.negated ? rule.re.test(path) : candidates.some((c) => rule.re.test(c));
    if (matches) ignored = !rule.negated;
  }
  return ignored;
}
