/**
 * Module boundaries from DESIGN.md, checked in CI (`npm run lint`):
 * - platform/ is infrastructure and never imports from modules/;
 * - a module reaches another module only through that module's index.ts;
 * - no import cycles;
 * - server code never imports a devDependency at run time (type-only imports are erased).
 * Prove a rule still fires by adding a violating import and running
 * `npx depcruise src --config .dependency-cruiser.cjs`.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-not-to-modules',
      comment: 'platform/ holds infrastructure only; it must not know any module. Pass what it needs in from app.ts or a module.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'module-only-via-index',
      comment:
        "A module may import another module only through that module's index.ts (its public contract). " +
        'Export what you need from there, or react to its events.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make start-up order and module boundaries unclear; extract the shared part instead.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-dev-dep',
      comment:
        'Server code runs with production dependencies only (the Docker image installs `npm ci --omit=dev`). ' +
        'Move the package to dependencies, or import only its types (`import type`).',
      severity: 'error',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$'] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve fails at run time: a typo, or a package missing from package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
