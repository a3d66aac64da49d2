/** The committed gateway config is what ROUTES generate, and Caddy accepts it. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CADDYFILE_PATH, renderCaddyfile, upstreamsVariable } from '../../scripts/gateway/caddyfile.js';
import { SERVICES } from '../../src/deployments.js';

const hasCaddy = spawnSync('caddy', ['version']).status === 0;

describe('gateway Caddyfile', () => {
  it('when ROUTES change, then the committed Caddyfile is regenerated (npm run gateway:config -- --write)', () => {
    expect(readFileSync(CADDYFILE_PATH, 'utf8')).toBe(renderCaddyfile());
  });

  it('when rendered, then it names every service upstream variable and exposes no admin endpoint', () => {
    const text = renderCaddyfile();
    for (const service of SERVICES) expect(text).toContain(`{$${upstreamsVariable(service)}}`);
    expect(text).toMatch(/^\tadmin off$/m);
  });

  it.skipIf(!hasCaddy)('when Caddy adapts it with several upstreams per service, then it is valid', () => {
    const env = { ...process.env, PORT: '3999', GATEWAY_SITE: '/tmp' } as Record<string, string>;
    for (const service of SERVICES) env[upstreamsVariable(service)] = '127.0.0.1:1 127.0.0.1:2';
    const result = spawnSync('caddy', ['adapt', '--config', CADDYFILE_PATH, '--adapter', 'caddyfile', '--validate'], {
      env,
      encoding: 'utf8',
    });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config.admin).toEqual({ disabled: true });
    const dials = JSON.stringify(config).match(/"dial":"127\.0\.0\.1:[12]"/g) ?? [];
    expect(new Set(dials).size).toBe(2);
  });
});
