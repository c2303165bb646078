// A non-scratch build's message names its Koji build, and the catalogue knows the image by it.
import { describe, expect, it } from 'vitest';
import { buildFinishedV1Body, buildMessage, buildFinishedV1 } from '../../../domain/messages';
import { fromBuildFinished } from '../../../report/ingest/translate';

const identity = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, version: '44', compose_id: 'Fedora-44-1.8', build_kind: 'rc' as const };
const body = { ...identity, koji_task_id: 1234, koji_state: 'CLOSED' as const, arches: ['x86_64' as const], files: [] };

describe('fedimg.build.finished.v1 of a non-scratch build', () => {
  it('carries the Koji build, and the catalogue records the image under its NVR', () => {
    const withBuild = { ...body, koji_build: { id: 7, nvr: 'Fedora-Cloud-Base-Generic-44-1.8' } };
    expect(buildMessage(buildFinishedV1, withBuild).body).toMatchObject({ koji_build: { id: 7, nvr: 'Fedora-Cloud-Base-Generic-44-1.8' } });
    const [change] = fromBuildFinished(buildFinishedV1Body.parse(withBuild));
    expect(change).toMatchObject({ type: 'image', facts: { buildId: 'Fedora-Cloud-Base-Generic-44-1.8', kojiTaskId: 1234 } });
  });

  it('a scratch build has no Koji build: the image is known by the compose-style id', () => {
    const [change] = fromBuildFinished(buildFinishedV1Body.parse(body));
    expect(change).toMatchObject({ facts: { buildId: 'Fedora-44-1.8' } });
  });

  it('refuses a Koji build without an NVR', () => {
    expect(() => buildMessage(buildFinishedV1, { ...body, koji_build: { id: 7, nvr: '' } })).toThrow(/koji_build/);
  });
});
