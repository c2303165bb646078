// The chaos run's worker: workers/main.ts as a child process of this one, so it can be killed
// with SIGKILL (no graceful shutdown, no last heartbeat) and started again, as a host crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { probeHttp } from '../../clients/net/probe';
import { REPO_ROOT } from '../stack/paths';

export class ChaosWorker {
  private child: ChildProcess | undefined;
  private starts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
    private readonly metricsAddress: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts a new worker process and waits until its metrics endpoint answers (it polls by then). */
  async start(): Promise<void> {
    this.starts += 1;
    mkdirSync(this.logDir, { recursive: true });
    const out = openSync(join(this.logDir, `worker-${this.starts}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { cwd: REPO_ROOT, env: this.env, stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the chaos worker exited during start (code ${child.exitCode}, signal ${child.signalCode}); see ${join(this.logDir, `worker-${this.starts}.log`)}`);
      }
      if ((await probeHttp(`http://${this.metricsAddress}/metrics`, { timeoutMs: 1000, expectOk: true })).ok) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('the chaos worker did not come up within 120 s');
  }

  /** SIGKILL: the process gets no chance to finish or report anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  /** The end of the run: a graceful stop (SIGTERM), SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    await exited;
    clearTimeout(timer);
  }
}
