// A GUID partition table written by hand (util-linux's sfdisk is not always installed): the
// protective MBR, the primary header and entry array at the start of the disk and their backup
// at the end, with the CRC32s a partitioning tool checks. Sectors are 512 bytes.
import { crc32 } from 'node:zlib';

export const SECTOR = 512;
const ENTRIES = 128;
const ENTRY_SIZE = 128;
const ENTRY_SECTORS = (ENTRIES * ENTRY_SIZE) / SECTOR; // 32

export const PART_TYPES = {
  biosBoot: '21686148-6449-6E6F-744E-656564454649',
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  linuxFs: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  rootX86_64: '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  rootAarch64: 'B921B045-1DF0-41C3-AF44-4C6F280D3FAE',
} as const;

export interface GptPartition {
  name: string;
  typeGuid: string;
  guid: string;
  firstLba: number;
  lastLba: number;
}

/** GUIDs are stored mixed-endian: the first three fields little-endian. */
export function guidBytes(guid: string): Buffer {
  const b = Buffer.from(guid.replace(/-/g, ''), 'hex');
  if (b.length !== 16) throw new Error(`bad GUID ${guid}`);
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

function entriesArray(parts: readonly GptPartition[]): Buffer {
  const buf = Buffer.alloc(ENTRIES * ENTRY_SIZE);
  parts.forEach((p, i) => {
    const o = i * ENTRY_SIZE;
    guidBytes(p.typeGuid).copy(buf, o);
    guidBytes(p.guid).copy(buf, o + 16);
    buf.writeBigUInt64LE(BigInt(p.firstLba), o + 32);
    buf.writeBigUInt64LE(BigInt(p.lastLba), o + 40);
    buf.writeBigUInt64LE(0n, o + 48);
    buf.write(p.name.slice(0, 36), o + 56, 'utf16le');
  });
  return buf;
}

function header(myLba: number, altLba: number, entriesLba: number, totalSectors: number, diskGuid: string, entriesCrc: number): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.write('EFI PART', 0, 'latin1');
  h.writeUInt32LE(0x00010000, 8);
  h.writeUInt32LE(92, 12);
  h.writeBigUInt64LE(BigInt(myLba), 24);
  h.writeBigUInt64LE(BigInt(altLba), 32);
  h.writeBigUInt64LE(34n, 40);
  h.writeBigUInt64LE(BigInt(totalSectors - 34), 48);
  guidBytes(diskGuid).copy(h, 56);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(ENTRIES, 80);
  h.writeUInt32LE(ENTRY_SIZE, 84);
  h.writeUInt32LE(entriesCrc, 88);
  h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
  return h;
}

/**
 * The bytes to write at offset 0 (MBR, primary header, entries: 34 sectors) and at
 * `tailOffset` (backup entries, backup header: the last 33 sectors).
 */
export function buildGpt(totalSectors: number, diskGuid: string, parts: readonly GptPartition[]): { head: Buffer; tail: Buffer; tailOffset: number } {
  if (parts.length > ENTRIES) throw new Error('too many partitions');
  for (const p of parts) {
    if (p.firstLba < 34 || p.lastLba > totalSectors - 34 || p.lastLba < p.firstLba) throw new Error(`partition ${p.name} outside the usable area`);
  }
  const entries = entriesArray(parts);
  const entriesCrc = crc32(entries);
  const last = totalSectors - 1;

  const mbr = Buffer.alloc(SECTOR);
  const pe = 446;
  mbr[pe] = 0x00;
  mbr.writeUIntBE(0x000200, pe + 1, 3); // CHS of LBA 1
  mbr[pe + 4] = 0xee; // GPT protective
  mbr.writeUIntBE(0xffffff, pe + 5, 3);
  mbr.writeUInt32LE(1, pe + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), pe + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;

  const head = Buffer.concat([mbr, header(1, last, 2, totalSectors, diskGuid, entriesCrc), entries]);
  const tail = Buffer.concat([entries, header(last, 1, last - ENTRY_SECTORS, totalSectors, diskGuid, entriesCrc)]);
  return { head, tail, tailOffset: (last - ENTRY_SECTORS) * SECTOR };
}

/**
 * An ISO 9660 primary volume descriptor and set terminator, written at 32 KiB into a GPT disk
 * (the area after the partition entries that hybrid live ISOs use the same way).
 */
export function isoDescriptors(volumeId: string, totalBytes: number): { offset: number; bytes: Buffer } {
  const pvd = Buffer.alloc(2048);
  pvd[0] = 1;
  pvd.write('CD001', 1, 'latin1');
  pvd[6] = 1;
  pvd.write(' '.repeat(32), 8, 'latin1'); // system id
  pvd.write(volumeId.toUpperCase().replace(/[^A-Z0-9_-]/g, '_').slice(0, 32).padEnd(32, ' '), 40, 'latin1');
  const blocks = Math.floor(totalBytes / 2048);
  pvd.writeUInt32LE(blocks, 80);
  pvd.writeUInt32BE(blocks, 84);
  pvd.writeUInt16LE(1, 120); // volume set size
  pvd.writeUInt16BE(1, 122);
  pvd.writeUInt16LE(1, 124); // volume sequence number
  pvd.writeUInt16BE(1, 126);
  pvd.writeUInt16LE(2048, 128); // logical block size
  pvd.writeUInt16BE(2048, 130);
  // root directory record (34 bytes at 156): extent at block 18, one block long, a directory.
  const r = 156;
  pvd[r] = 34;
  pvd.writeUInt32LE(18, r + 2);
  pvd.writeUInt32BE(18, r + 6);
  pvd.writeUInt32LE(2048, r + 10);
  pvd.writeUInt32BE(2048, r + 14);
  pvd[r + 25] = 0x02;
  pvd.writeUInt16LE(1, r + 28);
  pvd.writeUInt16BE(1, r + 30);
  pvd[r + 32] = 1;
  pvd[881] = 1; // file structure version
  const term = Buffer.alloc(2048);
  term[0] = 255;
  term.write('CD001', 1, 'latin1');
  term[6] = 1;
  // the root directory itself: "." and "..", both pointing at block 18.
  const root = Buffer.alloc(2048);
  for (const [i, name] of [0, 1].entries()) {
    const o = i * 34;
    root[o] = 34;
    root.writeUInt32LE(18, o + 2);
    root.writeUInt32BE(18, o + 6);
    root.writeUInt32LE(2048, o + 10);
    root.writeUInt32BE(2048, o + 14);
    root[o + 25] = 0x02;
    root.writeUInt16LE(1, o + 28);
    root.writeUInt16BE(1, o + 30);
    root[o + 32] = 1;
    root[o + 33] = name;
  }
  return { offset: 16 * 2048, bytes: Buffer.concat([pvd, term, root]) };
}
