// The Glance properties a Fedora cloud image carries: the ones Nova and Horizon read to boot it
// right (os_*, architecture, hw_*), and this project's own identity (fedimg_*), which is how a
// later run recognises its image. Glance stores extra properties as strings only.

export type FedoraArch = 'x86_64' | 'aarch64' | 'ppc64le' | 's390x' | 'riscv64';
export type Firmware = 'bios' | 'uefi';

export interface FedoraImageIdentity {
  arch: FedoraArch;
  /** "44", "rawhide". */
  release: string;
  /** Image family, e.g. Cloud-Base-Generic. */
  family: string;
  /** Release kind, e.g. nightly, weekly, rc, respin. */
  kind: string;
  /** Koji build (or compose) this image came from. */
  buildId: string;
  /** sha256 of the qcow2 as staged and published on the download server. */
  sha256: string;
}

export interface FedoraPropertyOptions {
  /** x86_64 images boot both ways; other arches have one answer. Default bios. */
  x86Firmware?: Firmware;
}

/** Names of this project's identity properties. */
export const IDENTITY = {
  build: 'fedimg_build',
  family: 'fedimg_family',
  release: 'fedimg_release',
  kind: 'fedimg_kind',
  sha256: 'fedimg_sha256',
} as const;

interface ArchDefaults {
  machine: string;
  firmware: Firmware | undefined;
  diskBus: 'scsi' | 'virtio';
}

// q35 for x86_64 (PCIe, what current Nova defaults to); virt for the ARM and RISC-V boards
// (UEFI only); pseries / s390-ccw-virtio where those are the only machines. virtio-scsi gives
// discard/TRIM to the guest; s390x keeps virtio-blk, its usual choice.
const ARCH: Record<FedoraArch, ArchDefaults> = {
  x86_64: { machine: 'q35', firmware: undefined, diskBus: 'scsi' },
  aarch64: { machine: 'virt', firmware: 'uefi', diskBus: 'scsi' },
  riscv64: { machine: 'virt', firmware: 'uefi', diskBus: 'scsi' },
  ppc64le: { machine: 'pseries', firmware: undefined, diskBus: 'scsi' },
  s390x: { machine: 's390-ccw-virtio', firmware: undefined, diskBus: 'virtio' },
};

export function fedoraImageProperties(id: FedoraImageIdentity, opts: FedoraPropertyOptions = {}): Record<string, string> {
  const a = ARCH[id.arch];
  const firmware = id.arch === 'x86_64' ? (opts.x86Firmware ?? 'bios') : a.firmware;
  const props: Record<string, string> = {
    os_distro: 'fedora',
    os_version: id.release.toLowerCase(),
    os_type: 'linux',
    os_admin_user: 'fedora',
    architecture: id.arch,
    hw_machine_type: a.machine,
    hw_disk_bus: a.diskBus,
    hw_vif_model: 'virtio',
    hw_rng_model: 'virtio',
    hw_qemu_guest_agent: 'yes',
    [IDENTITY.build]: id.buildId,
    [IDENTITY.family]: id.family,
    [IDENTITY.release]: id.release,
    [IDENTITY.kind]: id.kind,
    [IDENTITY.sha256]: id.sha256.toLowerCase(),
  };
  if (a.diskBus === 'scsi') props.hw_scsi_model = 'virtio-scsi';
  if (firmware) props.hw_firmware_type = firmware;
  return props;
}
