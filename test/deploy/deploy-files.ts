/**
 * Helpers of the deploy-file tests (compose.yaml, deploy/k8s/, render.yaml, the Dockerfile and
 * the workflows): read them as their tools would, and ask the server's own config loader whether
 * the environment a file gives a service would let it start.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../src/platform/config.js';
import { loadAppConfig } from '../../src/settings.js';

export const ROOT = join(import.meta.dirname, '../..');

export const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** YAML with `<<` merge keys resolved, as compose reads it (the `yaml` package leaves them off for YAML 1.2). */
export const parseYaml = (text: string): unknown => parse(text, { merge: true });
export const readYaml = (path: string): unknown => parseYaml(readText(path));

/**
 * The problems the server finds in `env` at start (it exits 78 with them), or [] when it would
 * start. The real loader, so the split's requirements (engines, shared secrets, PAYMENT_PROVIDER)
 * are checked as they are enforced, not from a copy of the list.
 */
export function configProblems(env: Record<string, string | undefined>): string[] {
  try {
    loadAppConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** Plausible values for the secrets the deploy files leave to the operator. */
export const SAMPLE_SECRETS = {
  DATABASE_URL: 'postgres://zaplecze:secret@postgres.example.internal:5432/zaplecze',
  JWT_SECRET: 'x'.repeat(48),
  PAYMENT_SANDBOX_WEBHOOK_SECRET: 'y'.repeat(48),
  S3_ACCESS_KEY_ID: 'access-key',
  S3_SECRET_ACCESS_KEY: 'secret-key',
  STRIPE_SECRET_KEY: 'sk_test_sample',
  STRIPE_WEBHOOK_SECRET: 'whsec_sample',
} as const satisfies Record<string, string>;

/** The sample value of a secret named at run time (a Secret's key, a generated variable). */
export const sampleSecret = (key: string): string | undefined => (SAMPLE_SECRETS as Record<string, string>)[key];

/** Seconds of a duration written as 500ms, 3s, 2m or 1h (compose, the app's settings). */
export function seconds(duration: string | number): number {
  if (typeof duration === 'number') return duration;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(duration.trim());
  if (!m) throw new Error(`not a duration: ${duration}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
