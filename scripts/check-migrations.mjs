#!/usr/bin/env node
/**
 * Checks that the committed migrations in drizzle/ match the table definitions: runs
 * `drizzle-kit generate` in a throw-away copy of the repository and fails when it would write
 * anything. The copy keeps the working tree untouched, so the check is safe on a developer's
 * machine too.
 *
 * drizzle-kit needs a terminal to ask about ambiguous changes (a renamed column or table); without
 * one it prints an error, exits 0 and writes nothing. That output is treated as a failure here,
 * otherwise a rename would pass the check silently.
 *
 * Usage: npm run db:check
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const FIX =
  "Regenerate the squashed initial migration: flock /tmp/zaplecze-drizzle.lock sh -c 'rm -rf drizzle && npx drizzle-kit generate --name init'";

/** Every file under `dir` with its contents, keyed by the path relative to `dir`. */
async function snapshot(dir) {
  const files = new Map();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    files.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return files;
}

class CheckFailed extends Error {}

/** Stops the check; the temp copy is still removed. */
function fail(message, output = '') {
  const shown = output ? `\n--- drizzle-kit output ---\n${output}\n--------------------------` : '';
  throw new CheckFailed(`${message}${shown}`);
}

const work = await mkdtemp(join(tmpdir(), 'zaplecze-db-check-'));
try {
  for (const item of ['drizzle.config.ts', 'package.json', 'tsconfig.json', 'src', 'drizzle']) {
    await cp(join(root, item), join(work, item), { recursive: true });
  }
  await symlink(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const before = await snapshot(join(work, 'drizzle'));

  const run = spawnSync(join(work, 'node_modules', '.bin', 'drizzle-kit'), ['generate'], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.error) fail(`could not run drizzle-kit: ${run.error.message}`);
  if (run.status !== 0) fail(`drizzle-kit generate exited with ${run.status}`, output);
  if (/error|TTY|prompt/i.test(output)) {
    fail('drizzle-kit generate needs an answer (an ambiguous rename?) and wrote nothing; decide it at a terminal', output);
  }

  const after = await snapshot(join(work, 'drizzle'));
  const changed = [...after.keys()].filter((file) => before.get(file) !== after.get(file));
  if (changed.length) {
    const sql = changed.filter((f) => f.endsWith('.sql')).map((f) => `== ${f}\n${after.get(f)}`);
    fail(`the table definitions differ from drizzle/: generate would write ${changed.join(', ')}\n${sql.join('\n')}`);
  }
  if (!/No schema changes/i.test(output)) fail('drizzle-kit did not confirm "No schema changes"', output);
  process.stdout.write(`db:check ok: drizzle/ matches the tables (${before.size} files)\n`);
} catch (err) {
  if (!(err instanceof CheckFailed)) throw err;
  process.stderr.write(`db:check FAILED: ${err.message}\n${FIX}\n`);
  process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
