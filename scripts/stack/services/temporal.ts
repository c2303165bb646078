// The Temporal dev server from the Temporal CLI: SQLite file, Web UI, the project's search
// attributes registered. The binary comes from TEMPORAL_CLI_PATH, then PATH, then the machine
// cache; only when all are missing is it built once through the Go module proxy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../../domain/search-attributes';
import { probeHttp, probeTcp, splitHostPort } from '../../../clients/net/probe';
import type { Config } from '../../../config';
import { CACHE_DIR, STACK_DIR } from '../paths';
import { commandExists, startDetached, stopRecorded } from '../process';
import type { StackService } from '../service';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/**
 * The namespace the integration tests run in (test/setup/stack.ts points them at it), so the
 * demo's namespace and its UI list show only the demo's workflows and schedules.
 */
export const TEST_NAMESPACE = 'fedimg-test';

export function temporalBinary(): string {
  if (process.env.TEMPORAL_CLI_PATH) return process.env.TEMPORAL_CLI_PATH;
  const cached = join(CACHE_DIR, 'bin', 'temporal');
  if (existsSync(cached)) return cached;
  if (commandExists('temporal')) return 'temporal';
  return cached;
}

export function temporalService(config: Config): StackService {
  const { host, port } = splitHostPort(config.temporal.address);
  const ui = new URL(config.temporal.uiUrl);
  return {
    name: 'temporal',
    address: `${config.temporal.address} (UI ${config.temporal.uiUrl})`,
    startTimeoutS: 60,
    async ensureInstalled(log) {
      const bin = temporalBinary();
      if (bin === 'temporal' || existsSync(bin)) return;
      if (process.env.TEMPORAL_CLI_PATH) throw new Error(`TEMPORAL_CLI_PATH=${bin} does not exist`);
      log(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} through the Go module proxy (once per machine, a few minutes)`);
      mkdirSync(join(CACHE_DIR, 'bin'), { recursive: true });
      // v1.5.x has no replace directives, which `go install pkg@version` would refuse.
      execFileSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
        env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(CACHE_DIR, 'bin') },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    },
    async start() {
      mkdirSync(STACK_DIR, { recursive: true });
      const attrs = Object.entries(SEARCH_ATTRIBUTES).flatMap(([n, t]) => ['--search-attribute', `${n}=${t}`]);
      startDetached('temporal', temporalBinary(), [
        'server', 'start-dev',
        '--ip', host, '--port', String(port),
        '--ui-ip', ui.hostname, '--ui-port', ui.port,
        '--db-filename', join(STACK_DIR, 'temporal.sqlite'),
        // Both get the search attributes below (the dev server registers them per namespace).
        '--namespace', config.temporal.namespace,
        ...(config.temporal.namespace === TEST_NAMESPACE ? [] : ['--namespace', TEST_NAMESPACE]),
        '--log-level', 'warn',
        ...attrs,
      ]);
    },
    async healthy() {
      return (await probeTcp(host, port, 1000)).ok && (await probeHttp(config.temporal.uiUrl, { timeoutMs: 1000 })).ok;
    },
    stop: () => stopRecorded('temporal'),
  };
}
