// The Koji hub simulator (sim/koji), standing in for koji.fedoraproject.org on the local stack:
// XML-RPC at koji.hubUrl, task files at koji.topUrl (same server), realistic build timing. It
// seeds the pipeline's user (koji.user) with the password the pipeline reads: the configured
// environment variable if set, else the configured file, created (0600) when missing.
// Like Fedora's hub (plugin koji-fedoramessaging) it announces scratch builds' task state changes
// on the stack's broker under bus.kojiTopicPrefix, which wakes waiting releases early; the broker
// URL goes by environment variable (KOJI_SIM_BUS_URL), not argv, as it may carry a password.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../../config';
import { ARCHES } from '../../../domain/arches';
import { ensureSecretFile } from '../../../sim/koji/secret-file';
import { REPO_ROOT, STACK_DIR } from '../paths';
import { ensureDebianPackages } from '../debian';
import { isAlive, pidFile, recordedPid, startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

const DEFAULT_STACK_DIR = join(REPO_ROOT, '.stack');

export function kojiSimService(config: Config): StackService {
  const hub = new URL(config.koji.hubUrl);
  const port = Number(hub.port || (hub.protocol === 'https:' ? 443 : 80));
  const auth = config.koji.auth;
  const passwordEnv = auth.method === 'password' ? auth.password.env : undefined;
  const passwordFile = resolve(REPO_ROOT, (auth.method === 'password' ? auth.password.file : undefined) ?? join(STACK_DIR, 'secrets', 'koji-password'));
  // f-target as in the recording (x86_64, aarch64); any other target the config names gets every arch.
  const names = new Set(['f-target', config.koji.defaultTarget, ...config.families.map((f) => f.target).filter((t): t is string => t !== undefined)]);
  const targets = [...names].map((n) => (n === 'f-target' ? 'f-target:x86_64,aarch64' : `${n}:${ARCHES.join(',')}`));
  /**
   * The hub's own answer to GET: 405 with Koji-Version. When two stack:up runs raced, the PID on
   * record may be the one that lost the port: record the process that actually serves.
   */
  const healthy = async (): Promise<boolean> => {
    try {
      const res = await fetch(config.koji.hubUrl, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status !== 405 || res.headers.get('Koji-Version') === null) return false;
      if (!isAlive(recordedPid('koji-sim'))) {
        const info = (await (await fetch(new URL('/sim/info', hub), { signal: AbortSignal.timeout(2000) })).json()) as { pid?: number };
        if (typeof info.pid === 'number') writeFileSync(pidFile('koji-sim'), `${info.pid}\n`);
      }
      return true;
    } catch {
      return false;
    }
  };
  // A broker behind client certificates (bus.tls) is not a local one: the simulator stays quiet
  // there. So does a private stack (FEDIMG_STACK_DIR, e.g. the chaos run's): its message audit
  // takes everything under bus.topicPrefix for the pipeline's own, and Koji's prefix is the same
  // one there; its releases poll Koji instead.
  const announce = config.bus.tls === undefined && resolve(STACK_DIR) === DEFAULT_STACK_DIR;
  const busArgs = announce ? ['--bus-url-env', 'KOJI_SIM_BUS_URL', '--bus-topic-prefix', config.bus.kojiTopicPrefix, '--bus-exchange', config.bus.exchange] : [];
  const busEnv = announce ? { KOJI_SIM_BUS_URL: config.bus.url } : {};
  return {
    name: 'koji-sim',
    address: `${config.koji.hubUrl} (files ${config.koji.topUrl})`,
    startTimeoutS: 30,
    async ensureInstalled(log) {
      // Image generation shells out to qemu-img and xz; partx/blkid (util-linux) are for tests.
      ensureDebianPackages({ 'qemu-img': 'qemu-utils', xz: 'xz-utils' }, log);
    },
    async start() {
      if (await healthy()) return; // another stack:up got there first
      const useEnv = passwordEnv !== undefined && (process.env[passwordEnv] ?? '') !== '';
      if (!useEnv) ensureSecretFile(passwordFile);
      startDetached(
        'koji-sim',
        process.execPath,
        [
          '--import',
          'tsx',
          'sim/koji/main.ts',
          '--host',
          hub.hostname,
          '--port',
          String(port),
          '--data-dir',
          join(STACK_DIR, 'koji-sim'),
          '--timing',
          'realistic',
          '--user',
          config.koji.user,
          ...(useEnv ? ['--password-env', passwordEnv] : ['--password-file', passwordFile]),
          ...targets.flatMap((t) => ['--target', t]),
          ...busArgs,
        ],
        { cwd: REPO_ROOT, env: busEnv },
      );
    },
    healthy,
    stop: () => stopRecorded('koji-sim'),
  };
}
