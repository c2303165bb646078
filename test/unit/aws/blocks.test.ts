// Block bookkeeping and the raw-file reader, plus error classification.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockProgress } from '../../../clients/aws/block-progress';
import { classifyAwsError } from '../../../clients/aws/errors';
import { readBlocks } from '../../../clients/aws/raw-blocks';

const dir = mkdtempSync(join(tmpdir(), 'fedimg-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BlockProgress', () => {
  it('keeps a watermark plus the few acknowledged blocks above it', () => {
    const p = new BlockProgress();
    p.mark(0, false);
    p.mark(2, true);
    p.mark(5, true);
    expect(p.state).toEqual({ watermark: 1, above: [2, 5], dataBelow: 0 });
    p.mark(1, true);
    expect(p.state).toEqual({ watermark: 3, above: [5], dataBelow: 2 });
    p.mark(3, false);
    p.mark(4, false);
    expect(p.state).toEqual({ watermark: 6, above: [], dataBelow: 3 });
  });

  it('resumes from a state: blocks above the watermark count as data once passed', () => {
    const p = new BlockProgress({ watermark: 10, above: [12, 14], dataBelow: 4 });
    expect(p.isDone(9)).toBe(true);
    expect(p.isDone(11)).toBe(false);
    expect(p.isDone(12)).toBe(true);
    p.mark(10, false);
    p.mark(11, true);
    expect(p.state).toEqual({ watermark: 13, above: [14], dataBelow: 6 });
  });

  it('drops zero blocks above the watermark from the state (cheap to find again)', () => {
    const p = new BlockProgress();
    p.mark(3, false);
    p.mark(4, true);
    expect(p.state.above).toEqual([4]);
  });
});

describe('readBlocks', () => {
  it('reads a sparse file block by block, zero blocks without data, the tail padded', async () => {
    const path = join(dir, 'img.raw');
    const bs = 4096;
    const fh = await open(path, 'w');
    await fh.write(Buffer.alloc(100, 1), 0, 100, bs * 2 + 10);
    await fh.write(Buffer.alloc(10, 2), 0, 10, bs * 5);
    await fh.truncate(bs * 5 + 1000);
    await fh.close();
    const seen = [];
    for await (const b of readBlocks(path, { blockSize: bs, batch: 4 })) seen.push({ i: b.index, len: b.data?.length, sum: b.data?.reduce((a, x) => a + x, 0) });
    expect(seen).toEqual([
      { i: 0, len: undefined, sum: undefined },
      { i: 1, len: undefined, sum: undefined },
      { i: 2, len: bs, sum: 100 },
      { i: 3, len: undefined, sum: undefined },
      { i: 4, len: undefined, sum: undefined },
      { i: 5, len: bs, sum: 20 },
    ]);
    const from = [];
    for await (const b of readBlocks(path, { blockSize: bs, from: 3 })) from.push(b.index);
    expect(from).toEqual([3, 4, 5]);
  });
});

describe('classifyAwsError', () => {
  const err = (name: string, status?: number) => Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
  it('retries throttling, 5xx, network trouble and pending states', () => {
    for (const e of [err('RequestLimitExceeded', 503), err('Throttling', 400), err('SlowDown', 503), err('RequestThrottledException', 400), err('IncorrectState', 400), err('InvalidAMIID.Unavailable', 400), err('Whatever', 500), err('ECONNRESET')]) {
      expect(classifyAwsError(e), e.name).toBe('transient');
    }
  });
  it('treats other 4xx as final and not-found apart', () => {
    expect(classifyAwsError(err('UnauthorizedOperation', 403))).toBe('final');
    expect(classifyAwsError(err('InvalidParameterValue', 400))).toBe('final');
    expect(classifyAwsError(err('InvalidAMIID.NotFound', 400))).toBe('not-found');
  });
});
