/** Types of cpu.mjs for the TypeScript side of the benches. */
export function ownCpuMs(): number;
export function processCpuMs(pid: number): number;
export function processesCpuMs(pids: readonly number[]): number;
export function cpuList(list: string): number[];
export function coresTimeMs(cores: readonly number[]): { busyMs: number; totalMs: number };
