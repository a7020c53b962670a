// The dependency rule, checked by `npm run lint` (CONTRIBUTING.md explains it):
//   commands/ → src/discord → src/services → src/store → src/core
// src/cli and src/jobs are adapters beside src/discord: they drive services and never each other.
// src/config.ts (settings) is for adapters; src/log.ts (the pino singleton) for adapters and services.
// bench/, test/ and scripts/ sit outside the layers and may import anything; nothing imports them.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other (types included) cannot be read or tested one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core knows nothing of Discord, SQLite, services, adapters, settings or the logger singleton; ' +
        'pass what it needs (a log function, a path) in.',
      from: { path: '^src/core/' },
      to: { path: '^(src/(discord|cli|jobs|services|store|config\\.ts|log\\.ts)|commands|bench|test|scripts)' },
    },
    {
      name: 'core-without-sqlite-or-discord',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['npm'],
        path: '(^|/)node_modules/(better-sqlite3|discord\\.js|@discordjs|pino|commander)/',
      },
    },
    {
      name: 'sqlite-only-in-store',
      severity: 'error',
      comment: 'SQL lives in the repositories of src/store; services call their methods (Store has no raw connection).',
      from: { path: '^(src|commands)/', pathNot: '^src/store/' },
      to: { dependencyTypes: ['npm'], path: '(^|/)node_modules/better-sqlite3/' },
    },
    {
      name: 'store-below-services',
      severity: 'error',
      comment: 'src/store holds repositories over SQLite; it may use src/core types, nothing above it.',
      from: { path: '^src/store/' },
      to: { path: '^(src/(discord|cli|jobs|services|config\\.ts|log\\.ts)|commands|bench|test|scripts)' },
    },
    {
      name: 'store-uses-core-types-only',
      severity: 'error',
      comment:
        'Repositories store plain data: from src/core they need its types, not models, detectors or the manifest.',
      from: { path: '^src/store/' },
      to: { path: '^src/core/', pathNot: '^src/core/types\\.ts$' },
    },
    {
      name: 'services-below-adapters',
      severity: 'error',
      comment: 'src/services must not know who calls it (Discord, the CLI, cron) nor read adapter settings.',
      from: { path: '^src/services/' },
      to: { path: '^(src/(discord|cli|jobs|config\\.ts)|commands|bench|test|scripts)' },
    },
    {
      name: 'adapters-through-services',
      severity: 'error',
      comment: 'Adapters (src/discord, src/cli, src/jobs) reach the database only through services.',
      from: { path: '^src/(discord|cli|jobs)/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'adapters-apart',
      severity: 'error',
      comment:
        'The Discord bot, the CLI and the schedules are separate adapters; only the bot process ' +
        '(src/discord/main.ts, src/discord/bot.ts) starts the schedules.',
      from: { path: '^src/(discord|cli|jobs)/', pathNot: '^src/discord/(main|bot)\\.ts$' },
      to: { path: '^(src/(discord|cli|jobs)/|commands/)', pathNot: '^src/$1/' },
    },
    {
      name: 'commands-through-discord-and-services',
      severity: 'error',
      comment:
        'A slash command is a thin handler: it uses src/discord helpers and the `Services` object it is ' +
        'handed (src/services/index.ts: its types and errors), never a service module, the store or core directly.',
      from: { path: '^commands/' },
      to: { path: '^(src/(services|store|core|cli|jobs)/|bench|test|scripts)', pathNot: '^src/services/index\\.ts$' },
    },
    {
      name: 'unit-tests-are-pure',
      severity: 'error',
      comment:
        'test/unit runs in a few seconds with no model files and no data sets: tests that open services, ' +
        'load an embedder, a detector model or the shared data belong in test/integration.',
      from: { path: '^test/unit/' },
      to: {
        path:
          '^(test/(e2e|integration|reliability)/|src/services/index\\.ts$|src/core/models/|src/core/embed/onnx-embedder\\.ts$|' +
          'src/core/detect/(lbp|faceapi|opencv)\\.ts$|bench/)',
      },
    },
    {
      name: 'nothing-imports-tests-or-benches',
      severity: 'error',
      from: { path: '^(src|commands)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types still ties two modules together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '(^|/)node_modules/' },
  },
};
