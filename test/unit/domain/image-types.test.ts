// Koji's file names to image types, as Fedora's tasks name them (shared/reference/fedora-images.md).
import { describe, expect, it } from 'vitest';
import { imageTypeOf, pickFileOfType } from '../../../domain/image-types';
import { pickImageFile } from '../../../domain/koji-results';

describe('image types from Koji file names', () => {
  it.each([
    ['Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2', 'disk-image'],
    ['Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz', 'disk-image'],
    ['Fedora-Cloud-Base-Azure-44-1.7.aarch64.vhdfixed.xz', 'vhd'],
    ['Fedora-Cloud-Base-GCE-44-1.7.x86_64.tar.gz', 'gce-tarball'],
    ['Fedora-Cloud-Base-Vagrant-libvirt-44-1.7.x86_64.vagrant.libvirt.box', 'vagrant-box'],
    ['Fedora-Container-Base-Generic-44-1.7.aarch64.oci.tar.xz', 'container-archive'],
    ['Fedora-WSL-Base-44-1.7.x86_64.wsl', 'wsl-tarball'],
    ['Fedora-Workstation-Live-44-1.7.x86_64.iso', 'iso'],
    ['Fedora-Cloud-Base-Generic-44-1.7.x86_64.packages', undefined],
  ])('%s is a %s', (name, type) => {
    expect(imageTypeOf(name)).toBe(type);
  });

  it('a container archive is never taken for a raw disk, nor a raw.tar.xz for an image Koji built', () => {
    // `.oci.tar.xz` and `.raw.tar.xz` both end in `.tar.xz`; neither is a kiwi disk suffix.
    const files = ['Fedora-X-44-1.7.x86_64.oci.tar.xz', 'Fedora-X-44-1.7.x86_64.raw.tar.xz', 'Fedora-X-44-1.7.x86_64.raw.xz'];
    expect(pickFileOfType('disk-image', files)).toBe('Fedora-X-44-1.7.x86_64.raw.xz');
    expect(pickFileOfType('container-archive', files)).toBe('Fedora-X-44-1.7.x86_64.oci.tar.xz');
  });

  it('prefers the raw over the qcow2 when a task has both, and takes the types in the order asked', () => {
    const files = ['a.x86_64.qcow2', 'a.x86_64.raw.xz', 'a.x86_64.iso'];
    expect(pickImageFile('kiwi', files)).toBe('a.x86_64.raw.xz');
    expect(pickImageFile('livecd', files, ['iso', 'disk-image'])).toBe('a.x86_64.iso');
    expect(pickImageFile('kiwi', ['a.x86_64.iso'])).toBeUndefined();
  });
});
