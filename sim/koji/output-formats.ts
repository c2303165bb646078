// The output files that are more than a converted disk, made as the real tools make them:
// - a live ISO 9660 image written by xorriso (what livecd-creator / livemedia-creator / kiwi's
//   iso type hand Koji), with the LiveOS/squashfs.img and boot config a live image carries;
// - Vagrant boxes as kiwi's vagrant subformats write them: a gzip tar of metadata.json,
//   Vagrantfile and box.img (libvirt, qcow2) or box.vmdk + box.ovf (virtualbox);
// - an OCI image layout (oci-layout, index.json, blobs/sha256/…: manifest, config, one gzip
//   layer) in a tar, xz-compressed: kiwi's `.oci.tar.xz` for Fedora's container images.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededBytes } from './prng';

export type Runner = (cmd: string, args: string[], stdoutFile?: string) => Promise<void>;

export interface OutputContent {
  seed: string;
  arch: string;
  /** Logical size of the disk the image stands for (bytes). */
  sizeBytes: number;
  volumeId?: string;
}

/** ISO 9660 volume ids are at most 32 characters; live media use letters, digits, - and _. */
export function isoVolumeId(v: string | undefined): string {
  return (v ?? 'Fedora-Live').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32);
}

export async function writeLiveIso(run: Runner, dest: string, c: OutputContent): Promise<void> {
  const dir = await mkdtemp(`${dest}.iso-`);
  try {
    const vol = isoVolumeId(c.volumeId);
    await mkdir(join(dir, 'LiveOS'), { recursive: true });
    await mkdir(join(dir, 'isolinux'), { recursive: true });
    await mkdir(join(dir, 'EFI', 'BOOT'), { recursive: true });
    // The root file system image: seeded bytes standing for the squashfs (a quarter of the disk).
    await writeFile(join(dir, 'LiveOS', 'squashfs.img'), seededBytes(`${c.seed}:squashfs`, Math.max(64 * 1024, Math.floor(c.sizeBytes / 4))));
    const boot = `root=live:CDLABEL=${vol} rd.live.image quiet rhgb`;
    await writeFile(join(dir, 'isolinux', 'isolinux.cfg'), `default vesamenu.c32\ntimeout 600\nlabel linux\n  menu label ^Start ${vol}\n  kernel vmlinuz\n  append initrd=initrd.img ${boot}\n`);
    await writeFile(join(dir, 'EFI', 'BOOT', 'grub.cfg'), `set default="0"\nmenuentry 'Start ${vol}' --class fedora {\n\tlinux /images/pxeboot/vmlinuz ${boot}\n\tinitrd /images/pxeboot/initrd.img\n}\n`);
    await run('xorriso', ['-as', 'mkisofs', '-quiet', '-J', '-R', '-V', vol, '-A', vol, '-o', dest, dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const GiB = 1024 ** 3;

/** kiwi's vagrant box: `tar -czf <box> metadata.json Vagrantfile <box files>`. */
export async function writeVagrantBox(
  run: Runner,
  dest: string,
  provider: 'libvirt' | 'virtualbox',
  disk: string,
  c: OutputContent,
): Promise<void> {
  const dir = await mkdtemp(`${dest}.box-`);
  try {
    const virtualSize = Math.max(1, Math.ceil(c.sizeBytes / GiB));
    const files: string[] = [];
    let metadata: Record<string, unknown>;
    let extra: string;
    if (provider === 'libvirt') {
      await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', disk, join(dir, 'box.img')]);
      files.push('box.img');
      metadata = { format: 'qcow2', provider: 'libvirt', virtual_size: virtualSize };
      extra = '  config.vm.provider :libvirt do |libvirt|\n    libvirt.driver = "kvm"\n  end\n';
    } else {
      await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', disk, join(dir, 'box.vmdk')]);
      await writeFile(join(dir, 'box.ovf'), virtualboxOvf(c, virtualSize));
      files.push('box.vmdk', 'box.ovf');
      metadata = { provider: 'virtualbox' };
      const mac = seededBytes(`${c.seed}:mac`, 3).toString('hex').toUpperCase();
      extra = `  config.vm.base_mac = "00163E${mac}"\n  config.vm.synced_folder ".", "/vagrant", type: "rsync"\n`;
    }
    await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata, Object.keys(metadata).sort(), 2));
    await writeFile(join(dir, 'Vagrantfile'), `Vagrant.configure("2") do |config|\n${extra}end\n`);
    await run('tar', ['-C', dir, '-czf', dest, 'metadata.json', 'Vagrantfile', ...files]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function virtualboxOvf(c: OutputContent, gib: number): string {
  return `<?xml version="1.0"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="file1" ovf:href="box.vmdk"/>
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
    <Disk ovf:capacity="${gib}" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="${c.seed.replace(/[^A-Za-z0-9._-]/g, '_')}">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="${c.arch === 'x86_64' ? 80 : 101}">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
  </VirtualSystem>
</Envelope>
`;
}

/** GOARCH names the OCI config uses for Fedora's arches. */
export function ociArch(arch: string): string {
  return ({ x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An OCI image layout with one gzip layer, tarred and xz-compressed. */
export async function writeOciArchive(run: Runner, dest: string, c: OutputContent, xzArgs: string[]): Promise<void> {
  const dir = await mkdtemp(`${dest}.oci-`);
  try {
    const root = join(dir, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await mkdir(join(root, 'usr', 'lib'), { recursive: true });
    await writeFile(join(root, 'etc', 'os-release'), `NAME="Fedora Linux"\nID=fedora\nVARIANT="Container Image"\nVARIANT_ID=container\n`);
    await writeFile(join(root, 'usr', 'lib', 'content.bin'), seededBytes(`${c.seed}:layer`, 256 * 1024));
    const layerTar = join(dir, 'layer.tar');
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', root, '-cf', layerTar, 'etc', 'usr']);
    const diffId = sha256(await readFile(layerTar));
    await run('gzip', ['-n', '-1', layerTar]);
    const layer = await readFile(`${layerTar}.gz`);
    const layout = join(dir, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const blob = async (b: Buffer) => {
      const d = sha256(b);
      await writeFile(join(blobs, d), b);
      return { digest: `sha256:${d}`, size: b.length };
    };
    const layerDesc = await blob(layer);
    const config = Buffer.from(
      JSON.stringify({
        architecture: ociArch(c.arch),
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'], Labels: { license: 'MIT', name: 'fedora' } },
        rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
        history: [{ created_by: 'KIWI (koji-sim)' }],
      }),
    );
    const configDesc = await blob(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configDesc },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerDesc }],
      }),
    );
    const manifestDesc = await blob(manifest);
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
      }),
    );
    const tar = join(dir, 'image.oci.tar');
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', tar, 'oci-layout', 'index.json', 'blobs']);
    await run('xz', [...xzArgs, tar], dest);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
