/**
 * Whether a build step's output in dist/ is current: a digest of the content of every input of
 * the step is kept in dist/.build-stamp.json after the step succeeds, and the step runs again
 * only when that digest changed or its output is gone. Content, not modification times: a
 * checkout or a `touch` that leaves the bytes alone rebuilds nothing, and an edit always counts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** Inputs both steps depend on: the dependency versions (esbuild, Vite, their plugins) and the build itself. */
const SHARED = ['package.json', 'package-lock.json', 'scripts/build.mjs', 'scripts/build-stamp.mjs'];

/**
 * The build steps: `inputs` are files or folders (read recursively) relative to the project root;
 * tests are never inputs (neither esbuild nor Vite includes them). `output` is a file the step
 * writes, whose absence means the step must run.
 */
export const STEPS = {
  server: { inputs: ['src', 'tsconfig.json', ...SHARED], output: 'dist/main.js' },
  web: { inputs: ['web', ...SHARED], output: 'dist/web/index.html' },
};

export const STAMP_FILE = 'dist/.build-stamp.json';

const isTest = (name) => /\.test\.[cm]?[jt]sx?$/.test(name);
// Never read into a step: installed packages (their versions are in package-lock.json) and tool caches.
const SKIPPED_FOLDERS = new Set(['node_modules', '.cache']);

async function filesUnder(root, path) {
  const full = join(root, path);
  const entries = await readdir(full, { withFileTypes: true }).catch((err) => {
    if (err.code === 'ENOTDIR') return null;
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries === null) return [path];
  const nested = await Promise.all(
    entries.map((e) => {
      const child = join(path, e.name);
      if (e.isDirectory()) return SKIPPED_FOLDERS.has(e.name) ? [] : filesUnder(root, child);
      return isTest(e.name) ? [] : [child];
    }),
  );
  return nested.flat();
}

/** A digest of the paths and contents of `inputs` under `root`; a missing input counts as absent, not as an error. */
export async function digestInputs(root, inputs) {
  const files = [...new Set((await Promise.all(inputs.map((input) => filesUnder(root, input)))).flat())].sort();
  const contents = await Promise.all(files.map((file) => readFile(join(root, file))));
  const hash = createHash('sha256');
  files.forEach((file, i) => {
    const content = contents[i];
    // Length-prefixed, so no two different file sets can hash the same stream.
    hash.update(`${file.split(sep).join('/')}\0${content.length}\0`);
    hash.update(content);
  });
  return hash.digest('hex');
}

/** The digests recorded by the last successful build of each step; empty when there is none. */
export async function readStamp(root) {
  try {
    const stamp = JSON.parse(await readFile(join(root, STAMP_FILE), 'utf8'));
    return stamp && typeof stamp === 'object' ? stamp : {};
  } catch {
    return {};
  }
}

/** Records that `step` was built from inputs with `digest`. */
export async function recordBuild(root, step, digest) {
  const stamp = { ...(await readStamp(root)), [step]: digest };
  const path = join(root, STAMP_FILE);
  await mkdir(join(root, 'dist'), { recursive: true });
  // Written whole, then renamed: an interrupted write cannot leave a stamp that claims a build.
  await writeFile(`${path}.tmp`, `${JSON.stringify(stamp, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Whether `step` must run: its output is missing, or its inputs differ from those of its last build. */
export async function needsBuild(root, step) {
  const { inputs, output } = STEPS[step];
  const digest = await digestInputs(root, inputs);
  const stamp = await readStamp(root);
  return { needed: stamp[step] !== digest || !existsSync(join(root, output)), digest };
}
