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
      startDetached('worker', process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: REPO_ROOT, env: localAwsCredentials(config) });
    },
    async healthy() {
      return isAlive(recordedPid('worker')) && (await probeHttp(metrics, { timeoutMs: 1000, expectOk: true })).ok;
    },
    stop: () => stopRecorded('worker', 35_000),
  };
}

/**
 * moto accepts any credentials, but the SDK's default chain must find some. Only for the local
 * stack (aws.endpoint set) and only when the environment has none: real AWS credentials always
 * come from the worker host's own chain.
 */
function localAwsCredentials(config: Config): NodeJS.ProcessEnv {
  if (!config.aws.endpoint || process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE) return {};
  return { AWS_ACCESS_KEY_ID: 'fedimg-local', AWS_SECRET_ACCESS_KEY: 'fedimg-local', AWS_REGION: config.aws.sourceRegion };
}
