// Fetch throughput: our verified download (streamed to disk, sha256 computed on the way) against
// plain `curl -o` of the same file from the Koji simulator's file server, in the same run. The
// simulator runs in a process of its own, so neither client shares an event loop with it; both
// write to the same directory. Each round runs both clients back to back, alternating which goes
// first (page cache and writeback state favour neither), and the result is the median of the
// per-round ratios, which is steadier than a ratio of medians on a shared machine. curl's time is
// its own `time_total` (process start and exit excluded), which can only flatter curl.
// Target: ours ≥ 0.9× curl's throughput. BENCH_FETCH_MIB sets the file size (default 256),
// BENCH_FETCH_ROUNDS the rounds (default 8: as many with curl first as with ours first).
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { downloadVerified } from '../../clients/fetch/trusted-download';
import { taskFileUrl } from '../../clients/koji/task-files';
import { TaskFiles } from '../../sim/koji/task-files';
import type { BenchContext } from './run';

export async function run(ctx: BenchContext): Promise<void> {
  const mib = Number(process.env.BENCH_FETCH_MIB ?? 256);
  const rounds = Number(process.env.BENCH_FETCH_ROUNDS ?? 8);
  const work = mkdtempSync(join(tmpdir(), 'fedimg-bench-fetch-'));
  const dataDir = join(work, 'koji');
  const port = await freePort();
  const sim = spawn(process.execPath, ['--import', 'tsx', 'sim/koji/main.ts', '--port', String(port), '--data-dir', dataDir, '--password-file', join(work, 'pw')], {
    stdio: 'ignore',
  });
  const topUrl = `http://127.0.0.1:${port}/kojifiles`;
  try {
    await waitForHub(`http://127.0.0.1:${port}/kojihub`);
    // Any file in a task's output directory is served like kiwi's; put a large one there.
    const taskId = 4242;
    const dir = new TaskFiles(dataDir).taskDir(taskId);
    mkdirSync(dir, { recursive: true });
    const file = 'bench.raw';
    const hash = createHash('sha256');
    const out = createWriteStream(join(dir, file));
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(1024 * 1024);
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const sha256 = hash.digest('hex');
    const url = taskFileUrl(topUrl, taskId, file);
    const size = mib * 1024 * 1024;

    const curlS: number[] = [];
    const oursS: number[] = [];
    const ratios: number[] = [];
    // The download hashes and writes on the event loop: how long it ever held the loop matters
    // to everything else a worker runs.
    const loopMaxMs: number[] = [];
    const runCurl = async (r: number) => {
      const dest = join(work, `curl-${r}`);
      // Async: the event loop stays free while curl runs.
      await settle();
      const { stdout } = await promisify(execFile)('curl', ['-sS', '-o', dest, '-w', '%{time_total}', url]);
      rmSync(dest);
      return Number(stdout);
    };
    const runOurs = async (r: number) => {
      const dest = join(work, `ours-${r}`);
      await settle();
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const t = performance.now();
      const res = await downloadVerified({ url, dest, expectedSize: size, expectedSha256: sha256, onProgress: () => {} });
      const s = (performance.now() - t) / 1000;
      loop.disable();
      if (r >= 0) loopMaxMs.push(loop.max / 1e6);
      if (res.sha256 !== sha256) throw new Error('bench download did not verify');
      rmSync(dest);
      return s;
    };
    // One untimed run of each: the server's file in the page cache, our code compiled by the JIT.
    await runCurl(-1);
    await runOurs(-1);
    for (let r = 0; r < rounds; r++) {
      let c: number;
      let o: number;
      if (r % 2 === 0) {
        c = await runCurl(r);
        o = await runOurs(r);
      } else {
        o = await runOurs(r);
        c = await runCurl(r);
      }
      curlS.push(c);
      oursS.push(o);
      ratios.push(c / o);
      console.log(`  round ${r + 1}: curl ${(mib / c).toFixed(0).padStart(5)} MiB/s, ours ${(mib / o).toFixed(0).padStart(5)} MiB/s, ratio ${(c / o).toFixed(2)}`);
    }
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      const m = Math.floor(v.length / 2);
      return v.length % 2 ? (v[m] ?? NaN) : ((v[m - 1] ?? NaN) + (v[m] ?? NaN)) / 2;
    };
    const curlMiBs = mib / median(curlS);
    const oursMiBs = mib / median(oursS);
    const ratio = median(ratios);
    console.log(`file ${mib} MiB from the simulator's file server, ${rounds} rounds`);
    console.log(`  curl -o (median)             ${curlMiBs.toFixed(0).padStart(6)} MiB/s`);
    console.log(`  ours (stream + sha256)       ${oursMiBs.toFixed(0).padStart(6)} MiB/s`);
    console.log(`  ratio ours/curl (median)     ${ratio.toFixed(2)}  (target ≥ 0.90; rounds ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
    console.log(`  event loop held at most      ${Math.max(...loopMaxMs).toFixed(0).padStart(6)} ms during our downloads`);
    await writeFile(join(ctx.resultsDir, 'fetch.json'), JSON.stringify({ mib, rounds, curlS, oursS, ratios, curlMiBs, oursMiBs, ratio, loopMaxMs }, null, 2));
  } finally {
    sim.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

/** A pause between runs, so the previous run's aftermath (the server's GC, freeing its pages) lands in neither. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 500));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function waitForHub(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`the simulator did not start at ${url}`);
}
