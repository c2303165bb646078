// Brings the local stack up: install what is missing, start what is not already healthy, wait
// for every service, report. Idempotent: a second call reuses what runs.
import type { Config } from '../../config';
import { ensureStackDir } from './paths';
import { isAlive, lastLines, logPath, recordedPid, waitUntil } from './process';
import { ServiceStartError, type StackService } from './service';
import { stackServices } from './services';

export interface UpReport {
  service: string;
  address: string;
  state: 'reused' | 'started';
}

export async function stackUp(config: Config, opts: { withWorker?: boolean; log?: (l: string) => void } = {}): Promise<UpReport[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`stack: ${l}\n`));
  ensureStackDir();
  const services = stackServices(config, { withWorker: opts.withWorker ?? true });
  // Installs run one after another (apt and go share locks); starts overlap.
  for (const s of services) await s.ensureInstalled(log);
  const infra = services.filter((s) => s.name !== 'worker');
  const reports = await Promise.all(infra.map((s) => bringUp(s, log)));
  const worker = services.find((s) => s.name === 'worker');
  if (worker) reports.push(await bringUp(worker, log, true));
  return reports;
}

export async function bringUp(s: StackService, log: (l: string) => void, alwaysRestart = false): Promise<UpReport> {
  if (!alwaysRestart && (await s.healthy())) return { service: s.name, address: s.address, state: 'reused' };
  log(`starting ${s.name}`);
  try {
    await s.start();
  } catch (err) {
    throw new ServiceStartError(s.name, (err as Error).message, logPath(s.name));
  }
  const pid = recordedPid(s.name);
  const ok = await waitUntil(() => s.healthy(), s.startTimeoutS * 1000, pid === undefined ? undefined : () => isAlive(pid));
  if (!ok) {
    const reason = pid !== undefined && !isAlive(pid) ? 'the process exited' : `not healthy after ${s.startTimeoutS} s`;
    const tail = lastLines(logPath(s.name));
    throw new ServiceStartError(s.name, tail ? `${reason}; last log lines:\n${tail}` : reason, logPath(s.name));
  }
  return { service: s.name, address: s.address, state: 'started' };
}
