/**
 * A short text summary of a V8 .cpuprofile (from `node --cpu-prof`): where the server's CPU
 * time went, by package and by function, self time only. Enough to see which hook or
 * dependency dominates before opening the profile in Chrome DevTools for the details.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

interface CpuProfile {
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Groups a script URL into a package name, 'app' for our code, or 'node' for Node internals. */
function packageOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node';
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `app ${url
      .slice(dist + 1)
      .split('/')
      .slice(0, -1)
      .join('/')}`;
  return url;
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

/**
 * Summarises the newest .cpuprofile in `dir` into printable lines. With `windowsUs`, only
 * samples inside those spans count, so start-up (migrations, module loading) is left out:
 * V8's profile clock and `process.hrtime` are both CLOCK_MONOTONIC on Linux.
 */
export async function summariseNewestProfile(dir: string, windowsUs: [number, number][] = [], limit = 20): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return [`no .cpuprofile in ${dir}`];
  const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(join(dir, f))).mtimeMs })));
  const newest = withTimes.sort((a, b) => b.t - a.t)[0]?.f as string;
  const profile = JSON.parse(await readFile(join(dir, newest), 'utf8')) as CpuProfile;

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  const inWindow = (t: number) => !windowsUs.length || windowsUs.some(([a, b]) => t >= a && t <= b);
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (!node || node.callFrame.functionName === '(idle)' || !inWindow(at)) return;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const key = `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  });
  return [
    `profile ${join(dir, newest)}: ${(total / 1e6).toFixed(1)} s busy ${windowsUs.length ? 'under load' : 'in total'}, idle excluded`,
    'self time by package:',
    ...top(byPackage, total, limit),
    'self time by function:',
    ...top(byFunction, total, limit),
  ];
}
