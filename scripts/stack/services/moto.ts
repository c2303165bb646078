// moto server (PyPI) standing in for S3, EBS and EC2 in every region; installed into a venv in
// the machine cache so it is built once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probeHttp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { VENV_DIR } from '../paths';
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

export function motoService(config: Config): StackService {
  const endpoint = config.aws.endpoint;
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
