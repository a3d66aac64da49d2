/**
 * The configuration is documented in three places that must agree: the settings groups composed
 * in src/settings.ts (the source: the platform's and each module's settings.ts), .env.example
 * and the README's configuration tables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEnvExample } from '../scripts/env-example.js';
import { SETTING_GROUPS, SETTINGS } from '../src/settings.js';

const root = new URL('../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const settingKeys = Object.keys(SETTINGS);
const SYNC_HINT = 'regenerate it with `npx tsx scripts/env-example.ts`';

/** Variables named in .env.example, set (`KEY=`) or commented out (`# KEY=`), in file order. */
function envExampleEntries(text: string): { key: string; value: string; set: boolean }[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    return m ? [{ key: m[2] as string, value: (m[3] as string).replace(/^"(.*)"$/, '$1'), set: !m[1] }] : [];
  });
}

/** Rows of the first table under the README's "Configuration" heading: `VARIABLE` -> default cell. */
function readmeConfigTable(text: string): Map<string, string> | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#{1,6}\s+configuration\b/i.test(l));
  if (start < 0) return undefined;
  const level = (/^#+/.exec(lines[start] as string)?.[0] ?? '#').length;
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    const heading = /^(#+)\s/.exec(line);
    if (heading && (heading[1] as string).length <= level) break;
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? '');
    if (name) rows.set(name[1] as string, cells[2] ?? '');
  }
  return rows;
}

describe('.env.example', () => {
  const text = read('.env.example');
  const entries = envExampleEntries(text);

  it('when a setting exists in config.ts, then .env.example lists it', () => {
    const missing = settingKeys.filter((key) => !entries.some((e) => e.key === key));
    expect(missing, `missing from .env.example: ${SYNC_HINT}`).toEqual([]);
  });

  it('when .env.example names a variable, then config.ts reads it, in the same order', () => {
    expect(
      entries.map((e) => e.key),
      `.env.example is stale or out of order: ${SYNC_HINT}`,
    ).toEqual(settingKeys);
  });

  it('when .env.example sets a value, then it is the default (examples stay commented out)', () => {
    const wrong = entries
      .filter((e) => e.set)
      .filter((e) => (SETTINGS as Record<string, { default?: string }>)[e.key]?.default !== e.value)
      .map((e) => `${e.key}=${e.value}`);
    expect(wrong).toEqual([]);
  });

  it('when a doc, example or default changes in config.ts, then .env.example shows the change', () => {
    expect(text, `.env.example differs from config.ts: ${SYNC_HINT}`).toBe(renderEnvExample(SETTING_GROUPS));
  });
});

describe('README configuration table', () => {
  const hasReadme = existsSync(new URL('README.md', root));

  it.skipIf(!hasReadme)('when README.md exists, then its configuration table lists every setting and no other', () => {
    const table = readmeConfigTable(read('README.md'));
    expect(table, 'README.md needs a "Configuration" heading followed by a table with `VARIABLE` in the first column').toBeDefined();
    const names = [...(table?.keys() ?? [])];
    expect(
      settingKeys.filter((key) => !names.includes(key)),
      'settings missing from the README table',
    ).toEqual([]);
    expect(
      names.filter((name) => !settingKeys.includes(name)),
      'README table rows that config.ts does not read',
    ).toEqual([]);
  });

  it.skipIf(!hasReadme)('when README.md exists, then each default in its table is the default in config.ts', () => {
    const table = readmeConfigTable(read('README.md')) ?? new Map<string, string>();
    const wrong = Object.entries(SETTINGS as Record<string, { default?: string }>).flatMap(([key, s]) => {
      const cell = table.get(key);
      if (cell === undefined) return [];
      const expected = s.default === undefined ? '—' : s.default === '' ? '(empty)' : `\`${s.default}\``;
      return cell === expected ? [] : [`${key}: README says ${cell}, config.ts has ${expected}`];
    });
    expect(wrong).toEqual([]);
  });
});
