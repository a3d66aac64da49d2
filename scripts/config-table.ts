/**
 * The README's configuration table, generated from the settings in src/platform/config.ts.
 * `npm run config:table` prints it; `npm run config:table -- --write` replaces the table
 * between the config-table markers in README.md (then run `npx biome format --write README.md`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SETTINGS } from '../src/platform/config.js';

const rows = Object.entries(SETTINGS).map(([key, s]) => {
  const def = 'default' in s && s.default !== undefined ? (s.default === '' ? '(empty)' : `\`${s.default}\``) : '—';
  return `| \`${key}\` | ${def} | ${s.doc.replaceAll('|', '\\|')} |`;
});
const table = ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');

if (process.argv.includes('--write')) {
  const start = '<!-- config-table:start -->';
  const end = '<!-- config-table:end -->';
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  writeFileSync('README.md', `${readme.slice(0, from + start.length)}\n\n${table}\n\n${readme.slice(to)}`);
  console.log(`README.md: ${rows.length} settings`);
} else {
  console.log(table);
}
