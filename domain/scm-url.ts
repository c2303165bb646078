// The one rule for the git URL Koji builds a kiwi description or a kickstart from. Pure: used by
// the config schema, the build request and the release workflow's first-step check.
//
// Koji's side (koji/daemon.py, class SCM, koji 1.35): the scheme must be one of git://,
// git+http://, git+https://, git+rsync://, git+ssh:// (the GIT and GIT+SSH types); the URL must
// have a host, a path, no ";params", no "user:password@", and a "#fragment" naming the revision.
// Fedora writes it `git+https://pagure.io/fedora-kiwi-descriptions.git?#<commit>` (an empty
// "?module" part); `…/repo.git#<commit>` is the same to Koji (reference/koji-wire/02, 03).
// Koji would also take a branch or tag after "#"; we do not: a branch moves, so the same request
// could build different content, and a retried submission adopts a task by its request
// (activities/koji.ts) — only a full commit makes "same request" mean "same image".

export const KOJI_GIT_SCHEMES = ['git://', 'git+http://', 'git+https://', 'git+rsync://', 'git+ssh://'] as const;

export type ScmSubject = 'kiwi description' | 'kickstart';

const COMMIT = /^[0-9a-f]{40}$/;

/** What is wrong with `url` as Koji's SCM URL at a commit, or undefined when it is fine. */
export function scmUrlProblem(url: string): string | undefined {
  if (/\s/.test(url)) return 'contains whitespace';
  const scheme = KOJI_GIT_SCHEMES.find((s) => url.startsWith(s));
  if (!scheme) return `is not a git URL Koji takes (its scheme must be ${KOJI_GIT_SCHEMES.join(', ')})`;
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt < 0 ? url : url.slice(0, hashAt);
  const rest = beforeHash.slice(scheme.length);
  const slash = rest.indexOf('/');
  const netloc = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash).split('?')[0]!;
  const user = netloc.includes('@') ? netloc.slice(0, netloc.lastIndexOf('@')) : undefined;
  if (netloc.split('@').length > 2 || netloc.endsWith('@') || netloc === '') return 'names no host';
  if (user !== undefined && user.includes(':')) return 'carries a password (Koji refuses user:password@ URLs)';
  if (path === '' || path === '/') return 'names no repository path';
  if (path.includes(';')) return 'has ";" parameters Koji refuses';
  if (hashAt < 0) return 'names no commit';
  const hash = url.slice(hashAt + 1);
  if (hash === '') return 'names no commit (nothing after "#")';
  if (COMMIT.test(hash)) return undefined;
  if (/^[0-9A-Fa-f]{40}$/.test(hash)) return `pins "${hash}": write the commit hash in lower case`;
  // Seven hex digits or more reads as an abbreviated hash (git's default length); "f44" is a branch.
  if (/^[0-9a-f]{7,39}$/.test(hash)) return `pins a ${hash.length}-character hash, not a full 40-character commit`;
  return `pins "${hash}", a branch or tag, not a commit`;
}

/** The URL with its revision replaced by a placeholder: the shape of the fix. */
export function scmUrlExample(url: string, subject: ScmSubject): string {
  const base = url.replace(/#.*$/, '');
  if (KOJI_GIT_SCHEMES.some((s) => base.startsWith(s)) && !/\s/.test(base)) return `${base}${base.includes('?') ? '' : '?'}#<commit>`;
  return subject === 'kiwi description' ? 'git+https://pagure.io/fedora-kiwi-descriptions.git?#<commit>' : 'git+https://pagure.io/fedora-kickstarts.git?#<commit>';
}
