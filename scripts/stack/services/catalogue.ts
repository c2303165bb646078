// The catalogue web service (report/), run from this checkout. Before the first start it makes
// the local secrets it needs when they are missing: the admin token and the bus signing key pair
// (the same idempotent helper the publisher side uses, so both agree on the files).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ensureSigningKeyFiles } from '../../../clients/bus';
import { probeHttp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { REPO_ROOT } from '../paths';
import { isAlive, recordedPid, startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

export function catalogueService(config: Config): StackService {
  const health = `http://${config.catalogue.listen}/healthz`;
  return {
    name: 'catalogue',
    address: `${config.catalogue.publicUrl} (health ${health})`,
    startTimeoutS: 60,
    async ensureInstalled(log) {
      const token = config.catalogue.adminToken;
      if (token.file && !(token.env && process.env[token.env])) {
        const file = resolve(REPO_ROOT, token.file);
        if (!existsSync(file)) {
          mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
          writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
          log(`made the catalogue admin token ${token.file}`);
        }
      }
      const key = config.bus.signing.privateKey;
      const trusted = config.bus.trustedKeys[config.bus.signing.keyId];
      if (key.file && trusted && !(key.env && process.env[key.env])) {
        const made = ensureSigningKeyFiles(resolve(REPO_ROOT, key.file), resolve(REPO_ROOT, trusted));
        if (made.created) log(`made the bus signing key ${key.file} (${made.fingerprint})`);
      }
    },
    async start() {
      // One we started is still coming up (another stack:up, tests' global setups run side by
      // side): let it, rather than kill it half-way and fight over the port.
      if (isAlive(recordedPid('catalogue'))) return;
      startDetached('catalogue', process.execPath, ['--import', 'tsx', 'report/main.ts'], { cwd: REPO_ROOT });
    },
    // The answer on the port decides, not our PID file: when two stack:up runs race, the loser's
    // process exits (address in use) while the winner's serves, and that must count as up.
    async healthy() {
      return (await probeHttp(health, { timeoutMs: 1000, expectOk: true })).ok;
    },
    stop: () => stopRecorded('catalogue', 20_000),
  };
}
