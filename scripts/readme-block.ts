/** Replaces the generated part of README.md between `<!-- name:start -->` and `<!-- name:end -->`. */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeReadmeBlock(name: string, content: string, file = 'README.md'): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const readme = readFileSync(file, 'utf8');
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} lacks the ${start} ... ${end} markers`);
  writeFileSync(file, `${readme.slice(0, from + start.length)}\n\n${content}\n\n${readme.slice(to)}`);
}
