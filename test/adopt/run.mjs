// The adopter test: installs the packed packages into throwaway npm projects outside the workspace and runs
// one small workflow in three shapes, as a user of the published packages would:
//   (a) plain JavaScript with `node`, no tsx installed — first without better-sqlite3 (the memory store, and a
//       typed error from openSqliteStore), then with it (SQLite checkpoints);
//   (b) TypeScript compiled by `tsc` with a stock strict NodeNext tsconfig, run with `node`;
//   (c) TypeScript run from sources with tsx.
// Usage: node test/adopt/run.mjs [--keep] [--only a|b|c] [--sqlite-from-registry]
// Needs the tarballs from `pnpm release:pack` in .packs/ (`pnpm test:adopt` makes them first).
//
// better-sqlite3 compiles from source on a machine without a prebuilt binary (one to three minutes here); by
// default the projects link the copy this workspace already built (`npm install <folder> --ignore-scripts`
// makes a symlink and must not rebuild it in place), and --sqlite-from-registry installs it from the
// registry instead, compiling it as a user's install would.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
    'sqlite-from-registry': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('node test/adopt/run.mjs [--keep] [--only a|b|c] [--sqlite-from-registry]');
  process.exit(0);
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const packs = join(root, '.packs');
const tarball = (name) => {
  const found = existsSync(packs)
    ? readdirSync(packs).find((file) => file.startsWith(`superstep-${name}-`))
    : undefined;
  if (found === undefined) throw new Error(`no ${name} tarball in ${packs}: run \`pnpm release:pack\` first`);
  return join(packs, found);
};
const tarballs = [tarball('runtime'), tarball('executors')];
const requireFromRuntime = createRequire(join(root, 'packages', 'runtime', 'package.json'));
const sqliteFolder = realpathSync(dirname(requireFromRuntime.resolve('better-sqlite3/package.json')));
/** Adds better-sqlite3 to the project in `dir`. */
function addSqlite(dir) {
  if (args['sqlite-from-registry']) run(dir, 'npm', ['install', 'better-sqlite3@^12']);
  else run(dir, 'npm', ['install', '--ignore-scripts', sqliteFolder]);
}

const EXPECTED =
  /^adopt: sum 140 on 2 threads, 1 request answered, (memory|sqlite) checkpoints written, restored from superstep 1: sum 140$/m;
const work = mkdtempSync(join(tmpdir(), 'superstep-adopters-'));
const npmEnv = {
  ...process.env,
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_update_notifier: 'false',
};
// Not the workspace's pnpm settings: these are ordinary npm projects.
for (const key of Object.keys(npmEnv))
  if (key.startsWith('npm_config_') && /pnpm|workspace|frozen/.test(key)) delete npmEnv[key];

function run(cwd, command, commandArgs, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, commandArgs, { cwd, env: npmEnv, encoding: 'utf8', timeout: 240_000, ...options });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${commandArgs.join(' ')}\` in ${cwd} exited ${String(result.status ?? result.signal)} after ${seconds}s\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  console.log(`  $ ${command} ${commandArgs.join(' ')}   (${seconds}s)`);
  return result.stdout;
}

function project(name, files, packageJson = {}) {
  const dir = join(work, name);
  cpSync(files, dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: `adopter-${name}`, version: '1.0.0', private: true, type: 'module', ...packageJson },
      null,
      2,
    ),
  );
  return dir;
}

function installed(dir, name) {
  return existsSync(join(dir, 'node_modules', ...name.split('/')));
}

function expectOutput(shape, stdout) {
  const line = EXPECTED.exec(stdout);
  if (line === null) throw new Error(`shape ${shape}: unexpected output:\n${stdout}`);
  console.log(`  ${line[0]}`);
}

const shapes = {
  a() {
    const dir = project('plain-js', join(here, 'app-js'));
    run(dir, 'npm', ['install', ...tarballs]);
    for (const absent of ['tsx', 'pg', 'better-sqlite3', 'typescript', '@nats-io/kv', '@nats-io/transport-node']) {
      if (installed(dir, absent)) throw new Error(`shape a: ${absent} was installed but nothing asked for it`);
    }
    const memory = run(dir, 'node', ['main.mjs']);
    if (!memory.includes('without better-sqlite3: OPTIONAL_DEPENDENCY_MISSING (better-sqlite3)')) {
      throw new Error(`shape a: openSqliteStore did not name the missing package:\n${memory}`);
    }
    if (!memory.includes('without the NATS clients: OPTIONAL_DEPENDENCY_MISSING (@nats-io/kv)')) {
      throw new Error(`shape a: natsLease did not name the missing package:\n${memory}`);
    }
    if (!memory.includes('without tsx: OPTIONAL_DEPENDENCY_MISSING (tsx)')) {
      throw new Error(`shape a: a TypeScript executor module without tsx was not refused as documented:\n${memory}`);
    }
    expectOutput('a', memory);
    addSqlite(dir);
    expectOutput('a', run(dir, 'node', ['main.mjs', '--sqlite']));
  },
  b() {
    const dir = project('typescript-tsc', join(here, 'app'), { scripts: { build: 'tsc' } });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            outDir: 'dist',
          },
          include: ['*.ts'],
        },
        null,
        2,
      ),
    );
    run(dir, 'npm', ['install', ...tarballs]);
    run(dir, 'npm', ['install', '--save-dev', 'typescript@~5.9', '@types/node@^20']);
    addSqlite(dir);
    if (installed(dir, 'tsx')) throw new Error('shape b: tsx was installed but nothing asked for it');
    run(dir, 'npx', ['tsc', '-p', '.']);
    expectOutput('b', run(dir, 'node', ['dist/main.js', '--sqlite']));
  },
  c() {
    const dir = project('typescript-tsx', join(here, 'app'));
    run(dir, 'npm', ['install', ...tarballs, 'tsx@^4']);
    addSqlite(dir);
    expectOutput('c', run(dir, 'npx', ['tsx', 'main.ts', '--sqlite']));
  },
};

const started = Date.now();
let failed = 0;
const results = [];
for (const [shape, test] of Object.entries(shapes)) {
  if (args.only !== undefined && args.only !== shape) continue;
  console.log(`adopter shape ${shape}:`);
  try {
    test();
    results.push({ shape, status: 'passed' });
    console.log(`adopter shape ${shape}: ok`);
  } catch (error) {
    failed += 1;
    results.push({ shape, status: 'failed' });
    console.error(`adopter shape ${shape}: FAILED\n${error instanceof Error ? error.message : String(error)}`);
  }
}
// CI adds these to the test counts of its closing line.
writeFileSync(join(root, '.adopt-report.json'), JSON.stringify({ results }, null, 2));
if (args.keep) console.log(`projects kept in ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(
  `adopter test: ${failed === 0 ? 'all shapes passed' : `${failed} shape(s) failed`} in ${((Date.now() - started) / 1000).toFixed(0)}s`,
);
process.exit(failed === 0 ? 0 : 1);
