// The simulator's file server streaming large files: the whole file and a range arrive byte for
// byte through its two reused buffers, and a client that goes away mid-file leaves no open file
// behind in the simulator.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKojiSim, type KojiSim } from '../../../sim/koji';
import { tempDir } from './helpers';

const TASK = 777;
const data = randomBytes(5 * 1024 * 1024 + 17);
let sim: KojiSim;
let url: string;

beforeAll(async () => {
  sim = await startKojiSim({ dataDir: tempDir(), users: [] });
  mkdirSync(sim.taskDir(TASK), { recursive: true });
  writeFileSync(join(sim.taskDir(TASK), 'big.raw'), data);
  url = `${sim.topUrl}/work/tasks/${TASK % 10000}/${TASK}/big.raw`;
});
afterAll(() => sim.close());

/** Descriptors of this process (the simulator runs in it) open on the served file. */
const openOnFile = () =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).endsWith('/big.raw');
    } catch {
      return false;
    }
  }).length;

async function fetchBytes(headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('file server streaming', () => {
  it('sends a multi-MiB file and a range of it exactly', async () => {
    const same = async (headers: Record<string, string>, status: number, expected: Buffer) => {
      const r = await fetchBytes(headers);
      expect(r.status).toBe(status);
      expect(r.body.length).toBe(expected.length);
      expect(r.body.equals(expected)).toBe(true);
    };
    await same({}, 200, data);
    const start = 1024 * 1024 + 5;
    await same({ Range: `bytes=${start}-` }, 206, data.subarray(start));
    await same({ Range: 'bytes=10-2097161' }, 206, data.subarray(10, 2097162));
  });

  it('closes the file when the client disconnects mid-body', async () => {
    const during = await new Promise<number>((resolve, reject) => {
      const req = get(url, (res) => {
        res.once('data', () => {
          // The simulator is mid-file, so it has the file open; then the client goes away.
          resolve(openOnFile());
          req.destroy();
        });
      });
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    });
    expect(during).toBe(1);
    const until = Date.now() + 5000;
    while (openOnFile() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(openOnFile()).toBe(0);
  });
});
