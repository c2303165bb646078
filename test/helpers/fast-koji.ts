// A Koji hub simulator of the caller's own, on a free port, with the pipeline's user and builds
// that take well under a second: the stack's simulator builds with realistic timing (seconds per
// step), which would make whole-release tests and benches mostly waiting.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKojiSim, type KojiSim, type Timing } from '../../sim/koji';

export interface FastKoji {
  sim: KojiSim;
  user: string;
  passwordFile: string;
  password: string;
}

export async function startFastKoji(
  dir: string,
  /** autoRun false: builds stay FREE until the test calls sim.advance() (or cancels them). */
  opts: { user?: string; imageSizeBytes?: number; timing?: Partial<Timing> | 'fast'; autoRun?: boolean } = {},
): Promise<FastKoji> {
  const user = opts.user ?? 'fedimg';
  const password = randomBytes(12).toString('hex');
  mkdirSync(dir, { recursive: true });
  const passwordFile = join(dir, 'koji-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const sim = await startKojiSim({
    dataDir: join(dir, 'koji'),
    users: [{ name: user, password, perms: ['image', 'livecd', 'appliance'] }],
    timing: opts.timing ?? 'fast',
    imageSizeBytes: opts.imageSizeBytes ?? 64 * 1024 * 1024,
    ...(opts.autoRun === undefined ? {} : { autoRun: opts.autoRun }),
  });
  return { sim, user, passwordFile, password };
}
