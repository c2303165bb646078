// Fetch throughput: our verified download (streamed to disk, sha256 computed on the way) against
// plain `curl -o` of the same file from the Koji simulator's file server, in the same run. The
// simulator runs in a process of its own, so neither client shares an event loop with it.
// Target: ours ≥ 0.9× curl's throughput. BENCH_FETCH_MIB sets the file size (default 1024).
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { downloadVerified } from '../../clients/fetch/trusted-download';
import { taskFileUrl } from '../../clients/koji/task-files';
import { TaskFiles } from '../../sim/koji/task-files';
import type { BenchContext } from './run';

export async function run(ctx: BenchContext): Promise<void> {
  const mib = Number(process.env.BENCH_FETCH_MIB ?? 1024);
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

    const rounds = 3;
    const curlS: number[] = [];
    const oursS: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const curlDest = join(work, `curl-${r}`);
      let t = performance.now();
      // Async: the simulator serves from this very process.
      await promisify(execFile)('curl', ['-sS', '-o', curlDest, url]);
      curlS.push((performance.now() - t) / 1000);
      rmSync(curlDest);

      const ourDest = join(work, `ours-${r}`);
      t = performance.now();
      const res = await downloadVerified({ url, dest: ourDest, expectedSize: size, expectedSha256: sha256 });
      oursS.push((performance.now() - t) / 1000);
      if (res.sha256 !== sha256) throw new Error('bench download did not verify');
      rmSync(ourDest);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const curlMiBs = mib / median(curlS);
    const oursMiBs = mib / median(oursS);
    const ratio = oursMiBs / curlMiBs;
    console.log(`file ${mib} MiB from the simulator's file server, median of ${rounds}`);
    console.log(`  curl -o                      ${curlMiBs.toFixed(0).padStart(6)} MiB/s`);
    console.log(`  ours (stream + sha256)       ${oursMiBs.toFixed(0).padStart(6)} MiB/s`);
    console.log(`  ratio ours/curl              ${ratio.toFixed(2)}  (target ≥ 0.90)`);
    await writeFile(join(ctx.resultsDir, 'fetch.json'), JSON.stringify({ mib, curlS, oursS, curlMiBs, oursMiBs, ratio }, null, 2));
  } finally {
    sim.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
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
