// The standard `koji` command line (PyPI koji 1.35.3, installed into the stack's venv by
// scripts/stack/prepare.ts) against the hub simulator, as a person would use it: list the hosts,
// permissions and the API, start a kiwi build without --arch and watch it, read the task and the
// build it made, list builds, download the task's files; image-build, spin-livecd and
// spin-appliance; a malformed arch refused at submission. The assertions read the CLI's output.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENV_DIR } from '../../../scripts/stack/paths';
import { startKojiSim, type KojiSim } from '../../../sim/koji';

const run = promisify(execFile);
const KOJI = join(VENV_DIR, 'bin', 'koji');
const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';
const KS_URL = 'git+https://pagure.io/fedora-kickstarts.git?#0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const PASSWORD = 'cli-test-pw';

let sim: KojiSim;
let dir: string;
let config: string;

beforeAll(async () => {
  if (!existsSync(KOJI)) throw new Error(`the koji CLI is not installed at ${KOJI}: run \`npx tsx scripts/stack/prepare.ts\``);
  dir = mkdtempSync(join(tmpdir(), 'fedimg-koji-cli-'));
  sim = await startKojiSim({
    dataDir: join(dir, 'koji'),
    users: [{ name: 'fedimg', password: PASSWORD, perms: ['image', 'livecd', 'appliance'] }],
    timing: { openMs: 20, childStartMs: 20, buildMs: 100, finishMs: 40 },
    imageSizeBytes: 8 * 1024 * 1024,
  });
  // A profile as a user writes one for a hub: where the hub, the web UI and the files are.
  config = join(dir, 'koji.conf');
  writeFileSync(config, `[sim]\nserver = ${sim.hubUrl}\nweburl = ${sim.url}/koji\ntopurl = ${sim.topUrl}\nauthtype = password\npoll_interval = 1\n`);
});
afterAll(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Cli {
  code: number;
  stdout: string;
  stderr: string;
}

/** `koji -p sim --user fedimg --password … <args>`; HOME points away from any real ~/.koji. */
async function koji(args: string[], cwd = dir): Promise<Cli> {
  try {
    const { stdout, stderr } = await run(KOJI, ['--config', config, '-p', 'sim', '--user', 'fedimg', '--password', PASSWORD, ...args], {
      cwd,
      env: { ...process.env, HOME: dir },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const createdTask = (out: string): number => {
  const m = /^Created task: (\d+)$/m.exec(out);
  if (!m) throw new Error(`no "Created task" in:\n${out}`);
  return Number(m[1]);
};

describe('the koji CLI against the simulator', () => {
  it('list-hosts, list-permissions and list-api', async () => {
    const hosts = await koji(['list-hosts']);
    expect(hosts.code).toBe(0);
    expect(hosts.stdout).toMatch(/^Hostname Enb Rdy Load\/Cap {2}Arches/m);
    expect(hosts.stdout).toMatch(/^builder1 Y {3}Y {3}\s*\d+\.\d\/2\.0 {2}x86_64,aarch64 /m);

    const mine = await koji(['list-permissions', '--mine']);
    expect(mine.code).toBe(0);
    expect(mine.stdout.split('\n').slice(2).map((l) => l.trim()).filter(Boolean)).toEqual(['appliance', 'image', 'livecd']);
    const all = await koji(['list-permissions']);
    expect(all.stdout).toMatch(/^image +Start image tasks\.$/m);

    const api = await koji(['list-api']);
    expect(api.code).toBe(0);
    expect(api.stdout).toMatch(/^getTaskInfo\(task_id, request=False, strict=False\)$/m);
    expect(api.stdout).toMatch(/^kiwiBuild\(target, arches, desc_url, desc_path, optional_arches=None, profile=None, scratch=False,/m);
    expect((await koji(['list-api', 'getBuild'])).stdout.trim()).toBe('getBuild(buildInfo, strict=False)');
    expect((await koji(['list-api', 'noSuchMethod'])).stderr).toMatch(/Unknown method: noSuchMethod/);
  });

  it('kiwi-build without --arch builds every arch of the build tag, then taskinfo, buildinfo, list-builds and download-task read it', async () => {
    const build = await koji(['kiwi-build', '--kiwi-profile', 'Cloud-Base-Generic', '--version', '44', '--release', '1.1', '--result-bundle-name-format', '%N-%v-%I.%A', 'f-target', KIWI_URL, 'Fedora.kiwi']);
    expect(build.stderr).toMatch(/^no repos given, using buildroot repo$/m);
    expect(build.code).toBe(0);
    const id = createdTask(build.stdout);
    // watch_tasks prints each state change it saw: `  2 createKiwiImage (x86_64): open (builder1) -> closed`.
    expect(build.stdout).toMatch(/^ +\d+ createKiwiImage \(x86_64\): .*closed$/m);
    expect(build.stdout).toMatch(/^ +\d+ createKiwiImage \(aarch64\): .*closed$/m);
    expect(build.stdout).toMatch(/^ +\d+ tagBuild \(noarch\): .*closed$/m);
    expect(build.stdout).toMatch(new RegExp(`^${id} kiwiBuild \\(noarch\\) completed successfully$`, 'm'));

    const nvr = 'Fedora-Cloud-Base-Generic-44-1.1';
    const info = await koji(['taskinfo', String(id)]);
    expect(info.stdout).toMatch(/^Type: kiwiBuild$/m);
    expect(info.stdout).toMatch(/^State: closed$/m);
    expect(info.stdout).toMatch(/^Host: builder1$/m);
    expect(info.stdout).toMatch(new RegExp(`^Build: ${nvr} \\(\\d+\\)$`, 'm'));
    const x86 = sim.store.children(id).find((c) => c.arch === 'x86_64')!;
    const child = await koji(['taskinfo', String(x86.id)]);
    expect(child.stdout).toMatch(/^Type: createKiwiImage$/m);
    expect(child.stdout).toContain(`/mnt/koji/work/tasks/${x86.id % 10000}/${x86.id}/${nvr}.x86_64.qcow2\n`);

    const bi = await koji(['buildinfo', nvr]);
    expect(bi.code).toBe(0);
    expect(bi.stdout).toMatch(new RegExp(`^BUILD: ${nvr} \\[\\d+\\]$`, 'm'));
    expect(bi.stdout).toMatch(/^State: COMPLETE$/m);
    expect(bi.stdout).toMatch(/^Built by: fedimg$/m);
    expect(bi.stdout).toMatch(new RegExp(`^Task: ${id} kiwiBuild \\(noarch\\)$`, 'm'));
    expect(bi.stdout).toMatch(/^Tags: f-dest$/m);
    expect(bi.stdout).toContain(`/mnt/koji/packages/Fedora-Cloud-Base-Generic/44/1.1/images/${nvr}.aarch64.qcow2\n`);

    const lb = await koji(['list-builds', '--package', 'Fedora-Cloud-Base-Generic']);
    expect(lb.stdout).toMatch(new RegExp(`^${nvr} +fedimg +COMPLETE$`, 'm'));
    expect((await koji(['list-builds', '--owner', 'fedimg', '--state', 'COMPLETE'])).stdout).toMatch(new RegExp(`^${nvr} `, 'm'));

    // download-task --all: the images and kiwi's checksum files, which sha256sum accepts.
    const dl = join(dir, 'download');
    mkdirSync(dl);
    const down = await koji(['download-task', '--all', String(id)], dl);
    expect(down.code).toBe(0);
    const files = readdirSync(dl).sort();
    expect(files).toEqual(expect.arrayContaining([`${nvr}.aarch64.qcow2`, `${nvr}.aarch64.qcow2.sha256`, `${nvr}.x86_64.qcow2`, `${nvr}.x86_64.qcow2.sha256`]));
    const check = await run('sha256sum', ['-c', `${nvr}.x86_64.qcow2.sha256`, `${nvr}.aarch64.qcow2.sha256`], { cwd: dl });
    expect(check.stdout).toBe(`${nvr}.x86_64.qcow2: OK\n${nvr}.aarch64.qcow2: OK\n`);
  });

  it('refuses a malformed arch at submission, as the hub does, and starts nothing', async () => {
    const before = sim.store.all().length;
    const bad = await koji(['kiwi-build', '--scratch', '--arch', 'x86_64;rm', '--kiwi-profile', 'Cloud-Base-Generic', 'f-target', KIWI_URL, 'Fedora.kiwi']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/GenericError: Architecture can be only \[a-zA-Z0-9_-\]/);
    expect(bad.stdout).not.toMatch(/Created task/);
    expect(sim.store.all().length).toBe(before);
  });

  it('image-build, spin-livecd and spin-appliance run to completion', async () => {
    const oz = await koji([
      'image-build', '--wait', '--scratch', '--ksurl', KS_URL, '--kickstart', 'fedora-cloud-base.ks', '--distro', 'Fedora-44', '--format', 'qcow2', '--format', 'raw-xz',
      'Fedora-Cloud-Base', '44', 'f-target', 'https://dl.example.org/44/Everything/$arch/os/', 'x86_64',
    ]);
    expect(oz.code).toBe(0);
    const ozId = createdTask(oz.stdout);
    // The CLI shows known task methods with their parameters: `7 createImage (f-target, …, x86_64): open (builder1) -> closed`.
    expect(oz.stdout).toMatch(/^ +\d+ createImage \(f-target, Fedora-Cloud-Base-44-1, .*, x86_64\): .*closed$/m);
    expect(oz.stdout).toMatch(new RegExp(`^${ozId} image \\(.*\\) completed successfully$`, 'm'));

    const ks = join(dir, 'fedora-live.ks');
    writeFileSync(ks, '%packages\n@core\n%end\n');
    const live = await koji(['spin-livecd', '--wait', '--scratch', 'Fedora-Workstation-Live', '44', 'f-target', 'x86_64', ks]);
    expect(live.code).toBe(0);
    const liveId = createdTask(live.stdout);
    expect(live.stdout).toMatch(/^ +\d+ createLiveCD \(.*\): .*closed$/m);
    expect(live.stdout).toMatch(new RegExp(`^${liveId} livecd \\(.*\\) completed successfully$`, 'm'));
    // The kickstart went up through the hub's upload handler first (cli-livecd/<unique>/).
    expect(readdirSync(join(dir, 'koji', 'work', 'cli-livecd'))).toHaveLength(1);

    const app = await koji(['spin-appliance', '--wait', '--scratch', 'Fedora-Appliance', '44', 'f-target', 'x86_64', ks]);
    expect(app.code).toBe(0);
    const appId = createdTask(app.stdout);
    expect(app.stdout).toMatch(/^ +\d+ createAppliance \(.*\): .*closed$/m);
    expect(app.stdout).toMatch(new RegExp(`^${appId} appliance \\(.*\\) completed successfully$`, 'm'));
  });
});
