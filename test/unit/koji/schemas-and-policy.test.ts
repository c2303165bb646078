// Response schemas and the back-off policy, on their own.
import { describe, expect, it } from 'vitest';
import {
  checkUploadSchema,
  kiwiImageResultSchema,
  liveImageResultSchema,
  retryDelayMs,
  taskInfoSchema,
  taskOutputStatMapSchema,
  sameTaskRequest,
  kiwiBuildParams,
} from '../../../clients/koji';
import { XmlRpcDouble } from '../../../clients/koji/xmlrpc';

describe('schemas', () => {
  it('st_size strings become numbers; non-decimal sizes are refused', () => {
    const ok = taskOutputStatMapSchema.parse({ 'disk.raw': { st_size: '3221229568', st_atime: 1, st_mtime: 2, st_ctime: 3 } });
    expect(ok['disk.raw']!.st_size).toBe(3221229568);
    expect(taskOutputStatMapSchema.safeParse({ a: { st_size: '12x', st_atime: 1, st_mtime: 2, st_ctime: 3 } }).success).toBe(false);
    expect(taskOutputStatMapSchema.safeParse({ a: { st_size: 12, st_atime: 1, st_mtime: 2, st_ctime: 3 } }).success).toBe(false);
  });

  it('checkUpload: i8 sizes as numbers while exact, nil for missing', () => {
    expect(checkUploadSchema.parse({ size: 3221229568, mtime: 1.5 })).toEqual({ size: 3221229568, mtime: 1.5 });
    expect(checkUploadSchema.parse({ size: 2n ** 40n, mtime: 1.5 })!.size).toBe(2 ** 40);
    expect(checkUploadSchema.safeParse({ size: 2n ** 60n, mtime: 1.5 }).success).toBe(false);
    expect(checkUploadSchema.parse(null)).toBeNull();
  });

  it('task states are 0..5 only', () => {
    const base = {
      id: 1, method: 'kiwiBuild', owner: 3, parent: null, label: null, arch: 'noarch', channel_id: 7, host_id: null, priority: 20, weight: 1,
      create_time: 't', create_ts: 1, start_time: null, start_ts: null, completion_time: null, completion_ts: null, waiting: null, awaited: null,
    };
    for (const state of [0, 1, 2, 3, 4, 5]) expect(taskInfoSchema.safeParse({ ...base, state }).success).toBe(true);
    expect(taskInfoSchema.safeParse({ ...base, state: 6 }).success).toBe(false);
    expect(taskInfoSchema.parse({ ...base, state: 0, future_field: 'kept' })).toHaveProperty('future_field', 'kept');
  });

  it('image results: kiwi/Oz need rpmlist, livecd/appliance have rootdev', () => {
    const img = { arch: 'x86_64', task_id: 8, logs: ['l'], name: 'n', version: 'v', release: 'r', files: ['f.qcow2'] };
    expect(kiwiImageResultSchema.safeParse({ ...img, rpmlist: [] }).success).toBe(true);
    expect(kiwiImageResultSchema.safeParse(img).success).toBe(false);
    expect(liveImageResultSchema.parse({ ...img, rootdev: null }).rootdev).toBeNull();
  });
});

describe('submissions', () => {
  it('kiwiBuild sends only truthy options, use_buildroot_repo only when false', () => {
    expect(kiwiBuildParams({ target: 't', arches: ['x86_64'], descUrl: 'u', descPath: 'p', scratch: false, profile: '', repos: [] })).toEqual(['t', ['x86_64'], 'u', 'p']);
    expect(kiwiBuildParams({ target: 't', arches: ['x86_64'], descUrl: 'u', descPath: 'p', useBuildrootRepo: true, priority: 0 })).toEqual(['t', ['x86_64'], 'u', 'p']);
    expect(kiwiBuildParams({ target: 't', arches: ['x86_64'], descUrl: 'u', descPath: 'p', useBuildrootRepo: false, priority: 5 })).toEqual([
      't', ['x86_64'], 'u', 'p', { use_buildroot_repo: false, priority: 5, __starstar: true },
    ]);
  });

  it('sameTaskRequest ignores member order and the hub default use_buildroot_repo: true, nothing else', () => {
    const ours = ['t', ['x86_64'], 'u', 'p', { scratch: true, release: 'r' }];
    expect(sameTaskRequest('kiwiBuild', ours, ['t', ['x86_64'], 'u', 'p', { release: 'r', scratch: true, use_buildroot_repo: true }])).toBe(true);
    expect(sameTaskRequest('kiwiBuild', ours, ['t', ['x86_64'], 'u', 'p', { release: 'r', scratch: true, use_buildroot_repo: false }])).toBe(false);
    expect(sameTaskRequest('kiwiBuild', ours, ['t', ['aarch64', 'x86_64'], 'u', 'p', { release: 'r', scratch: true }])).toBe(false);
    expect(sameTaskRequest('kiwiBuild', ours, ['t', ['x86_64'], 'u', 'p'])).toBe(false);
    expect(sameTaskRequest('image', ['n', { disk_size: 5 }], ['n', { disk_size: new XmlRpcDouble(5) }])).toBe(true);
    expect(sameTaskRequest('image', ['n', { use_buildroot_repo: true }], ['n', {}])).toBe(false);
  });
});

describe('retryDelayMs', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per attempt within [half, full], capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, policy, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    const r = retryDelayMs(3, policy);
    expect(r).toBeGreaterThanOrEqual(200);
    expect(r).toBeLessThanOrEqual(400);
  });
});
