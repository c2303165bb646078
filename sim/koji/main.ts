// Runs the Koji hub simulator as a process (the local stack's "koji-sim" service):
//   node --import tsx sim/koji/main.ts --port 18080 --data-dir .stack/koji-sim \
//     --user fedimg --password-file .stack/secrets/koji-password --timing realistic \
//     [--bus-url-env KOJI_SIM_BUS_URL --bus-topic-prefix org.fedoraproject.prod]
// Besides the pipeline user it seeds `admin` and `nobody` (no permissions); their passwords are
// in <data-dir>/users.json (0600). Tasks live in memory: a restart starts again at task 1.
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { TIMING_PRESETS } from './engine';
import { startKojiSim } from './index';
import type { KojiBusOptions } from './bus-announcer';
import type { SimUser } from './options';
import type { TargetSpec } from './targets';
import { ensureSecretFile } from './secret-file';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
};

const collect = (v: string, prev: string[]) => [...prev, v];

const program = new Command('koji-sim')
  .description('Koji 1.35.3 hub simulator: XML-RPC at /kojihub, task files at /kojifiles, controls at /sim')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port (0: any free one)', int, 18080)
  .option('--data-dir <dir>', 'simulated KojiDir (task output, image cache)', '.stack/koji-sim')
  .option('--timing <preset>', 'fast | realistic', 'realistic')
  .option('--open-ms <ms>', 'FREE -> OPEN delay of a build', int)
  .option('--child-start-ms <ms>', 'subtasks created -> OPEN', int)
  .option('--build-ms <ms>', 'subtask build time', int)
  .option('--finish-ms <ms>', 'last subtask -> parent CLOSED', int)
  .option('--image-size-mib <n>', 'logical size of generated raw disks', int, 64)
  .option('--user <name>', 'the pipeline user (image, livecd, appliance permissions)', 'fedimg')
  .option('--perms <list>', 'its permissions, comma separated', 'image,livecd,appliance')
  .option('--password-file <file>', "the user's password (created 0600 when missing)")
  .option('--password-env <var>', 'read the password from this environment variable instead')
  .option('--target <spec>', 'build target name:arch,arch (repeatable; default f-target:x86_64,aarch64)', collect, [] as string[])
  .option('--seed <n>', 'PRNG seed (fault decisions, session keys)', int, 1)
  .option('--manual', 'builds wait for POST /sim/tasks/<id>/advance')
  .option('--offline', 'answer every XML-RPC call with ServerOffline (1014)')
  .option('--bus-url-env <var>', "announce scratch builds' task state changes on the AMQP broker whose URL is in this variable")
  .option('--bus-topic-prefix <prefix>', "Koji's topic prefix on the broker", 'org.fedoraproject.prod')
  .option('--bus-exchange <name>', 'exchange to publish on', 'amq.topic')
  .option('--verbose', 'log builder errors and unexpected exceptions');

program.parse();
const o = program.opts<{
  host: string;
  port: number;
  dataDir: string;
  timing: string;
  openMs?: number;
  childStartMs?: number;
  buildMs?: number;
  finishMs?: number;
  imageSizeMib: number;
  user: string;
  perms: string;
  passwordFile?: string;
  passwordEnv?: string;
  target: string[];
  seed: number;
  manual?: boolean;
  offline?: boolean;
  busUrlEnv?: string;
  busTopicPrefix: string;
  busExchange: string;
  verbose?: boolean;
}>();

function password(): string {
  if (o.passwordEnv) {
    const v = process.env[o.passwordEnv];
    if (!v) throw new Error(`${o.passwordEnv} is not set`);
    return v;
  }
  return ensureSecretFile(resolve(o.passwordFile ?? join(o.dataDir, 'password')));
}

/** The broker URL comes from the environment, so its credentials never show in the process list. */
function bus(): KojiBusOptions | undefined {
  if (!o.busUrlEnv) return undefined;
  const url = process.env[o.busUrlEnv];
  if (!url) throw new Error(`${o.busUrlEnv} is not set`);
  return { url, topicPrefix: o.busTopicPrefix, exchange: o.busExchange };
}

function targets(): TargetSpec[] | undefined {
  if (o.target.length === 0) return undefined;
  return o.target.map((t) => {
    const [name, arches] = t.split(':');
    if (!name || !arches) throw new InvalidArgumentError(`--target ${t}: expected name:arch,arch`);
    return { name, arches: arches.split(',').filter(Boolean) };
  });
}

const dataDir = resolve(o.dataDir);
const extra = { admin: ensureSecretFile(join(dataDir, 'secrets', 'admin-password')), nobody: ensureSecretFile(join(dataDir, 'secrets', 'nobody-password')) };
const users: SimUser[] = [
  { name: o.user, password: password(), perms: o.perms.split(',').filter(Boolean) },
  { name: 'nobody', password: extra.nobody },
];
if (o.timing !== 'fast' && o.timing !== 'realistic') throw new InvalidArgumentError('--timing fast|realistic');
const base = o.timing;
const explicit = { openMs: o.openMs, childStartMs: o.childStartMs, buildMs: o.buildMs, finishMs: o.finishMs };
const hasExplicit = Object.values(explicit).some((v) => v !== undefined);
const timing = hasExplicit ? { ...TIMING_PRESETS[base], ...Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined)) } : base;

const sim = await startKojiSim({
  dataDir,
  host: o.host,
  port: o.port,
  users,
  adminPassword: extra.admin,
  targets: targets(),
  timing,
  autoRun: !o.manual,
  imageSizeBytes: o.imageSizeMib * 1024 * 1024,
  seed: o.seed,
  offline: Boolean(o.offline),
  bus: bus(),
  log: o.verbose ? (l) => process.stderr.write(`${l}\n`) : (l) => process.stderr.write(`${l.split('\n')[0]}\n`),
}).catch((err: NodeJS.ErrnoException) => {
  if (err.code !== 'EADDRINUSE') throw err;
  process.stderr.write(`koji-sim: ${o.host}:${o.port} is in use (another koji-sim already serving?)\n`);
  process.exit(1);
});
writeFileSync(
  join(dataDir, 'users.json'),
  `${JSON.stringify([{ name: 'admin', password: extra.admin, perms: ['admin'] }, ...users], null, 2)}\n`,
  { mode: 0o600 },
);
chmodSync(join(dataDir, 'users.json'), 0o600);
process.stdout.write(`koji-sim listening: hub ${sim.hubUrl}, files ${sim.topUrl}, controls ${sim.url}/sim/state (user ${o.user})\n`);
if (sim.announcer) process.stdout.write(`koji-sim: announcing scratch builds' task state changes as ${o.busTopicPrefix}.buildsys.task.state.change\n`);

const stop = (sig: string) => {
  process.stdout.write(`koji-sim: ${sig}, stopping\n`);
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
