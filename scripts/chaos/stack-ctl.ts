// The chaos stack's control, run as its own process so the state folder (FEDIMG_STACK_DIR) and
// the config (FEDIMG_CONFIG_FILE) are fixed before scripts/stack reads them at import:
//   FEDIMG_STACK_DIR=… FEDIMG_CONFIG_FILE=… tsx scripts/chaos/stack-ctl.ts up | down | restart <service>
// The same services as `stack:up` less PostgreSQL (the chaos catalogue uses SQLite) and the
// worker (the chaos run starts, kills and restarts its own).
import { getConfig } from '../../config';
import { ensureStackDir } from '../stack/paths';
import { ServiceStartError, type StackService } from '../stack/service';
import { stackServices } from '../stack/services';
import { bringUp } from '../stack/up-lib';

const log = (l: string) => process.stderr.write(`chaos stack: ${l}\n`);
const services = (): StackService[] => stackServices(getConfig(), { withWorker: false }).filter((s) => s.name !== 'postgres');

async function up(): Promise<void> {
  ensureStackDir();
  const list = services();
  for (const s of list) await s.ensureInstalled(log);
  const reports = await Promise.all(list.map((s) => bringUp(s, log)));
  for (const r of reports) log(`${r.service.padEnd(10)} ${r.state.padEnd(8)} ${r.address}`);
}

async function down(): Promise<void> {
  for (const s of services().reverse()) log(`${s.name.padEnd(10)} ${await s.stop()}`);
}

/** Stops one service and brings it up again (always a fresh process). */
async function restart(name: string): Promise<void> {
  const s = services().find((x) => x.name === name);
  if (!s) throw new Error(`no chaos stack service named ${name}`);
  log(`${name}: ${await s.stop()}`);
  const r = await bringUp(s, log, true);
  log(`${name}: ${r.state} ${r.address}`);
}

const [command, arg] = process.argv.slice(2);
try {
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'restart' && arg) await restart(arg);
  else {
    process.stderr.write('usage: stack-ctl.ts up | down | restart <service>\n');
    process.exit(2);
  }
} catch (err) {
  log(err instanceof ServiceStartError ? err.message : String((err as Error).stack ?? err));
  process.exit(1);
}
