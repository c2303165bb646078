// The SCM URL rule: Koji's git URL shapes at a full commit pass; a branch, a short hash, no
// revision, a non-git URL or a password in the URL are refused with what is wrong and the fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scmUrlProblem } from '../../../domain/scm-url';
import { scmProblem } from '../../../domain/request-rules';

const COMMIT = '4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';

describe('SCM URL at a commit', () => {
  it('accepts the URLs the recorded real hub was sent (reference/koji-wire/02)', () => {
    const wire = readFileSync(new URL('../../fixtures/koji-wire/02-submit-image-tasks.json', import.meta.url), 'utf8');
    const urls = [...new Set(wire.match(/git\+https:\/\/[^<"&\\]+/g) ?? [])];
    expect(urls.length).toBe(2);
    for (const u of urls) expect(scmUrlProblem(u), u).toBeUndefined();
  });

  it.each([
    `git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`,
    `git+https://pagure.io/fedora-kiwi-descriptions.git#${COMMIT}`,
    `git://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`,
    `git+ssh://releng@pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`,
    `git+https://src.example.org:8443/cloud/kiwi.git?teams/cloud#${COMMIT}`,
  ])('accepts %s', (url) => expect(scmUrlProblem(url)).toBeUndefined());

  it.each([
    [`git+https://pagure.io/fedora-kiwi-descriptions.git?#main`, 'pins "main", a branch or tag, not a commit'],
    [`git+https://pagure.io/fedora-kiwi-descriptions.git?#f44`, 'pins "f44", a branch or tag, not a commit'],
    [`git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c`, 'pins a 8-character hash, not a full 40-character commit'],
    [`git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT.toUpperCase()}`, 'write the commit hash in lower case'],
    [`git+https://pagure.io/fedora-kiwi-descriptions.git`, 'names no commit'],
    [`git+https://pagure.io/fedora-kiwi-descriptions.git?#`, 'names no commit (nothing after "#")'],
    [`https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`, 'is not a git URL Koji takes (its scheme must be git://, git+http://, git+https://, git+rsync://, git+ssh://)'],
    [`git+file:///srv/kiwi.git?#${COMMIT}`, 'is not a git URL Koji takes'],
    [`git+https://me:secret@pagure.io/kiwi.git?#${COMMIT}`, 'carries a password'],
    [`git+https:///kiwi.git?#${COMMIT}`, 'names no host'],
    [`git+https://pagure.io?#${COMMIT}`, 'names no repository path'],
    [`git+https://pagure.io/kiwi.git;x=1?#${COMMIT}`, 'has ";" parameters Koji refuses'],
    [`git+https://pagure.io/kiwi descriptions.git?#${COMMIT}`, 'contains whitespace'],
  ])('refuses %s: %s', (url, problem) => {
    expect(scmUrlProblem(url)).toContain(problem);
  });

  it('names the field, quotes the URL and shows the pinned shape as the fix', () => {
    expect(scmProblem('git+https://pagure.io/fedora-kiwi-descriptions.git?#main', 'scm', 'kiwi description')).toEqual({
      field: 'scm',
      message: '"git+https://pagure.io/fedora-kiwi-descriptions.git?#main" pins "main", a branch or tag, not a commit; Koji must build the kiwi description from a git URL at a commit',
      fix: 'pin it to the full 40-hex commit hash, e.g. git+https://pagure.io/fedora-kiwi-descriptions.git?#<commit>',
    });
    // A repository URL with no "?" gets Fedora's "?#" form; a non-git URL gets a git example.
    expect(scmProblem('git+https://pagure.io/fedora-kickstarts.git', 'families[2].koji.kickstartScm (config)', 'kickstart')?.fix).toBe(
      'pin it to the full 40-hex commit hash, e.g. git+https://pagure.io/fedora-kickstarts.git?#<commit>',
    );
    expect(scmProblem('https://example.org/kiwi.tar.gz', 'scm', 'kiwi description')?.fix).toContain('git+https://pagure.io/fedora-kiwi-descriptions.git?#<commit>');
    expect(scmProblem(`git+https://pagure.io/kiwi.git?#${COMMIT}`, 'scm', 'kiwi description')).toBeUndefined();
  });
});
