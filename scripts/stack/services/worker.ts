// The pipeline's own worker, run from this checkout. Restarted on every `stack:up` so it always
// runs the code in the work tree.
import { probeHttp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { REPO_ROOT } from '../paths';
import { isAlive, recordedPid, startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

export function workerService(config: Config): StackService {
  const metrics = `http://${config.temporal.workerMetricsAddress}/metrics`;
  return {
    name: 'worker',
    address: `metrics ${metrics}`,
    startTimeoutS: 60,
    async ensureInstalled() {},
    async start() {
      if (isAlive(recordedPid('worker'))) await stopRecorded('worker', 35_000);
      startDetached('worker', process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: REPO_ROOT });
    },
    async healthy() {
      return isAlive(recordedPid('worker')) && (await probeHttp(metrics, { timeoutMs: 1000, expectOk: true })).ok;
    },
    stop: () => stopRecorded('worker', 35_000),
  };
}
