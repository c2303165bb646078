// A moto server of the caller's own on a free port (the stack's venv), so benches that create
// many AMIs and snapshots never fill the shared stack's moto. Stopped by its own pid.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { VENV_DIR } from '../../scripts/stack/paths';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startPrivateMoto(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(join(VENV_DIR, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode} (is the stack's venv in ${VENV_DIR}? run npm run stack:up once)`);
    const ok = await fetch(`${url}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, stop: () => void child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  throw new Error('moto_server did not answer within 30 s');
}
