import { describe, expect, it } from 'vitest';
import { fedoraImageProperties, type FedoraImageIdentity } from '../../../clients/openstack';

const ID: FedoraImageIdentity = {
  arch: 'x86_64',
  release: 'Rawhide',
  family: 'Cloud-Base-Generic',
  kind: 'nightly',
  buildId: 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0',
  sha256: 'AB'.repeat(32),
};

describe('fedoraImageProperties', () => {
  it('x86_64: q35, bios by default or uefi when configured, virtio-scsi, identity properties', () => {
    const p = fedoraImageProperties(ID);
    expect(p).toMatchObject({
      os_distro: 'fedora',
      os_version: 'rawhide',
      architecture: 'x86_64',
      hw_machine_type: 'q35',
      hw_firmware_type: 'bios',
      hw_disk_bus: 'scsi',
      hw_scsi_model: 'virtio-scsi',
      hw_qemu_guest_agent: 'yes',
      os_admin_user: 'fedora',
      fedimg_build: 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0',
      fedimg_family: 'Cloud-Base-Generic',
      fedimg_release: 'Rawhide',
      fedimg_kind: 'nightly',
      fedimg_sha256: 'ab'.repeat(32),
    });
    expect(fedoraImageProperties(ID, { x86Firmware: 'uefi' }).hw_firmware_type).toBe('uefi');
  });

  it('aarch64 is always uefi on virt, whatever the x86 setting', () => {
    const p = fedoraImageProperties({ ...ID, arch: 'aarch64', release: '44' }, { x86Firmware: 'bios' });
    expect(p).toMatchObject({ architecture: 'aarch64', hw_machine_type: 'virt', hw_firmware_type: 'uefi', os_version: '44' });
  });

  it('s390x and ppc64le get their own machines and no firmware type', () => {
    const s = fedoraImageProperties({ ...ID, arch: 's390x' });
    expect(s).toMatchObject({ hw_machine_type: 's390-ccw-virtio', hw_disk_bus: 'virtio' });
    expect(s.hw_firmware_type).toBeUndefined();
    expect(s.hw_scsi_model).toBeUndefined();
    expect(fedoraImageProperties({ ...ID, arch: 'ppc64le' }).hw_machine_type).toBe('pseries');
  });

  it('every value is a string (Glance refuses anything else)', () => {
    for (const arch of ['x86_64', 'aarch64', 'ppc64le', 's390x', 'riscv64'] as const) {
      for (const v of Object.values(fedoraImageProperties({ ...ID, arch }))) expect(typeof v).toBe('string');
    }
  });
});
