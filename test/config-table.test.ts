/** The README's configuration table generator (scripts/config-table.ts) keeps text literal. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderConfigTable } from '../scripts/config-table.js';
import { SETTINGS } from '../src/settings.js';

describe('configuration table', () => {
  it('when a doc contains markdown emphasis characters, then they are escaped', () => {
    expect(escapeMarkdown('image/*,application/pdf; */* accepts all')).toBe('image/\\*,application/pdf; \\*/\\* accepts all');
    expect(escapeMarkdown('_not emphasis_ ~~nor this~~')).toBe('\\_not emphasis\\_ \\~\\~nor this\\~\\~');
  });

  it('when a doc contains links, HTML or a table pipe, then they show literally', () => {
    expect(escapeMarkdown('[x](y) <b> a|b')).toBe('\\[x\\](y) \\<b\\> a\\|b');
  });

  it('when an underscore is inside a word, then it stays readable (no emphasis can start there)', () => {
    expect(escapeMarkdown('set DATA_DIR or sk_live_...')).toBe('set DATA_DIR or sk_live\\_...');
  });

  it('when a doc has a code span, then its content is kept and only its pipe is escaped', () => {
    expect(escapeMarkdown('run `npm run seed` or `a|*b*`')).toBe('run `npm run seed` or `a\\|*b*`');
  });

  it('when a default contains a pipe or a backtick, then the cell still holds one code span', () => {
    const table = renderConfigTable({ X: { doc: 'd', default: 'a|b' }, Y: { doc: 'd', default: 'a`b' } });
    expect(table).toContain('| `X` | `a\\|b` | d |');
    expect(table).toContain('| `Y` | ``a`b`` | d |');
  });

  it('when the README is generated, then every meaning cell is the escaped doc (FILES_ALLOWED_TYPES keeps */*)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const [key, setting] of Object.entries(SETTINGS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` `));
      // The last cell; a doc never contains an unescaped pipe, so splitting on ' | ' is safe.
      const meaning = row
        ?.replace(/\s*\|\s*$/, '')
        .split(/\s\|\s/)
        .at(-1)
        ?.trim();
      expect(meaning, `README row of ${key}: regenerate with npm run config:table -- --write`).toBe(escapeMarkdown(setting.doc));
    }
    expect(readme).toContain('\\*/\\* accepts all');
  });
});
