// The download's file writer: bytes land in order at their offsets, reading is asked to pause once
// the unwritten bytes reach the high-water mark (the memory bound) and to resume once they drain,
// and a failed write is reported instead of lost.
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SequentialWriter } from '../../../clients/fetch/sequential-writer';

const KiB = 1024;
const file = () => join(mkdtempSync(join(tmpdir(), 'fedimg-writer-')), 'f');
const pieces = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * KiB, i));

describe('sequential writer', () => {
  it('writes every buffer in order after the starting offset', async () => {
    const path = file();
    writeFileSync(path, 'head');
    const fd = openSync(path, 'r+');
    const onDisk: number[] = [];
    const w = new SequentialWriter(fd, 4, { highWaterMark: 1 << 30, minWrite: 100 * KiB, onDrain() {}, onError: (e) => { throw e; }, onWritten: (p) => onDisk.push(p) });
    for (const p of pieces) w.write(p);
    await w.flush();
    closeSync(fd);
    expect(readFileSync(path).equals(Buffer.concat([Buffer.from('head'), ...pieces]))).toBe(true);
    // Gathered into writes of at least minWrite, not one per buffer; the last one is what flush found.
    expect(onDisk.length).toBeLessThan(pieces.length / 4);
    expect(onDisk.at(-1)).toBe(4 + pieces.length * 16 * KiB);
  });

  it('asks to pause at the high-water mark and to resume once the queue has drained', async () => {
    const path = file();
    const fd = openSync(path, 'w');
    let drained = 0;
    const w = new SequentialWriter(fd, 0, { highWaterMark: 256 * KiB, minWrite: 64 * KiB, onDrain: () => drained++, onError: (e) => { throw e; } });
    const answers = pieces.slice(0, 20).map((p) => w.write(p));
    // 16 KiB each: the 16th buffer reaches 256 KiB unwritten, and every one after it is refused too.
    expect(answers.indexOf(false)).toBe(15);
    expect(answers.slice(15).every((a) => !a)).toBe(true);
    await w.flush();
    closeSync(fd);
    expect(drained).toBe(1);
    expect(w.write(pieces[0] as Buffer)).toBe(true);
  });

  it('reports a failed write once, and flush rejects with it', async () => {
    const path = file();
    writeFileSync(path, '');
    const fd = openSync(path, 'r'); // read-only: every write fails with EBADF
    const errors: Error[] = [];
    const w = new SequentialWriter(fd, 0, { highWaterMark: 1 << 30, minWrite: 1, onDrain() {}, onError: (e) => errors.push(e) });
    w.write(Buffer.from('abc'));
    await expect(w.flush()).rejects.toMatchObject({ code: 'EBADF' });
    w.write(Buffer.from('def'));
    await expect(w.flush()).rejects.toMatchObject({ code: 'EBADF' });
    closeSync(fd);
    expect(errors).toHaveLength(1);
  });
});
