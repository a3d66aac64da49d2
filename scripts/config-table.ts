/** Prints the README's configuration table from the settings in src/platform/config.ts. */
import { SETTINGS } from '../src/platform/config.js';

const rows = Object.entries(SETTINGS).map(([key, s]) => {
  const def = 'default' in s && s.default !== undefined ? (s.default === '' ? '(empty)' : `\`${s.default}\``) : '—';
  return `| \`${key}\` | ${def} | ${s.doc.replaceAll('|', '\\|')} |`;
});
console.log(['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n'));
