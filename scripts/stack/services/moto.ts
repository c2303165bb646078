// moto server (PyPI) standing in for S3, EBS and EC2 in every region; installed into a venv in
// the machine cache so it is built once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probeHttp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { REPO_ROOT, VENV_DIR } from '../paths';
import { startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

/** Python packages the tests and the stack need, pinned to what was verified here. */
export const VENV_PACKAGES = ['moto[server]==5.2.5', 'fedora-messaging==3.9.1', 'fedora-image-uploader-messages==1.2.0'];

export function ensureVenv(log: (l: string) => void): void {
  const pip = join(VENV_DIR, 'bin', 'pip');
  if (!existsSync(pip)) {
    log(`creating the Python venv ${VENV_DIR}`);
    execFileSync('python3', ['-m', 'venv', VENV_DIR], { stdio: 'inherit' });
  }
  const marker = join(VENV_DIR, `.installed-${VENV_PACKAGES.join('+').replace(/[^A-Za-z0-9.+=-]/g, '_')}`);
  if (existsSync(marker)) return;
  log(`installing ${VENV_PACKAGES.join(', ')} into the venv`);
  execFileSync(pip, ['install', '--quiet', ...VENV_PACKAGES], { stdio: 'inherit' });
  execFileSync('touch', [marker]);
}

/** moto itself listens one port above aws.endpoint; the AWS front (below) takes the endpoint. */
function motoUrl(endpoint: string): URL {
  const u = new URL(endpoint);
  u.port = String(Number(u.port) + 1);
  return u;
}

export function motoService(config: Config): StackService {
  const endpoint = config.aws.endpoint ? motoUrl(config.aws.endpoint).origin : undefined;
  const url = endpoint ? new URL(endpoint) : undefined;
  return {
    name: 'moto',
    address: endpoint ?? '(aws.endpoint unset: real AWS)',
    startTimeoutS: 30,
    async ensureInstalled(log) {
      ensureVenv(log);
    },
    async start() {
      if (!url) return;
      startDetached('moto', join(VENV_DIR, 'bin', 'moto_server'), ['-H', url.hostname, '-p', url.port], {
        env: { MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
      });
    },
    async healthy() {
      if (!endpoint) return true;
      return (await probeHttp(`${endpoint}/moto-api/`, { timeoutMs: 1000, expectOk: true })).ok;
    },
    stop: () => stopRecorded('moto'),
  };
}

/**
 * The AWS endpoint of the local stack: a front on aws.endpoint that passes everything to moto and
 * answers the EC2 calls moto lacks (image deprecation) as EC2 does.
 */
export function awsFrontService(config: Config): StackService {
  const endpoint = config.aws.endpoint;
  return {
    name: 'aws-front',
    address: endpoint ?? '(aws.endpoint unset: real AWS)',
    startTimeoutS: 30,
    async ensureInstalled() {},
    async start() {
      if (!endpoint) return;
      startDetached('aws-front', process.execPath, ['--import', 'tsx', 'sim/aws-front/main.ts', '--port', new URL(endpoint).port, '--moto', motoUrl(endpoint).origin], {
        cwd: REPO_ROOT,
      });
    },
    async healthy() {
      if (!endpoint) return true;
      return (await probeHttp(`${endpoint}/moto-api/`, { timeoutMs: 2000, expectOk: true })).ok;
    },
    stop: () => stopRecorded('aws-front'),
  };
}
