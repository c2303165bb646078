// PostgreSQL from Debian, a private cluster in .stack/postgres on a loopback port, for the
// catalogue's PostgreSQL mode. Trust authentication on loopback only: it is a test instance.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { probeTcp } from '../../../clients/net/probe';
import { STACK_DIR } from '../paths';
import { ensureDebianPackages } from '../debian';
import { startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

export const POSTGRES_PORT = Number(process.env.FEDIMG_POSTGRES_PORT ?? 15432);
export const POSTGRES_URL = `postgres://postgres@127.0.0.1:${POSTGRES_PORT}/fedimg`;

function pgBin(tool: string): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort().at(-1) : undefined;
  return version ? join(root, version, 'bin', tool) : tool;
}

export function postgresService(): StackService {
  const dir = join(STACK_DIR, 'postgres');
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore', timeout: 60_000 });
  return {
    name: 'postgres',
    address: POSTGRES_URL,
    startTimeoutS: 30,
    async ensureInstalled(log) {
      ensureDebianPackages({ [pgBin('initdb')]: 'postgresql' }, log);
    },
    async start() {
      mkdirSync(dir, { recursive: true });
      execFileSync('chown', ['postgres:postgres', dir]);
      if (!existsSync(join(data, 'PG_VERSION'))) {
        asPostgres(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
      }
      startDetached('postgres', 'runuser', [
        '-u', 'postgres', '--', pgBin('postgres'), '-D', data, '-p', String(POSTGRES_PORT), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1',
      ]);
    },
    async healthy() {
      if (!(await probeTcp('127.0.0.1', POSTGRES_PORT, 1000)).ok) return false;
      try {
        // Async: a blocking check would starve the other services' probes running alongside.
        const run = promisify(execFile);
        const { stdout } = await run('runuser', ['-u', 'postgres', '--', pgBin('psql'), '-h', '127.0.0.1', '-p', String(POSTGRES_PORT),
          '-d', 'postgres', '-tAc', "SELECT 1 FROM pg_database WHERE datname='fedimg'"], { encoding: 'utf8', timeout: 30_000 });
        if (stdout.trim() !== '1') {
          await run('runuser', ['-u', 'postgres', '--', pgBin('createdb'), '-h', '127.0.0.1', '-p', String(POSTGRES_PORT), 'fedimg'], { timeout: 30_000 });
        }
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      try {
        // Fast shutdown: roll back open transactions instead of waiting for clients to leave.
        asPostgres(pgBin('pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']);
      } catch {
        /* not running: fall through to the recorded PID */
      }
      return stopRecorded('postgres');
    },
  };
}
