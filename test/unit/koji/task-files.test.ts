// File URLs come only from topurl + task id + a plain file name.
import { describe, expect, it } from 'vitest';
import { KojiUnsafeFileName, taskFileUrl, taskRelPath } from '../../../clients/koji';
import { loadExchanges } from './wire';

describe('taskFileUrl', () => {
  it('matches the paths of the recorded file server', () => {
    const gets = loadExchanges('03-kiwi-completed-client.json').filter((e) => e.request.method === 'GET' && e.request.path.startsWith('/kojifiles/work/'));
    expect(gets.length).toBeGreaterThan(3);
    for (const e of gets) {
      const name = decodeURIComponent(e.request.path.split('/').pop()!);
      expect(taskFileUrl('http://hub.example/kojifiles', 8, name)).toBe(`http://hub.example${e.request.path}`);
    }
  });

  it('lays out <topurl>[/vol/<v>]/work/tasks/<id % 10000>/<id>/<file>', () => {
    expect(taskFileUrl('https://kojipkgs.fedoraproject.org', 123456, 'a.qcow2')).toBe('https://kojipkgs.fedoraproject.org/work/tasks/3456/123456/a.qcow2');
    expect(taskFileUrl('https://kojipkgs.fedoraproject.org/', 10000, 'a.qcow2')).toBe('https://kojipkgs.fedoraproject.org/work/tasks/0/10000/a.qcow2');
    expect(taskFileUrl('http://h/kojifiles/', 8, 'x.log', 'DEFAULT')).toBe('http://h/kojifiles/work/tasks/8/8/x.log');
    expect(taskFileUrl('http://h/kojifiles', 8, 'x.log', 'archive1')).toBe('http://h/kojifiles/vol/archive1/work/tasks/8/8/x.log');
    expect(taskFileUrl('http://h', 8, 'a b#c?.raw.xz')).toBe('http://h/work/tasks/8/8/a%20b%23c%3F.raw.xz');
    expect(taskRelPath(18)).toBe('work/tasks/18/18');
  });

  it.each([
    ['empty', ''],
    ['slash', 'a/b'],
    ['leading slash', '/etc/passwd'],
    ['parent', '../x'],
    ['dot-dot alone', '..'],
    ['dot-dot inside', 'image..qcow2'],
    ['dot', '.'],
    ['backslash', 'a\\b'],
    ['newline', 'a\nb'],
    ['NUL', 'a\u0000b'],
    ['DEL', 'a\u007f'],
    ['C1 control', 'a\u0085b'],
  ])('refuses a name with %s', (_n, name) => {
    expect(() => taskFileUrl('https://kojipkgs.fedoraproject.org', 8, name)).toThrow(KojiUnsafeFileName);
  });

  it('refuses bad task ids, volumes and topurls', () => {
    for (const id of [0, -1, 1.5, Number.NaN]) expect(() => taskFileUrl('https://k', id, 'a')).toThrow(KojiUnsafeFileName);
    for (const vol of ['../x', 'a/b', '', '..']) expect(() => taskFileUrl('https://k', 8, 'a', vol)).toThrow(KojiUnsafeFileName);
    expect(() => taskFileUrl('file:///mnt/koji', 8, 'a')).toThrow(KojiUnsafeFileName);
    expect(() => taskFileUrl('https://k/?x=1', 8, 'a')).toThrow(KojiUnsafeFileName);
  });
});
