// RabbitMQ from Debian, a private node on loopback (see shared/reference/services.md). Its own
// epmd is started first and recorded, so stopping the stack leaves nothing of ours behind.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeTcp } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { STACK_DIR } from '../paths';
import { ensureDebianPackages } from '../debian';
import { startDetached, stopRecorded, waitUntil } from '../process';
import type { StackService } from '../service';

/**
 * The node name and Erlang distribution port, derived from the AMQP port so a second stack (the
 * chaos run's) gets its own node beside the default one; the default port keeps the names the
 * local stack always had (fedimg@localhost, 25673).
 */
export function rabbitmqNode(port: number): { node: string; distPort: string } {
  return port === 5672 ? { node: 'fedimg@localhost', distPort: '25673' } : { node: `fedimg-${port}@localhost`, distPort: String(port + 20001) };
}

export function rabbitmqService(config: Config): StackService {
  const bus = new URL(config.bus.url);
  const port = Number(bus.port || 5672);
  const { node: NODE, distPort: DIST_PORT } = rabbitmqNode(port);
  const dir = join(STACK_DIR, 'rabbitmq');
  const env = {
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: NODE,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_DIST_PORT: DIST_PORT,
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const ctl = (...args: string[]) =>
    execFileSync('rabbitmqctl', ['-n', NODE, ...args], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 60_000 });
  return {
    name: 'rabbitmq',
    address: `amqp://127.0.0.1:${port}`,
    startTimeoutS: 90,
    async ensureInstalled(log) {
      ensureDebianPackages({ 'rabbitmq-server': 'rabbitmq-server' }, log);
    },
    async start() {
      mkdirSync(join(dir, 'log'), { recursive: true });
      writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users = none\n`);
      writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
      // rabbitmq-server drops to the rabbitmq user: its folders must be writable by it.
      execFileSync('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
      if (!(await probeTcp('127.0.0.1', 4369, 500)).ok) {
        startDetached('epmd', 'epmd', ['-address', '127.0.0.1'], { env });
        await waitUntil(async () => (await probeTcp('127.0.0.1', 4369, 300)).ok, 5000);
      }
      startDetached('rabbitmq', 'rabbitmq-server', [], { env });
    },
    async healthy() {
      if (!(await probeTcp('127.0.0.1', port, 1000)).ok) return false;
      try {
        // Async: a blocking check would starve the other services' probes running alongside.
        await promisify(execFile)('rabbitmqctl', ['-n', NODE, 'wait', '--timeout', '5', join(dir, 'pid')], {
          env: { ...process.env, ...env },
          timeout: 30_000,
        });
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      try {
        ctl('stop');
      } catch {
        /* not running, or already stopping: the PID below is the fallback */
      }
      const r = await stopRecorded('rabbitmq');
      await stopRecorded('epmd');
      return r;
    },
  };
}
