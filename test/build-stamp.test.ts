/**
 * The build's skip decision (scripts/build-stamp.mjs): `npm start` rebuilds nothing when nothing
 * changed, and rebuilds a step whenever one of its inputs or its output changed.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BuildStep, needsBuild, recordBuild, STEPS } from '../scripts/build-stamp.mjs';

let root: string;

function write(path: string, content: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

/** What a build of `step` leaves behind: its output and its stamp. */
async function build(step: BuildStep) {
  const { digest } = await needsBuild(root, step);
  write(STEPS[step].output, 'built');
  await recordBuild(root, step, digest);
}

async function stale(): Promise<BuildStep[]> {
  const steps = Object.keys(STEPS) as BuildStep[];
  const needed = await Promise.all(steps.map(async (step) => (await needsBuild(root, step)).needed));
  return steps.filter((_, i) => needed[i]);
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'zaplecze-build-stamp-'));
  write('package.json', '{"name":"x"}');
  write('package-lock.json', '{"lockfileVersion":3}');
  write('tsconfig.json', '{}');
  write('scripts/build.mjs', '// build');
  write('scripts/build-stamp.mjs', '// stamp');
  write('src/main.ts', 'export {};');
  write('src/platform/db/database.ts', 'export const a = 1;');
  write('src/platform/db/database.test.ts', 'test');
  write('web/index.html', '<html></html>');
  write('web/vite.config.ts', 'export default {};');
  write('web/src/main.tsx', 'render()');
  write('web/src/api/client.test.ts', 'test');
  await build('server');
  await build('web');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('build stamp', () => {
  it('when nothing changed since the last build, then no step runs', async () => {
    expect(await stale()).toEqual([]);
  });

  it('when there was no build yet, then every step runs', async () => {
    rmSync(join(root, 'dist'), { recursive: true });
    expect(await stale()).toEqual(['server', 'web']);
  });

  it.each<[string, (touch: typeof write) => void, BuildStep[]]>([
    ['a server source is edited', (w) => w('src/platform/db/database.ts', 'export const a = 2;'), ['server']],
    ['a server source is added', (w) => w('src/platform/new-port.ts', 'export {};'), ['server']],
    ['tsconfig.json is edited', (w) => w('tsconfig.json', '{"compilerOptions":{}}'), ['server']],
    ['a web source is edited', (w) => w('web/src/main.tsx', 'render(app)'), ['web']],
    ['the Vite config is edited', (w) => w('web/vite.config.ts', 'export default { base: "/" };'), ['web']],
    ['package-lock.json is edited', (w) => w('package-lock.json', '{"lockfileVersion":3,"packages":{}}'), ['server', 'web']],
    ['package.json is edited', (w) => w('package.json', '{"name":"y"}'), ['server', 'web']],
    ['the build script is edited', (w) => w('scripts/build.mjs', '// build v2'), ['server', 'web']],
    ['a test beside the sources is edited (no build includes it)', (w) => w('src/platform/db/database.test.ts', 'test 2'), []],
    ['a web test is edited', (w) => w('web/src/api/client.test.ts', 'test 2'), []],
  ])('when %s, then exactly the steps that read it run', async (_, change, steps) => {
    change(write);
    expect(await stale()).toEqual(steps);
  });

  it('when a server source is deleted, then the server is rebuilt', async () => {
    rmSync(join(root, 'src/platform/db/database.ts'));
    expect(await stale()).toEqual(['server']);
  });

  it('when a file moves without changing its content, then its step runs', async () => {
    rmSync(join(root, 'src/main.ts'));
    write('src/entry.ts', 'export {};');
    expect(await stale()).toEqual(['server']);
  });

  it("when a step's output was deleted, then that step runs although its inputs are the same", async () => {
    rmSync(join(root, 'dist/web'), { recursive: true });
    expect(await stale()).toEqual(['web']);
  });

  it('when a file is touched but its content is the same, then nothing runs', async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src/main.ts'), later, later);
    utimesSync(join(root, 'web/vite.config.ts'), later, later);
    expect(await stale()).toEqual([]);
  });

  it('when an edit is undone, then the earlier build counts again', async () => {
    write('src/main.ts', 'export const changed = true;');
    expect(await stale()).toEqual(['server']);
    write('src/main.ts', 'export {};');
    expect(await stale()).toEqual([]);
  });

  it('when a step is rebuilt, then the other step keeps its stamp', async () => {
    write('web/src/main.tsx', 'render(app)');
    await build('web');
    expect(await stale()).toEqual([]);
  });

  it('when the stamp file is unreadable, then every step runs', async () => {
    write('dist/.build-stamp.json', '{ not json');
    expect(await stale()).toEqual(['server', 'web']);
  });
});
