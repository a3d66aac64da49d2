/**
 * The README's configuration tables, one per owner (the platform, then each module), generated
 * from the settings groups composed in src/settings.ts. `npm run config:table` prints them;
 * `npm run config:table -- --write` replaces what is between the config-table markers in
 * README.md (then run `npx biome format --write README.md`).
 */
import type { SettingsGroup } from '../src/platform/config.js';
import { SETTING_GROUPS, SETTINGS, settingsFileOf } from '../src/settings.js';
import { writeReadmeBlock } from './readme-block.js';

/**
 * What makes inline markdown (emphasis, links, HTML, table cells) out of plain text. An `_`
 * inside a word (DATA_DIR) never starts emphasis, so it stays readable unescaped.
 */
const MARKDOWN_SPECIAL = /[\\`*[\]<>|~]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;

/**
 * Escapes `text` so a markdown table cell shows it literally: `*\/*` stays `*\/*` instead of
 * becoming emphasis (which the formatter then rewrote to `_/_`). Code spans (`like this`) are
 * kept, since escapes inside them would show; only their `|` is escaped, as tables require.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part.replaceAll('|', '\\|') : part.replace(MARKDOWN_SPECIAL, '\\$&')))
    .join('');
}

/** A value shown as code; a value that contains backticks gets a longer fence. */
function codeSpan(value: string): string {
  const fence = value.includes('`') ? '``' : '`';
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value.replaceAll('|', '\\|')}${pad}${fence}`;
}

/** The markdown table of `settings`: variable, default, meaning. */
export function renderConfigTable(settings: Record<string, { doc: string; default?: string }>): string {
  const rows = Object.entries(settings).map(([key, s]) => {
    const def = s.default === undefined ? '—' : s.default === '' ? '(empty)' : codeSpan(s.default);
    return `| \`${key}\` | ${def} | ${escapeMarkdown(s.doc)} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The heading of an owner's table in the README. */
export function ownerHeading(owner: string): string {
  return `### ${owner === 'platform' ? 'Platform' : `Module \`${owner}\``} (\`${settingsFileOf(owner)}\`)`;
}

/** A heading and a table for each group, in the order given. */
export function renderConfigSections(groups: readonly SettingsGroup[]): string {
  return groups.map((group) => `${ownerHeading(group.owner)}\n\n${renderConfigTable(group.settings)}`).join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = renderConfigSections(SETTING_GROUPS);
  if (process.argv.includes('--write')) {
    writeReadmeBlock('config-table', table);
    console.log(`README.md: ${Object.keys(SETTINGS).length} settings`);
  } else {
    console.log(table);
  }
}
