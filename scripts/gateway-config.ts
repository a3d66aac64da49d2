/**
 * Writes or checks the gateway's Caddyfile (deploy/gateway/Caddyfile), generated from ROUTES.
 *
 *   npm run gateway:config             print it
 *   npm run gateway:config -- --write  write the file
 *   npm run gateway:config -- --check  fail (exit 1) when the committed file differs
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CADDYFILE_PATH, renderCaddyfile } from './gateway/caddyfile.js';

const text = renderCaddyfile();
if (process.argv.includes('--write')) {
  await writeFile(CADDYFILE_PATH, text);
  console.log(`${CADDYFILE_PATH}: written`);
} else if (process.argv.includes('--check')) {
  const current = await readFile(CADDYFILE_PATH, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(`${CADDYFILE_PATH} is out of date with ROUTES: run npm run gateway:config -- --write and commit the result.`);
    process.exit(1);
  }
  console.log(`${CADDYFILE_PATH}: up to date`);
} else {
  process.stdout.write(text);
}
