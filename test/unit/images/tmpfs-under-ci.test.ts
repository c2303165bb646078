// The disk-full tests need a small tmpfs. Off CI (not root) they skip; under CI a skip would hide
// that the disk-full behaviour went untested, so there a failed mount fails the test instead.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeTmp, mountTmpfs, noTmpfs, removeTmp, underCi } from './helpers';

afterEach(() => {
  vi.unstubAllEnvs();
});

const skipped: string[] = [];
const ctx = {
  skip(note?: string): never {
    skipped.push(note ?? '');
    throw new Error('skipped');
  },
};

describe('disk-full tests without a tmpfs', () => {
  it('reads CI the way CI services set it', () => {
    expect(underCi({ CI: 'true' })).toBe(true);
    expect(underCi({ CI: '1' })).toBe(true);
    expect(underCi({ CI: 'false' })).toBe(false);
    expect(underCi({ CI: '0' })).toBe(false);
    expect(underCi({ CI: '' })).toBe(false);
    expect(underCi({})).toBe(false);
  });

  it('under CI a mount that fails makes the test fail, naming CI and the mount error', async () => {
    vi.stubEnv('CI', 'true');
    const dir = await makeTmp('no-tmpfs');
    try {
      // An option mount refuses: the same path as a machine that does not allow the mount.
      expect(await mountTmpfs(dir, 'not-a-size')).toBeUndefined();
      expect(() => noTmpfs(ctx)).toThrow(/CI=true says this is CI, where the disk-full tests must run, not skip: .*mount -t tmpfs -o size=not-a-size/);
      expect(skipped).toEqual([]);
    } finally {
      await removeTmp(dir);
    }
  });

  it('off CI it skips with the reason', () => {
    vi.stubEnv('CI', '');
    expect(() => noTmpfs(ctx)).toThrow('skipped');
    expect(skipped).toEqual(['cannot mount a tmpfs here (needs root)']);
  });
});
