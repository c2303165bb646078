// Every output type the simulator's builders hand Koji is the file it claims to be, checked with
// the tools a user would reach for: xorriso reads the live ISO, tar lists the Vagrant boxes and
// qemu-img reads the disk inside, the Azure VHD ends in a valid fixed-disk footer over a whole
// number of MiB, GCE's tar.gz holds disk.raw as an oldgnu sparse member, and the OCI archive is an
// image layout whose digests match. File names follow Fedora's Koji tasks (fedora-images.md).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { DiskImageFactory, defaultKiwiFormats } from '../../../sim/koji';
import { planChild } from '../../../sim/koji/image-kinds';
import { tempDir } from './helpers';

const dir = tempDir('koji-sim-formats-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const factory = new DiskImageFactory({ cacheDir: join(dir, 'cache') });
const MiB = 1024 * 1024;
const content = { seed: 'formats-test', arch: 'x86_64', sizeBytes: 12 * MiB };
const sh = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 * MiB });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A scratch folder per check, for what tar extracts. */
function unpackDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('output files', () => {
  it('live ISO: an ISO 9660 image xorriso reads, with its volume id and the live root image', async () => {
    const iso = await factory.get({ ...content, iso: true, volumeId: 'Fedora-WS-Live-44-1-7' }, 'iso');
    const pvd = sh('xorriso', ['-indev', iso, '-pvd_info']);
    expect(pvd).toMatch(/^Volume Id\s*: Fedora-WS-Live-44-1-7$/m);
    const files = sh('xorriso', ['-indev', iso, '-find', '/', '-type', 'f']);
    expect(files).toMatch(/'\/LiveOS\/squashfs\.img'/);
    expect(files).toMatch(/'\/EFI\/BOOT\/grub\.cfg'/);
    expect(sh('blkid', ['-p', '-o', 'export', iso])).toMatch(/^TYPE=iso9660$/m);
  });

  it('Vagrant libvirt box: a gzip tar of metadata.json, Vagrantfile and a qcow2 box.img', async () => {
    const box = await factory.get(content, 'vagrant.libvirt.box');
    expect(sh('tar', ['-tzf', box]).trim().split('\n')).toEqual(['metadata.json', 'Vagrantfile', 'box.img']);
    const out = unpackDir('libvirt');
    sh('tar', ['-xzf', box, '-C', out]);
    expect(JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8'))).toEqual({ format: 'qcow2', provider: 'libvirt', virtual_size: 1 });
    const info = JSON.parse(sh('qemu-img', ['info', '--output=json', join(out, 'box.img')])) as { format: string; 'virtual-size': number };
    expect([info.format, info['virtual-size']]).toEqual(['qcow2', 12 * MiB]);
    sh('qemu-img', ['check', join(out, 'box.img')]);
    expect(readFileSync(join(out, 'Vagrantfile'), 'utf8')).toMatch(/^Vagrant\.configure\("2"\) do \|config\|\n[\s\S]*libvirt\.driver = "kvm"[\s\S]*^end$/m);
  });

  it('Vagrant VirtualBox box: metadata.json, Vagrantfile, a streamOptimized box.vmdk and box.ovf', async () => {
    const box = await factory.get(content, 'vagrant.virtualbox.box');
    expect(sh('tar', ['-tzf', box]).trim().split('\n')).toEqual(['metadata.json', 'Vagrantfile', 'box.vmdk', 'box.ovf']);
    const out = unpackDir('virtualbox');
    sh('tar', ['-xzf', box, '-C', out]);
    expect(JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8'))).toEqual({ provider: 'virtualbox' });
    const info = JSON.parse(sh('qemu-img', ['info', '--output=json', join(out, 'box.vmdk')])) as { format: string; 'format-specific': { data: { 'create-type': string } } };
    expect([info.format, info['format-specific'].data['create-type']]).toEqual(['vmdk', 'streamOptimized']);
    expect(readFileSync(join(out, 'box.ovf'), 'utf8')).toMatch(/ovf:href="box\.vmdk"/);
  });

  it('Azure vhdfixed.xz: the raw disk plus a 512-byte fixed VHD footer, a whole number of MiB', async () => {
    const xz = await factory.get(content, 'vhdfixed.xz');
    const vhd = execFileSync('xz', ['-dc', xz], { maxBuffer: 64 * MiB });
    const footer = vhd.subarray(vhd.length - 512);
    const data = vhd.length - 512;
    expect(data % MiB).toBe(0);
    expect(footer.subarray(0, 8).toString('latin1')).toBe('conectix');
    expect(footer.readUInt32BE(60)).toBe(2); // disk type: fixed
    expect(footer.readBigUInt64BE(40)).toBe(BigInt(data)); // original size
    expect(footer.readBigUInt64BE(48)).toBe(BigInt(data)); // current size
    // The checksum is the ones' complement of the footer's byte sum without the checksum field.
    let sum = 0;
    footer.forEach((b, i) => (sum += i >= 64 && i < 68 ? 0 : b));
    expect(footer.readUInt32BE(64)).toBe(~sum >>> 0);
    // The data part is the raw disk itself.
    expect(sha256(vhd.subarray(0, data))).toBe(sha256(readFileSync(await factory.get(content, 'raw'))));
  });

  it('GCE tar.gz: disk.raw as an oldgnu sparse member of the disk size', async () => {
    const tgz = await factory.get(content, 'tar.gz');
    expect(sh('tar', ['-tvzf', tgz])).toMatch(new RegExp(`^-\\S+ \\S+\\s+${12 * MiB} .* disk\\.raw$`, 'm'));
    const header = gunzipSync(readFileSync(tgz)).subarray(0, 512);
    expect(header.subarray(0, 8).toString('latin1')).toBe('disk.raw');
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar  \0'); // GNU (oldgnu) magic
    expect(String.fromCharCode(header[156]!)).toBe('S'); // GNU sparse member
  });

  it('OCI archive (.oci.tar.xz): an image layout whose index, manifest, config and layer digests match', async () => {
    const xz = await factory.get({ ...content, arch: 'aarch64' }, 'oci.tar.xz');
    const out = unpackDir('oci');
    sh('tar', ['-xJf', xz, '-C', out]);
    expect(JSON.parse(readFileSync(join(out, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const blob = (digest: string) => {
      const b = readFileSync(join(out, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
      expect(`sha256:${sha256(b)}`).toBe(digest);
      return b;
    };
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string }> };
    expect(index.manifests[0]!.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    const manifest = JSON.parse(blob(index.manifests[0]!.digest).toString()) as { config: { digest: string }; layers: Array<{ digest: string; size: number }> };
    const config = JSON.parse(blob(manifest.config.digest).toString()) as { architecture: string; os: string; rootfs: { diff_ids: string[] } };
    expect([config.architecture, config.os]).toEqual(['arm64', 'linux']);
    const layer = blob(manifest.layers[0]!.digest);
    expect(layer.length).toBe(manifest.layers[0]!.size);
    expect(`sha256:${sha256(gunzipSync(layer))}`).toBe(config.rootfs.diff_ids[0]);
    const layerDir = unpackDir('oci-layer');
    execFileSync('tar', ['-xzf', '-', '-C', layerDir], { input: layer });
    expect(readFileSync(join(layerDir, 'etc', 'os-release'), 'utf8')).toMatch(/^ID=fedora$/m);
    expect(readdirSync(join(out, 'blobs', 'sha256'))).toHaveLength(3);
    expect(statSync(xz).size).toBeGreaterThan(0);
  });
});

describe("Fedora's file names", () => {
  const kinds = { kiwiImageName: 'Fedora', kiwiDefaultVersion: 'Rawhide', defaultRelease: '1', kiwiFormats: defaultKiwiFormats };
  const filesOf = (method: string, request: XmlRpcValue[]) => planChild(method, 9, request, kinds).result.files as string[];
  const kiwiFiles = (profile: string, arch = 'x86_64') =>
    filesOf('createKiwiImage', [`Fedora-${profile}`, '44', '1.7', arch, {}, 1, {}, 'git+https://x', 'Fedora.kiwi', { profile, result_bundle_name_format: '%N-%v-%I.%A' }]);

  it('kiwi profiles ask for their types, named %N-%v-%I.%A with kiwi checksum files', () => {
    expect(kiwiFiles('Cloud-Base-Vagrant-libvirt')).toEqual(['Fedora-Cloud-Base-Vagrant-libvirt-44-1.7.x86_64.vagrant.libvirt.box', 'Fedora-Cloud-Base-Vagrant-libvirt-44-1.7.x86_64.vagrant.libvirt.box.sha256']);
    expect(kiwiFiles('Cloud-Base-Vagrant-VirtualBox')).toEqual(['Fedora-Cloud-Base-Vagrant-VirtualBox-44-1.7.x86_64.vagrant.virtualbox.box', 'Fedora-Cloud-Base-Vagrant-VirtualBox-44-1.7.x86_64.vagrant.virtualbox.box.sha256']);
    expect(kiwiFiles('Cloud-Base-Azure')[0]).toBe('Fedora-Cloud-Base-Azure-44-1.7.x86_64.vhdfixed.xz');
    expect(kiwiFiles('Cloud-Base-GCE')[0]).toBe('Fedora-Cloud-Base-GCE-44-1.7.x86_64.tar.gz');
    expect(kiwiFiles('Container-Base-Generic', 'aarch64')[0]).toBe('Fedora-Container-Base-Generic-44-1.7.aarch64.oci.tar.xz');
    expect(kiwiFiles('KDE-Desktop-Live')[0]).toBe('Fedora-KDE-Desktop-Live-44-1.7.x86_64.iso');
  });

  it('livecd and appliance tasks name their files as livecd-creator and appliance-creator do', () => {
    const req = (name: string): XmlRpcValue[] => [name, '44', '1', 'x86_64', {}, 1, {}, 'fedora.ks', { format: 'qcow2' }];
    expect(filesOf('createLiveCD', req('Fedora-Workstation-Live'))).toEqual(['Fedora-Workstation-Live-44-1.iso']);
    expect(filesOf('createAppliance', req('Fedora-Appliance'))).toEqual(['Fedora-Appliance-44-1-sda.qcow2', 'Fedora-Appliance-44-1.xml']);
  });
});
