// `fedimg list` filters become a visibility query on the pipeline's search attributes.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../scripts/cli/errors';
import { buildListQuery } from '../../../scripts/cli/list-query';
import { ec2ChildrenQuery } from '../../../scripts/cli/commands/retry-regions';

describe('visibility query', () => {
  it('lists image releases only when no filter is given', () => {
    expect(buildListQuery({})).toBe("WorkflowType = 'imageReleaseWorkflow'");
  });

  it('turns each filter into a clause on its search attribute', () => {
    expect(
      buildListQuery({
        release: ['44'],
        family: ['Cloud-Base-Generic'],
        kind: ['rc'],
        stage: ['waiting for build'],
        arch: ['aarch64'],
        kojiTask: ['141424242'],
        status: ['running'],
      }),
    ).toBe(
      "WorkflowType = 'imageReleaseWorkflow' AND FedoraRelease = '44' AND ImageFamily = 'Cloud-Base-Generic' AND ImageKind = 'rc' " +
        "AND ImageStage = 'waiting for build' AND Arches = 'aarch64' AND KojiTaskId = 141424242 AND ExecutionStatus = 'Running'",
    );
  });

  it('uses IN for several values, normalises rawhide and drops duplicates', () => {
    expect(buildListQuery({ release: ['Rawhide', '44', 'rawhide'], kind: ['nightly', 'weekly'], status: ['timed-out'] })).toBe(
      "WorkflowType = 'imageReleaseWorkflow' AND FedoraRelease IN ('rawhide', '44') AND ImageKind IN ('nightly', 'weekly') AND ExecutionStatus = 'TimedOut'",
    );
  });

  it.each([
    [{ release: ['f44'] }, 'release'],
    [{ family: ["x' OR 1=1"] }, 'family'],
    [{ kind: ['beta'] }, 'kind'],
    [{ stage: ["it's"] }, 'stage'],
    [{ arch: ['amd64'] }, 'arch'],
    [{ kojiTask: ['12a'] }, 'koji-task'],
    [{ status: ['done'] }, 'status'],
  ])('refuses %j naming the field', (filters, field) => {
    let caught: unknown;
    try {
      buildListQuery(filters);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).field).toBe(field);
    expect((caught as UsageError).fix).toBeTruthy();
  });

  it("finds a release's EC2 publications by type and id prefix", () => {
    expect(ec2ChildrenQuery('image/F/44/44-1.7')).toBe(
      "WorkflowType = 'publishAmiWorkflow' AND WorkflowId STARTS_WITH 'image/F/44/44-1.7/ec2/' AND ExecutionStatus = 'Running'",
    );
    expect(() => ec2ChildrenQuery("a'b")).toThrow(UsageError);
  });
});
