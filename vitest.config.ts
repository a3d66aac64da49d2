import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/block-network.ts'],
    pool: 'forks',
    // PGlite instances are large; two files at a time fit two cores.
    maxWorkers: 2,
    // One process per worker for all its files: a fresh process per file spent about half the
    // suite's CPU importing the app and compiling PGlite's WebAssembly again. Files share no
    // state: every test app has its own database copy, registry and data folder, and the few
    // files that stub globals or timers restore them in afterEach.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
