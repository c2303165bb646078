// Reachability probes for outside services: a TCP connect or an HTTP request with a deadline.
// Used by the health activity and the local stack's health checks.
import { connect } from 'node:net';

export interface ProbeResult {
  ok: boolean;
  detail: string;
  latencyMs: number;
}

export function probeTcp(host: string, port: number, timeoutMs = 3000): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ ok, detail, latencyMs: Math.round(performance.now() - started) });
    };
    socket.setTimeout(timeoutMs, () => done(false, `no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(true, 'accepting connections'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
  });
}

/** Any HTTP answer (even 4xx) proves the server is up; only `expectOk` demands a 2xx. */
export async function probeHttp(url: string, { timeoutMs = 3000, expectOk = false } = {}): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    const ok = expectOk ? res.ok : res.status < 500;
    return { ok, detail: `HTTP ${res.status}`, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, detail: cause ?? (err as Error).message, latencyMs: Math.round(performance.now() - started) };
  }
}

export function splitHostPort(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) };
}
