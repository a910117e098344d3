/**
 * The layers of server/, checked by test/unit/architecture/dependency-rules.test.ts on every `npm test`
 * (README "Where things are" draws them). Imports point down:
 *
 *   entries and scripts   main.ts, start.ts, migrate.ts, scripts/
 *   the app               app.ts
 *   features              notifications → runner → actions, pauses;  hooks → pauses;  status, locks; http (the app's HTTP plumbing)
 *   neutral modules       config.ts, errors.ts, events.ts, hook-policies.ts, retry-after.ts, ...
 *   the database port     db/
 *
 * Type-only imports count: a type that points up ties the layers as much as a value does.
 */
const FEATURES = '^server/(actions|hooks|locks|notifications|pauses|runner|status)/';
const ENTRIES = '^server/(main|start|migrate)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'db-imports-no-feature',
      comment: 'server/db is the database port and its adapters: it knows no feature, nor the app.',
      severity: 'error',
      from: { path: '^server/db/' },
      to: { path: [FEATURES, '^server/(http|scripts)/', '^server/(app|main|start|migrate)\\.ts$'] },
    },
    {
      name: 'actions-import-no-runner-or-notifications',
      comment: 'The action store does not know who runs its actions, nor the pipeline that enqueues some.',
      severity: 'error',
      from: { path: '^server/actions/' },
      to: { path: '^server/(runner|notifications)/' },
    },
    {
      name: 'runner-imports-no-notifications',
      comment: 'The runner runs any handler; the notification handlers register with it, not the reverse.',
      severity: 'error',
      from: { path: '^server/runner/' },
      to: { path: '^server/notifications/' },
    },
    {
      name: 'locks-import-no-actions',
      comment: 'Locks are a feature of their own, below the pipeline that uses them.',
      severity: 'error',
      from: { path: '^server/locks/' },
      to: { path: '^server/actions/' },
    },
    {
      name: 'nothing-imports-the-entries',
      comment: 'app.ts, start.ts and main.ts sit on top: only the entry files and the scripts import them.',
      severity: 'error',
      from: { path: '^server/', pathNot: [ENTRIES, '^server/scripts/'] },
      to: { path: '^server/(app|start|main)\\.ts$' },
    },
    {
      name: 'no-cycles',
      comment: 'An import cycle makes two modules one: split them along the seam or move the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^server/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
