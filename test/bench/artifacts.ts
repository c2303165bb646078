// Artifact stage vs the plain commands a person would type for the same outputs, on one
// generated disk: a sparse raw of BENCH_IMAGE_GIB (default 4) GiB holding BENCH_DATA_MIB
// (default 600 per 4 GiB) of data, half random and half text-like, with some written zeros.
//   ours:  prepareArtifacts (raw + qcow2 + raw.tar.xz + CHECKSUM, validated), in a child node
//          process whose peak RSS is measured (its own report and /proc VmHWM polling)
//   plain: cp --sparse=always; qemu-img convert -c -O qcow2; tar -S -cf - | xz -T0; sha256sum each
// Targets: wall-time ratio ours/plain <= 1.0, peak RSS of our process <= 256 MiB.
// The machine may be shared, so each run also records CPU time (user+sys of the process tree,
// from /usr/bin/time), which other load disturbs far less than wall time; BENCH_ROUNDS=2 runs
// ours, plain, plain, ours (ABBA) so a drifting background load cancels out.
// Other knobs: BENCH_DIR (scratch, default $TMPDIR/fedora-bench-artifacts), BENCH_KEEP=1,
// BENCH_QEMU_M (default 8), BENCH_XZ_THREADS (default 0), BENCH_ROUNDS (default 1).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreparedArtifacts } from '../../clients/images/artifacts';
import { benchImageSpec, writeDiskImage } from '../unit/images/disk-image';
import type { BenchContext } from './run';

const MiB = 1 << 20;
const BASE = 'Fedora-Cloud-Base-Bench-44-1.0.x86_64';

interface Step {
  name: string;
  ms: number;
  /** user+sys CPU of the whole process tree, when /usr/bin/time is there. */
  cpuMs?: number;
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

/** Wrap a command so /usr/bin/time writes "<user> <sys>" (seconds, tree included) to `out`. */
function timed(out: string, cmd: string, args: string[]): [string, string[]] {
  return haveTime ? [TIME, ['-f', '%U %S', '-o', out, cmd, ...args]] : [cmd, args];
}

async function cpuOf(out: string): Promise<number | undefined> {
  if (!haveTime) return undefined;
  const [u, sy] = (await readFile(out, 'utf8')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  return u !== undefined && sy !== undefined ? Math.round((u + sy) * 1000) : undefined;
}

interface ProcPeak {
  comm: string;
  peakKiB: number;
}

function env(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a number`);
  return n;
}

async function shell(script: string, cwd: string): Promise<{ ms: number; cpuMs?: number }> {
  const started = performance.now();
  const timeOut = join(cwd, '.time');
  const [cmd, args] = timed(timeOut, 'bash', ['-o', 'pipefail', '-c', script]);
  await new Promise<void>((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
    c.once('error', reject);
    c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`))));
  });
  const ms = performance.now() - started;
  const cpuMs = await cpuOf(timeOut);
  return cpuMs === undefined ? { ms } : { ms, cpuMs };
}

async function vmHwmKiB(pid: number): Promise<number | undefined> {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Children of `pid` (their command and pid), from /proc. */
async function childrenOf(pid: number): Promise<{ pid: number; comm: string }[]> {
  const out: { pid: number; comm: string }[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(await readFile(`/proc/${e}/stat`, 'utf8'));
      if (m && Number(m[2]) === pid) out.push({ pid: Number(e), comm: m[1] ?? '?' });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function runOurs(options: Record<string, unknown>, timeOut: string): Promise<{
  wallMs: number;
  cpuMs?: number;
  stageMs: number;
  phases: Record<string, number>;
  result: PreparedArtifacts;
  selfMaxRssKiB: number;
  polledPeakKiB: number;
  tools: ProcPeak[];
}> {
  const childScript = fileURLToPath(new URL('./artifacts-child.ts', import.meta.url));
  const started = performance.now();
  const [cmd, args] = timed(timeOut, process.execPath, ['--import', 'tsx', childScript, JSON.stringify(options)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (t: string) => (out += t));
  let pid = haveTime ? -1 : (child.pid ?? -1);
  let polledPeakKiB = 0;
  const tools = new Map<string, number>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      // under /usr/bin/time, our node process is time's child
      if (pid < 0) pid = (await childrenOf(child.pid ?? -1)).find((c) => c.comm === 'node')?.pid ?? -1;
      polledPeakKiB = Math.max(polledPeakKiB, (await vmHwmKiB(pid)) ?? 0);
      for (const c of await childrenOf(pid)) {
        const hwm = await vmHwmKiB(c.pid);
        if (hwm !== undefined) tools.set(c.comm, Math.max(tools.get(c.comm) ?? 0, hwm));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  polling = false;
  await poller;
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`our stage exited ${code}`);
  const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { stageMs: number; phases: Record<string, number>; result: PreparedArtifacts; maxRssKiB: number };
  const cpuMs = await cpuOf(timeOut);
  return {
    wallMs,
    ...(cpuMs === undefined ? {} : { cpuMs }),
    stageMs: report.stageMs,
    phases: report.phases,
    result: report.result,
    selfMaxRssKiB: report.maxRssKiB,
    polledPeakKiB,
    tools: [...tools].map(([comm, peakKiB]) => ({ comm, peakKiB })),
  };
}

async function runPlain(src: string, dir: string): Promise<Step[]> {
  const raw = `${BASE}.raw`;
  const steps: Step[] = [];
  const step = async (name: string, script: string) => steps.push({ name, ...(await shell(script, dir)) });
  await step('cp --sparse=always (raw)', `cp --sparse=always '${src}' '${raw}'`);
  await step('qemu-img convert -c -O qcow2', `qemu-img convert -c -O qcow2 '${src}' '${BASE}.qcow2'`);
  await step('tar -S -cf - | xz -T0', `tar -S -cf - '${raw}' | xz -T0 > '${raw}.tar.xz'`);
  await step('sha256sum raw', `sha256sum '${raw}' > raw.sha256`);
  await step('sha256sum qcow2', `sha256sum '${BASE}.qcow2' > qcow2.sha256`);
  await step('sha256sum raw.tar.xz', `sha256sum '${raw}.tar.xz' > tarxz.sha256`);
  return steps;
}

async function sizes(paths: string[]): Promise<{ apparent: number; allocated: number }> {
  let apparent = 0;
  let allocated = 0;
  for (const p of paths) {
    const st = await stat(p);
    apparent += st.size;
    allocated += st.blocks * 512;
  }
  return { apparent, allocated };
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const mib = (b: number) => (b / MiB).toFixed(1);

type Ours = Awaited<ReturnType<typeof runOurs>>;

export async function run(ctx: BenchContext): Promise<void> {
  const sizeGiB = env('BENCH_IMAGE_GIB', 4);
  const dataMiB = env('BENCH_DATA_MIB', Math.max(8, Math.round((600 * sizeGiB) / 4)));
  const qemuParallelism = env('BENCH_QEMU_M', 8);
  const xzThreads = env('BENCH_XZ_THREADS', 0);
  const rounds = Math.max(1, Math.trunc(env('BENCH_ROUNDS', 1)));
  const work = process.env.BENCH_DIR ?? join(tmpdir(), 'fedora-bench-artifacts');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const oursDir = join(work, 'ours');
  const plainDir = join(work, 'plain');

  const src = join(work, 'bench.raw');
  console.log(`generating a ${sizeGiB} GiB sparse raw with ${dataMiB} MiB of data in ${work} ...`);
  const t = performance.now();
  const dataBytes = await writeDiskImage(src, benchImageSpec(sizeGiB, dataMiB));
  console.log(`  ${s(performance.now() - t)} s`);

  const oursRuns: (Ours & { load: number[] })[] = [];
  const plainRuns: { steps: Step[]; ms: number; cpuMs?: number; load: number[] }[] = [];
  const doOurs = async () => {
    await rm(oursDir, { recursive: true, force: true });
    const load = loadavg();
    console.log(`ours: prepareArtifacts (raw, qcow2, raw.tar.xz, CHECKSUM, validation), load ${(load[0] ?? 0).toFixed(1)} ...`);
    const o = await runOurs(
      { sourcePath: src, outDir: oursDir, baseName: BASE, outputs: ['qcow2', 'raw.tar.xz'], maxImageBytes: 64 * 1024 * MiB, qemuParallelism, xzThreads },
      join(work, '.time-ours'),
    );
    console.log(`  ${s(o.stageMs)} s`);
    oursRuns.push({ ...o, load });
  };
  const doPlain = async () => {
    await rm(plainDir, { recursive: true, force: true });
    await mkdir(plainDir, { recursive: true });
    const load = loadavg();
    console.log(`plain: cp --sparse, qemu-img convert -c, tar -S | xz -T0, sha256sum, load ${(load[0] ?? 0).toFixed(1)} ...`);
    const steps = await runPlain(src, plainDir);
    const ms = steps.reduce((a, x) => a + x.ms, 0);
    const cpu = steps.every((x) => x.cpuMs !== undefined) ? steps.reduce((a, x) => a + (x.cpuMs ?? 0), 0) : undefined;
    console.log(`  ${s(ms)} s`);
    plainRuns.push({ steps, ms, ...(cpu === undefined ? {} : { cpuMs: cpu }), load });
  };
  // ABBA: ours, plain | plain, ours | ...
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      await doOurs();
      await doPlain();
    } else {
      await doPlain();
      await doOurs();
    }
  }

  const ours = oursRuns.at(-1) as Ours;

  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const oursMs = sum(oursRuns.map((o) => o.stageMs)) / rounds;
  const plainMs = sum(plainRuns.map((p) => p.ms)) / rounds;
  const oursCpu = oursRuns.every((o) => o.cpuMs !== undefined) ? sum(oursRuns.map((o) => o.cpuMs ?? 0)) / rounds : undefined;
  const plainCpu = plainRuns.every((p) => p.cpuMs !== undefined) ? sum(plainRuns.map((p) => p.cpuMs ?? 0)) / rounds : undefined;
  const skipRaw = (x: Step) => x.name !== 'cp --sparse=always (raw)' && x.name !== 'sha256sum raw';
  const plainOutputsOnlyMs = sum(plainRuns.map((p) => sum(p.steps.filter(skipRaw).map((x) => x.ms)))) / rounds;

  const r = ours.result;
  const oursFiles = [r.raw, r.qcow2, r.rawTarXz, r.checksumFile].filter((f) => f !== undefined).map((f) => f.path);
  const plainFiles = [`${BASE}.raw`, `${BASE}.qcow2`, `${BASE}.raw.tar.xz`].map((n) => join(plainDir, n));
  const oursBytes = await sizes(oursFiles);
  const plainBytes = await sizes(plainFiles);
  const plainSha = async (f: string) => (await readFile(join(plainDir, f), 'utf8')).split(' ')[0];
  const sameRaw = (await plainSha('raw.sha256')) === r.raw.sha256;
  const sameQcow2 = (await plainSha('qcow2.sha256')) === r.qcow2?.sha256;

  const ratio = oursMs / plainMs;
  const cpuRatio = oursCpu !== undefined && plainCpu !== undefined ? oursCpu / plainCpu : undefined;
  const peakKiB = Math.max(...oursRuns.map((o) => Math.max(o.selfMaxRssKiB, o.polledPeakKiB)));
  const toolPeaks = new Map<string, number>();
  for (const o of oursRuns) for (const tp of o.tools) toolPeaks.set(tp.comm, Math.max(toolPeaks.get(tp.comm) ?? 0, tp.peakKiB));
  const rows: [string, string, string][] = [
    [`wall time (s)${rounds > 1 ? `, mean of ${rounds}` : ''}`, s(oursMs), s(plainMs)],
    ['  ratio ours/plain (target <= 1.0)', ratio.toFixed(2), ''],
    ['  incl. node+tsx start-up (s)', s(sum(oursRuns.map((o) => o.wallMs)) / rounds), ''],
    ['  plain without the raw copy and its hash (s)', '', s(plainOutputsOnlyMs)],
    ['CPU time user+sys, process tree (s)', oursCpu === undefined ? 'n/a' : s(oursCpu), plainCpu === undefined ? 'n/a' : s(plainCpu)],
    ['  ratio ours/plain', cpuRatio === undefined ? 'n/a' : cpuRatio.toFixed(2), ''],
    ['bytes written, apparent (MiB)', mib(oursBytes.apparent), mib(plainBytes.apparent)],
    ['bytes written, allocated (MiB)', mib(oursBytes.allocated), mib(plainBytes.allocated)],
    ['  raw allocated (MiB)', mib(r.rawAllocatedBytes), mib((await sizes([plainFiles[0] ?? ''])).allocated)],
    ['  qcow2 (MiB)', mib(r.qcow2?.size ?? 0), mib((await stat(plainFiles[1] ?? '')).size)],
    ['  raw.tar.xz (MiB)', mib(r.rawTarXz?.size ?? 0), mib((await stat(plainFiles[2] ?? '')).size)],
    ['peak RSS of our node process (MiB, target <= 256)', mib(peakKiB * 1024), ''],
    ...[...toolPeaks].map(([comm, kib]): [string, string, string] => [`  peak RSS of ${comm} (MiB, not ours)`, mib(kib * 1024), '']),
    ['same raw bytes / same qcow2 bytes', `${sameRaw} / ${sameQcow2}`, ''],
  ];
  console.log(`\nartifact stage: ${sizeGiB} GiB disk, ${mib(dataBytes)} MiB data, ${cpus().length} cores`);
  const w = Math.max(...rows.map((x) => x[0].length));
  console.log(`${''.padEnd(w)}  ${'ours'.padStart(8)}  ${'plain'.padStart(8)}`);
  for (const [k, a, b] of rows) console.log(`${k.padEnd(w)}  ${a.padStart(8)}  ${b.padStart(8)}`);
  for (const [i, o] of oursRuns.entries()) {
    console.log(`ours #${i + 1} (load ${(o.load[0] ?? 0).toFixed(1)}): ${s(o.stageMs)} s, cpu ${o.cpuMs === undefined ? 'n/a' : s(o.cpuMs)} s; phase start:`, Object.entries(o.phases).map(([k, v]) => `${k} ${s(v)}`).join(', '));
  }
  for (const [i, p] of plainRuns.entries()) {
    console.log(`plain #${i + 1} (load ${(p.load[0] ?? 0).toFixed(1)}): ${s(p.ms)} s;`, p.steps.map((x) => `${x.name} ${s(x.ms)}`).join(', '));
  }

  const json = {
    bench: 'artifacts',
    at: new Date().toISOString(),
    machine: { cores: cpus().length },
    image: { sizeGiB, dataMiB, dataBytes },
    settings: { qemuParallelism, xzThreads, rounds },
    ours: {
      meanStageMs: Math.round(oursMs),
      meanCpuMs: oursCpu,
      runs: oursRuns.map((o) => ({ stageMs: o.stageMs, wallMsWithStartup: Math.round(o.wallMs), cpuMs: o.cpuMs, loadavgAtStart: o.load, phaseStartMs: o.phases, selfMaxRssKiB: o.selfMaxRssKiB, polledVmHwmKiB: o.polledPeakKiB, toolPeakRssKiB: o.tools })),
      bytes: oursBytes,
      peakRssKiB: peakKiB,
      files: { raw: r.raw, qcow2: r.qcow2, rawTarXz: r.rawTarXz, checksumFile: r.checksumFile, rawAllocatedBytes: r.rawAllocatedBytes },
    },
    plain: {
      meanMs: Math.round(plainMs),
      meanCpuMs: plainCpu,
      meanOutputsOnlyMs: Math.round(plainOutputsOnlyMs),
      runs: plainRuns.map((p) => ({ ms: Math.round(p.ms), cpuMs: p.cpuMs, loadavgAtStart: p.load, steps: p.steps.map((x) => ({ ...x, ms: Math.round(x.ms) })) })),
      bytes: plainBytes,
    },
    ratio,
    cpuRatio,
    targets: { ratioMax: 1.0, peakRssMiBMax: 256, ratioMet: ratio <= 1.0, rssMet: peakKiB <= 256 * 1024 },
    equivalence: { sameRaw, sameQcow2 },
  };
  const file = join(ctx.resultsDir, `artifacts-${json.at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  if (!process.env.BENCH_KEEP) await rm(work, { recursive: true, force: true });
}
