// Installs Debian packages the stack needs when their command is missing (root, no systemd:
// the packages' own service start is refused by policy-rc.d, and the stack starts them itself).
import { execFileSync } from 'node:child_process';
import { commandExists } from './process';

let updated = false;

export function ensureDebianPackages(pkgs: Record<string, string>, log: (l: string) => void): void {
  const missing = Object.entries(pkgs).filter(([cmd]) => !commandExists(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(' ')}: install them as root (apt-get install ${missing.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    log('apt-get update');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    updated = true;
  }
  log(`apt-get install ${missing.join(' ')}`);
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}
