/** Types of scripts/build-stamp.mjs (plain JavaScript, so `npm start` runs it without a compiler). */
export type BuildStep = 'server' | 'web';
export const STEPS: Record<BuildStep, { inputs: readonly string[]; output: string }>;
export const STAMP_FILE: string;
export function digestInputs(root: string, inputs: readonly string[]): Promise<string>;
export function readStamp(root: string): Promise<Partial<Record<BuildStep, string>>>;
export function recordBuild(root: string, step: BuildStep, digest: string): Promise<void>;
export function needsBuild(root: string, step: BuildStep): Promise<{ needed: boolean; digest: string }>;
