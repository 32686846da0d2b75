#!/usr/bin/env node
// `npm test`: brings up what the tests need (PostgreSQL, Redis — installed and started when
// missing), builds the apps (end-to-end tests run the built artefacts as real processes),
// then runs the unit and end-to-end suites. Extra arguments go to Jest.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureServices } from './ensure-services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const step = (line) => process.stderr.write(`\n== ${line}\n`);

function run(cmd, args, env = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

step('services (PostgreSQL, Redis, MariaDB, memcached, Chromium, nginx)');
try {
  await ensureServices();
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

step('build');
run('npm', ['run', 'build']);

step('unit and end-to-end tests');
// End-to-end files run one at a time: they start whole clusters and assert detection deadlines.
run('npx', ['jest', '--runInBand', ...process.argv.slice(2)], {
  NODE_OPTIONS:
    `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim(),
});
