// The runner: usage errors exit 2 with the field and the fix (text and --json), operational
// failures exit 1, nothing prints a stack trace; the stage tree renders bars per arch.
import { describe, expect, it } from 'vitest';
import { run } from '../../../scripts/cli/program';
import { renderStatus } from '../../../scripts/cli/status-view';
import { captureDeps } from './helpers';

describe('fedimg runner', () => {
  it('exits 2 with "command: field: problem; fix" for a validation error, before connecting', async () => {
    const c = captureDeps();
    expect(await run(['build', '--family', 'Cloud-Base-Generic', '--release', '44', '--kind', 'rc'], c.deps)).toBe(2);
    expect(c.err()).toBe('fedimg build: label: an rc build needs a label (Koji\'s release field); give --label, e.g. --label 1.7\n');
    expect(c.out()).toBe('');
  });

  it('prints the error as JSON with --json', async () => {
    const c = captureDeps();
    expect(await run(['build', '--json', '--family', 'Nope', '--release', '44', '--kind', 'rc', '--label', '1'], c.deps)).toBe(2);
    expect(JSON.parse(c.out())).toEqual({
      error: {
        kind: 'usage',
        field: 'family',
        message: 'no family named "Nope"',
        fix: 'use one of Cloud-Base-Generic, Cloud-Base-AmazonEC2, Cloud-Base-Oz (families[].name in the config)',
        exitCode: 2,
      },
    });
  });

  it('treats commander parse errors as usage errors', async () => {
    const c = captureDeps();
    expect(await run(['list', '--famly', 'x'], c.deps)).toBe(2);
    expect(c.err()).toContain("fedimg list: unknown option '--famly' (Did you mean --family?); see `fedimg list --help`");
    const d = captureDeps();
    expect(await run(['cancel'], d.deps)).toBe(2);
    expect(d.err()).toContain("missing required argument 'id'");
  });

  it('exits 1 without a stack trace when Temporal cannot be reached', async () => {
    const c = captureDeps();
    expect(await run(['cancel', 'image/x'], c.deps)).toBe(1);
    expect(c.err()).toMatch(/^fedimg cancel: unexpected error: unit tests do not connect to Temporal/);
    expect(c.err()).not.toMatch(/\n\s+at /);
  });

  it('prints help and exits 0', async () => {
    const c = captureDeps();
    expect(await run(['schedules', 'sync', '--help'], c.deps)).toBe(0);
    expect(c.out()).toContain('--dry-run');
    expect(c.out()).toContain('--json');
  });
});

describe('status tree', () => {
  it('shows stage, Koji task, a fetch bar per arch and each destination', () => {
    const text = renderStatus(
      {
        workflowId: 'image/F/44/44-1.7',
        status: 'RUNNING',
        startTime: new Date('2026-11-22T09:58:00Z'),
        family: 'F',
        release: '44',
        kind: 'rc',
        progress: {
          stage: 'publishing',
          kojiTaskId: 4242,
          kojiState: 'CLOSED',
          arches: [
            { arch: 'x86_64', stage: 'publishing', fetchedBytes: 2 * 1024 ** 3, totalBytes: 2 * 1024 ** 3, destinations: { downloads: { state: 'done' }, glance: { state: 'failed', detail: 'over quota' } } },
            { arch: 'aarch64', stage: 'fetching', fetchedBytes: 512 * 1024 ** 2, totalBytes: 2 * 1024 ** 3, destinations: {} },
          ],
        },
        uiUrl: 'http://ui/namespaces/default/workflows/image%2FF',
      },
      new Date('2026-11-22T10:00:00Z'),
    );
    expect(text.split('\n')).toEqual([
      'image/F/44/44-1.7  RUNNING  started 2026-11-22 09:58:00Z (2m ago)',
      '├─ release: F 44 rc',
      '├─ stage: publishing',
      '├─ koji: task 4242 CLOSED',
      '├─ x86_64: publishing',
      '│  ├─ fetch ████████████████████████ 100%  2.0 GiB / 2.0 GiB',
      '│  ├─ downloads done',
      '│  └─ glance    failed — over quota',
      '├─ aarch64: fetching',
      '│  ├─ fetch ██████░░░░░░░░░░░░░░░░░░  25%  512.0 MiB / 2.0 GiB',
      '│  └─ destinations: none started yet',
      '└─ UI: http://ui/namespaces/default/workflows/image%2FF',
    ]);
  });
});
