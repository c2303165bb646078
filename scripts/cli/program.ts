// The `fedimg` command line: commander definitions and the runner that turns every outcome into
// an exit code (0 ok, 1 operational failure, 2 usage or validation error) and one readable line,
// or a JSON document with --json. Tests call run(argv, deps) with their own deps.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { userInfo } from 'node:os';
import { getConfig } from '../../config';
import { IMAGE_KINDS } from '../../domain/build-names';
import { buildCommand } from './commands/build';
import { cancelCommand } from './commands/cancel';
import { listCommand } from './commands/list';
import { retryRegionsCommand } from './commands/retry-regions';
import { listSchedulesCommand, pauseCommand, syncCommand, triggerCommand, unpauseCommand } from './commands/schedules';
import { statusCommand } from './commands/status';
import { CommandContext, type CliDeps } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, fromTemporalError } from './errors';
import { connectTemporal } from './temporal';

export function defaultDeps(): CliDeps {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep $USER */
  }
  return {
    config: () => getConfig(),
    connect: connectTemporal,
    io: { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s), isTTY: Boolean(process.stdout.isTTY) },
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    watchIntervalMs: 2_000,
    user,
  };
}

const positiveInt = (field: string) => (v: string) => {
  if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`${field} must be a positive whole number, e.g. 20`);
  return Number(v);
};

interface RunState {
  ctx?: CommandContext;
  commanderMessage?: string;
}

function buildProgram(deps: CliDeps, state: RunState): Command {
  const program = new Command('fedimg');
  program
    .description("Operate Fedora's image pipeline: start builds, follow them, manage the nightly and weekly schedules.")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.io.out(s),
      writeErr: (s) => deps.io.err(s),
      outputError: (s) => {
        state.commanderMessage = s.trim();
      },
    });

  // Every command takes --json; its action receives a context bound to it.
  const command = (name: string, description: string) => program.command(name).description(description).option('--json', 'print the result as JSON');
  const act =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      state.ctx = new CommandContext(deps, Boolean(cmd.opts().json));
      await fn(state.ctx, ...(args.slice(0, -1) as A));
    };

  command('build', 'start an image release (repeating it is harmless: same name, same workflow)')
    .option('--family <name>', 'image family (families[].name in the config)')
    .option('--release <release>', 'Fedora release: a number such as 44, or rawhide')
    .addOption(new Option('--kind <kind>', `build kind: ${IMAGE_KINDS.join('|')}`))
    .option('--label <label>', "Koji release label, e.g. 1.7 (rc) or 20261122.0 (respin); nightly/weekly default to today's")
    .option('--version <version>', 'Koji version (default: the release number, or Rawhide)')
    .option('--repo <url...>', 'extra package repository (repeatable)')
    .option('--arch <arch...>', "build only these arches (default: the family's)")
    .option('--region <region...>', 'publish only to these of the configured EC2 regions, plus aws.sourceRegion where the image is registered (default: all of aws.regions)')
    .option('--scm <url>', "rc/respin: the kiwi description (kickstart for Oz) to build instead of the family's, a git URL at a commit, e.g. git+https://pagure.io/fedora-kiwi-descriptions.git?#<40-hex commit>")
    .option('--scratch', 'scratch build in Koji (the default)')
    .option('--no-scratch', 'real (non-scratch) build in Koji')
    .addHelpText(
      'after',
      `
Examples:
  fedimg build --family Cloud-Base-Generic --release 44 --kind rc --label 1.7 --no-scratch
  fedimg build --family Cloud-Base-AmazonEC2 --release rawhide --kind nightly
  fedimg build --family Cloud-Base-Generic --release 44 --kind respin --label 20261122.0 --repo https://example.org/repo/
  fedimg build --family Cloud-Base-AmazonEC2 --release 44 --kind respin --label 20261122.1 --arch aarch64 --region eu-west-1`,
    )
    .action(act((ctx, opts: Record<string, unknown>) => buildCommand(ctx, opts as Parameters<typeof buildCommand>[1])));

  command('status', 'without an id: the newest running releases; with one: its stage tree')
    .argument('[id]', 'workflow id of a release (from build, list or the UI)')
    .option('--watch', 'redraw every 2 s until the workflow closes (exit 1 unless it completed)')
    .option('--limit <n>', 'how many running releases to show', positiveInt('--limit'), 10)
    .action(act((ctx, id: string | undefined, opts: { watch?: boolean; limit: number }) => statusCommand(ctx, id, opts)));

  command('list', 'image releases filtered by release, family, kind, stage, arch or Koji task')
    .option('--release <release...>', 'Fedora release (44, rawhide)')
    .option('--family <name...>', 'image family')
    .option('--kind <kind...>', `build kind: ${IMAGE_KINDS.join('|')}`)
    .option('--stage <stage...>', 'current stage, e.g. publishing, done')
    .option('--arch <arch...>', 'architecture built')
    .option('--koji-task <id...>', 'Koji task id')
    .option('--status <status...>', 'running|completed|failed|canceled|terminated|timed-out')
    .option('--limit <n>', 'most rows to show', positiveInt('--limit'), 50)
    .addHelpText('after', '\nExample:\n  fedimg list --release 44 --kind rc --status running')
    .action(act((ctx, opts: Parameters<typeof listCommand>[1]) => listCommand(ctx, opts)));

  command('cancel', 'cancel a running release')
    .argument('<id>', 'workflow id of the release')
    .action(act((ctx, id: string) => cancelCommand(ctx, id)));

  command('retry-regions', "run a release's failed EC2 regions again")
    .argument('<id>', 'workflow id of the release')
    .option('--region <region...>', 'failed region(s) to retry, e.g. eu-west-1')
    .option('--wait', 'wait until the retried regions finish and print their AMIs')
    .action(act((ctx, id: string, opts: { region?: string[]; wait?: boolean }) => retryRegionsCommand(ctx, id, opts)));

  const schedules = program.command('schedules').description("the config's nightly and weekly schedules as Temporal Schedules");
  const sub = (name: string, description: string) =>
    schedules.command(name).description(description).option('--json', 'print the result as JSON').option('--owner <name>', 'owner mark of the schedules (deployments sharing a namespace use different ones)', 'fedimg');
  sub('sync', 'create, update and delete Temporal Schedules so they match the config (idempotent)')
    .option('--dry-run', 'show what would change, change nothing')
    .action(act((ctx, opts: { owner?: string; dryRun?: boolean }) => syncCommand(ctx, opts)));
  sub('list', 'the schedules, their state, next and last run, and whether they match the config').action(
    act((ctx, opts: { owner?: string }) => listSchedulesCommand(ctx, opts)),
  );
  sub('pause', 'pause a schedule by hand (sync keeps the pause)')
    .argument('<id>', 'schedule id, with or without the fedimg- prefix')
    .option('--reason <text>', 'why, shown in list and the UI')
    .action(act((ctx, id: string, opts: { reason?: string; owner?: string }) => pauseCommand(ctx, id, opts)));
  sub('unpause', 'unpause a schedule')
    .argument('<id>', 'schedule id')
    .option('--force', 'unpause even though the config pauses it (until the next sync)')
    .action(act((ctx, id: string, opts: { force?: boolean; owner?: string }) => unpauseCommand(ctx, id, opts)));
  sub('trigger', "run a schedule's action now (a second trigger the same day starts no second build)")
    .argument('<id>', 'schedule id')
    .option('--allow-overlap', 'start even while an earlier run of this schedule is still going')
    .action(act((ctx, id: string, opts: { allowOverlap?: boolean; owner?: string }) => triggerCommand(ctx, id, opts)));

  return program;
}

function report(deps: CliDeps, json: boolean, command: string, payload: { kind: string; message: string; field?: string; fix?: string; exitCode: number }, line: string): void {
  if (json) deps.io.out(`${JSON.stringify({ error: payload }, null, 2)}\n`);
  deps.io.err(`fedimg${command ? ` ${command}` : ''}: ${line}\n`);
}

/** Runs one command line; resolves to the process exit code. Never throws. */
export async function run(argv: string[], deps: CliDeps = defaultDeps()): Promise<number> {
  const state: RunState = {};
  const json = argv.includes('--json');
  const command = argv.filter((a) => !a.startsWith('-')).slice(0, argv[0] === 'schedules' ? 2 : 1).join(' ');
  try {
    await buildProgram(deps, state).parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync'].includes(err.code)) return EXIT_OK;
      // Commander's own parse errors (unknown option, missing argument, bad number) are usage errors.
      const message = (state.commanderMessage ?? err.message).replace(/^error: /, '');
      const hint = `see \`fedimg ${command ? `${command} ` : ''}--help\``;
      report(deps, json, command, { kind: 'usage', message, fix: hint, exitCode: EXIT_USAGE }, `${message.replace(/\n/g, ' ')}; ${hint}`);
      return EXIT_USAGE;
    }
    const session = state.ctx?.connected();
    const known =
      err instanceof CliError
        ? err
        : fromTemporalError(err, session ? { address: session.address, namespace: session.namespace } : { address: 'the configured address', namespace: 'the configured namespace' });
    if (known) {
      report(
        deps,
        json,
        command,
        { kind: known.kind, message: known.message, ...(known.field ? { field: known.field } : {}), ...(known.fix ? { fix: known.fix } : {}), exitCode: known.exitCode },
        known.line(),
      );
      return known.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    report(deps, json, command, { kind: 'internal', message, exitCode: EXIT_FAILURE }, `unexpected error: ${message}${process.env.FEDIMG_DEBUG ? `\n${(err as Error).stack ?? ''}` : ' (FEDIMG_DEBUG=1 shows where)'}`);
    return EXIT_FAILURE;
  } finally {
    await state.ctx?.close().catch(() => undefined);
  }
}
