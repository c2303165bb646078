// Installs or builds everything the local stack needs without starting it (CI's set-up step).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getConfig } from '../../config';
import { VENV_DIR, ensureStackDir } from './paths';
import { stackServices } from './services';
import { ensureVenv } from './services/moto';

ensureStackDir();

for (const s of stackServices(getConfig())) {
  await s.ensureInstalled((line) => console.log(`prepare: ${line}`));
}

/**
 * The standard `koji` command line (PyPI koji), which the tests run against the hub simulator.
 * Installed without its dependency requests-gssapi: that one builds against Kerberos headers,
 * and the tests log in with a password. Its other dependencies come unpinned: moto and
 * fedora-messaging in the same venv need requests, six and dateutil too, and pip keeps theirs.
 */
const KOJI_CLI_PACKAGES = ['koji==1.35.3', 'defusedxml==0.7.1', 'python-dateutil', 'requests', 'six'];

function ensureKojiCli(log: (l: string) => void): void {
  ensureVenv(log);
  const marker = join(VENV_DIR, `.installed-${KOJI_CLI_PACKAGES.join('+').replace(/[^A-Za-z0-9.+=-]/g, '_')}`);
  if (existsSync(marker) && existsSync(join(VENV_DIR, 'bin', 'koji'))) return;
  const pip = join(VENV_DIR, 'bin', 'pip');
  log(`installing ${KOJI_CLI_PACKAGES.join(', ')} into the venv`);
  execFileSync(pip, ['install', '--quiet', '--no-deps', KOJI_CLI_PACKAGES[0]!], { stdio: 'inherit' });
  execFileSync(pip, ['install', '--quiet', ...KOJI_CLI_PACKAGES.slice(1)], { stdio: 'inherit' });
  execFileSync('touch', [marker]);
}

ensureKojiCli((line) => console.log(`prepare: ${line}`));
console.log('prepare: the local stack has everything it needs');
