import { describe, expect, it } from 'vitest';
import { BadFileNameError, compileLayout, publicUrlFor } from '../../../clients/downloads';

const place = { release: '44', family: 'Cloud', arch: 'x86_64' };

describe('downloads layout', () => {
  const layout = compileLayout('{release}/{family}/{arch}/images/{file}');

  it('fills the template', () => {
    expect(layout.keyFor(place, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2')).toBe(
      '44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2',
    );
    expect(compileLayout('pub/fedora/linux/releases/{release}/{family}/{arch}/images/{file}').keyFor(place, 'CHECKSUM')).toBe(
      'pub/fedora/linux/releases/44/Cloud/x86_64/images/CHECKSUM',
    );
  });

  it.each(['a/b', '../../etc/passwd', '..', '.', 'x..y', 'a\\b', 'image\n.qcow2', 'nul\u0000', 'del\u007f', 'csi\u009b', '', '.hidden', ' padded', 'x'.repeat(256)])(
    'refuses the file name %j',
    (value) => {
      expect(() => layout.keyFor(place, value)).toThrow(expect.objectContaining({ name: 'BadFileName', component: 'file', value }));
    },
  );

  it.each([
    ['release', '../44'],
    ['family', 'Cloud/..'],
    ['arch', 'x86_64\r'],
  ] as const)('refuses the %s %j', (component, value) => {
    expect(() => layout.keyFor({ ...place, [component]: value }, 'ok.qcow2')).toThrow(BadFileNameError);
    expect(() => layout.keyFor({ ...place, [component]: value }, 'ok.qcow2')).toThrow(expect.objectContaining({ component, value }));
  });

  it.each([
    ['{release}/{family}/{arch}/images', 'last segment'],
    ['{release}/{file}/x/{file}', 'last segment'],
    ['{file}/{release}/{file}', 'only as the last segment'],
    ['{release}/{variant}/{file}', 'unknown placeholder {variant}'],
    ['/{release}/{file}', 'unsafe'],
    ['{release}//{file}', 'unsafe'],
    ['{release}/../{file}', 'unsafe'],
    ['{release}/{arch/{file}', 'unbalanced brace'],
  ])('refuses the template %j', (template, why) => {
    expect(() => compileLayout(template)).toThrow(why);
  });

  it('refuses values that become unsafe next to literal text', () => {
    expect(() => compileLayout('{release}./{file}').keyFor({ ...place, release: '44.' }, 'f')).toThrow(BadFileNameError);
  });

  it('builds public URLs with encoded segments', () => {
    expect(publicUrlFor(undefined, 'a/b')).toBeUndefined();
    expect(publicUrlFor('https://dl.example.org/pub/', '44/Cloud/x86_64/images/a b+c.qcow2')).toBe(
      'https://dl.example.org/pub/44/Cloud/x86_64/images/a%20b%2Bc.qcow2',
    );
  });
});
