/**
 * The GitHub workflows: every action pinned to a full version (or a commit), and the release
 * workflow doing what the README promises on a version tag. actionlint (run by .ci/run) checks
 * their syntax and expressions; this checks their intent.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, readText, readYaml } from './deploy-files.js';

// biome-ignore lint/suspicious/noExplicitAny: workflow files are checked field by field below
type Workflow = { on: any; permissions?: Record<string, string>; env?: Record<string, string>; jobs: Record<string, any> };
interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
  env?: Record<string, string>;
}

const WORKFLOWS = readdirSync(join(ROOT, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
const workflow = (file: string) => readYaml(`.github/workflows/${file}`) as Workflow;
const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((job) => job.steps ?? []);

describe('GitHub workflows', () => {
  it('when listed, then CI and release are there', () => {
    expect(WORKFLOWS.sort()).toEqual(['ci.yml', 'release.yml']);
  });

  it.each(WORKFLOWS)('when %s uses an action, then it is pinned to a full version tag or a commit', (file) => {
    const uses = steps(workflow(file)).flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use, file).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
  });
});

describe('release workflow', () => {
  const release = () => workflow('release.yml');
  const buildSteps = () => steps(release()).filter((s) => s.uses?.startsWith('docker/build-push-action@'));

  it('when a tag is pushed, then only version tags start it', () => {
    expect(release().on).toEqual({ push: { tags: ['v*'] } });
  });

  it('when it runs, then its token may read the code and write packages, nothing more', () => {
    expect(release().permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('when images are built, then the app and the gateway are pushed for amd64 and arm64 with cache, SBOM and provenance', () => {
    const builds = buildSteps();
    expect(builds.map((s) => s.with?.target).sort()).toEqual(['app', 'gateway']);
    for (const step of builds) {
      const target = step.with?.target;
      expect(String(step.with?.platforms).split(',').sort(), String(target)).toEqual(['linux/amd64', 'linux/arm64']);
      expect(step.with?.push, String(target)).toBe(true);
      expect(step.with?.sbom, String(target)).toBe(true);
      expect(step.with?.provenance, String(target)).toBe('mode=max');
      expect(String(step.with?.['cache-from']), String(target)).toContain('type=gha');
      expect(String(step.with?.['cache-to']), String(target)).toMatch(/type=gha.*mode=max/);
      expect(step.id, `${target}: its digest is read through the step id`).toBeTruthy();
    }
    expect(steps(release()).some((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBe(true);
    expect(steps(release()).some((s) => s.uses?.startsWith('docker/login-action@') && s.with?.registry === 'ghcr.io')).toBe(true);
    const images = Object.values(release().env ?? {});
    expect(images.every((image) => image.startsWith('ghcr.io/'))).toBe(true);
  });

  it('when the images are pushed, then each digest is printed and handed to the deploy job', () => {
    const job = release().jobs.images;
    for (const step of buildSteps()) expect(Object.values(job.outputs)).toContain(`\${{ steps.${step.id}.outputs.digest }}`);
    const summary = steps(release()).find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
    for (const step of buildSteps()) expect(Object.values(summary?.env ?? {})).toContain(`\${{ steps.${step.id}.outputs.digest }}`);
  });

  it('when the deploy job runs, then the Render hooks come from secrets, get the pushed digests, and a missing secret skips with a notice', () => {
    const deploy = release().jobs.deploy;
    expect(deploy.needs).toBe('images');
    const [step] = deploy.steps as Step[];
    expect(Object.values(step?.env ?? {}).filter((v) => v.includes('secrets.')).length).toBeGreaterThan(0);
    expect(JSON.stringify(step?.env)).toContain('needs.images.outputs.app-digest');
    expect(JSON.stringify(step?.env)).toContain('needs.images.outputs.gateway-digest');
    expect(step?.run).toMatch(/::notice[\s\S]*exit 0/);
    expect(step?.run).toContain('imgURL=');
    // Secrets reach the script through env, never pasted into it.
    expect(step?.run).not.toContain('secrets.');
  });

  it('when render.yaml names the images, then they are the ones the release pushes', () => {
    const render = readText('render.yaml');
    for (const image of ['zaplecze', 'zaplecze-gateway']) expect(render).toContain(`ghcr.io/OWNER/${image}:`);
    expect(Object.values(release().env ?? {}).map((v) => v.replace(/\$\{\{ github\.repository_owner \}\}/, 'OWNER'))).toEqual([
      'ghcr.io/OWNER/zaplecze',
      'ghcr.io/OWNER/zaplecze-gateway',
    ]);
  });
});
