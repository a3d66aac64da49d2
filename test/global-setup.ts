/** Once per test run: migrate a template database that every test app copies. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/platform/db/database.js';
import { adminQuery, type TestTemplate, testDatabaseUrl, withDatabase } from './test-databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testTemplate: TestTemplate;
  }
}

export default async function setup(project: TestProject) {
  const TEMPLATE_DB = `zaplecze_template_${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'zaplecze-test-'));
  const file = join(dir, 'template.tar');
  if (testDatabaseUrl) {
    await adminQuery(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await adminQuery(`create database ${TEMPLATE_DB}`);
    const db = await openDatabase({ engine: 'postgres', url: withDatabase(testDatabaseUrl, TEMPLATE_DB), poolSize: 1 });
    await db.migrate();
    await db.close();
  } else {
    const instance = await PGlite.create();
    const db = await openDatabase({ engine: 'pglite', instance });
    await db.migrate();
    const dump = await instance.dumpDataDir('none');
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));
    await db.close();
  }
  project.provide('testTemplate', { pgliteFile: file, postgresDatabase: TEMPLATE_DB });
  return async () => {
    await rm(dir, { recursive: true, force: true });
    if (testDatabaseUrl) await adminQuery(`drop database if exists ${TEMPLATE_DB} with (force)`);
  };
}
