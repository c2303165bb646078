// `npm run chaos`: releases under fire — see run.ts. Exit 0 when every invariant held, 1 when one
// failed (or the run itself could not be made), 2 for bad options.
//   npm run chaos -- --releases 3 --seed 7 --kills 4 --fault-rate 0.2 [--keep]
import { Command, InvalidArgumentError } from 'commander';
import { formatReport } from './report';
import { DEFAULT_CHAOS_OPTIONS, runChaos } from './run';

const int = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what}: expected a whole number of at least ${min}, found "${v}"`);
  return n;
};
const rate = (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a share from 0 to below 1 such as 0.2, found "${v}"`);
  return n;
};
const gaps = (v: string): [number, number] => {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new InvalidArgumentError(`expected seconds as min-max such as 15-45, found "${v}"`);
  return [Number(m[1]), Number(m[2])];
};

const d = DEFAULT_CHAOS_OPTIONS;
const program = new Command('chaos')
  .description('Run releases on a private stack while killing the worker, restarting Temporal and RabbitMQ and injecting faults; then check the invariants')
  .option('--releases <n>', 'image releases to run', int('--releases', 1), d.releases)
  .option('--seed <n>', 'seed of every random choice (faults, disruption times)', int('--seed', 0), d.seed)
  .option('--kills <n>', 'times the worker is SIGKILLed', int('--kills', 0), d.kills)
  .option('--fault-rate <share>', 'share of Koji, AWS and Glance calls answered with a fault', rate, d.faultRate)
  .option('--port-offset <n>', 'added to every port of the default local stack', int('--port-offset', 1), d.portOffset)
  .option('--stack-dir <dir>', 'state folder of the chaos stack (wiped at start)', d.stackDir)
  .option('--gaps <min-max>', 'seconds between disruptions', gaps, d.gapSeconds)
  .option('--spread <seconds>', 'the releases start evenly spread over this many seconds', int('--spread', 0), d.startSpreadSeconds)
  .option('--timeout <minutes>', 'give up waiting for the releases after this long', int('--timeout', 1), d.timeoutMinutes)
  .option('--keep', 'leave the chaos stack running afterwards', false);
program.parse();
const o = program.opts<{ releases: number; seed: number; kills: number; faultRate: number; portOffset: number; stackDir: string; gaps: [number, number]; spread: number; timeout: number; keep: boolean }>();

try {
  const report = await runChaos({
    releases: o.releases,
    seed: o.seed,
    kills: o.kills,
    faultRate: o.faultRate,
    portOffset: o.portOffset,
    stackDir: o.stackDir,
    gapSeconds: o.gaps,
    startSpreadSeconds: o.spread,
    timeoutMinutes: o.timeout,
    keep: o.keep,
    log: (l) => console.error(`chaos: ${l}`),
  });
  console.log(formatReport(report));
  process.exit(report.ok ? 0 : 1);
} catch (err) {
  console.error(`chaos: the run could not be made: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
}
