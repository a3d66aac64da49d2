/**
 * Test databases. Migrations run once per test run into a template; every test app gets its
 * own copy, so tests never share state:
 * - embedded (default): a PGlite data folder dumped after migrating, loaded per app (~0.5 s);
 * - PostgreSQL when TEST_DATABASE_URL is set: CREATE DATABASE ... TEMPLATE per app.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type Database, openDatabase } from '../src/platform/db/database.js';

/** The database server tests run against, from TEST_DATABASE_URL; undefined = embedded. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

/** Where the migrated template is: a PGlite dump file, or a database on the test server. */
export interface TestTemplate {
  pgliteFile: string;
  postgresDatabase: string;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement on the server's maintenance database. */
export async function adminQuery(statement: string) {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

let templateDump: { file: string; bytes: Promise<ArrayBuffer> } | undefined;

/**
 * PGlite only calls `arrayBuffer()` on `loadDataDir`. A real Blob of the ~40 MB dump costs ~0.5 s
 * of CPU per app (copied in, then read back in small chunks); this hands over the bytes read once
 * per worker instead. PGlite copies each file out of them and never writes to them, so apps still
 * share nothing.
 */
function templateBlob(file: string): Blob {
  if (templateDump?.file !== file) {
    const bytes = readFile(file).then((dump) => dump.buffer.slice(dump.byteOffset, dump.byteOffset + dump.byteLength));
    templateDump = { file, bytes };
  }
  const { bytes } = templateDump;
  return { type: 'application/x-tar', arrayBuffer: () => bytes } as Blob;
}

/**
 * Setting up PostgreSQL's default 128 MB of shared buffers was about half of a copy's start-up
 * CPU (measured here: ~1.2 s, ~0.7 s with 16 MB). A test database holds a few hundred rows.
 */
const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** A fresh, migrated database for one test app. Closing it drops it (PostgreSQL). */
export async function openTestDatabase(template: TestTemplate): Promise<Database> {
  if (!testDatabaseUrl) {
    const instance = await PGlite.create({ loadDataDir: templateBlob(template.pgliteFile), startParams: PGLITE_START_PARAMS });
    return openDatabase({ engine: 'pglite', instance });
  }
  const name = `zaplecze_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name} template ${template.postgresDatabase}`);
  const database = await openDatabase({ engine: 'postgres', url: withDatabase(testDatabaseUrl, name), poolSize: 10 });
  return {
    ...database,
    async close() {
      await database.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}
