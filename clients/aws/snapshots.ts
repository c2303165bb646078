// EC2's view of snapshots: state, look-up by our tags, sharing, deletion.
import { DeleteSnapshotCommand, DescribeSnapshotsCommand, ModifySnapshotAttributeCommand, type EC2Client, type Snapshot } from '@aws-sdk/client-ec2';
import { classifyAwsError } from './errors';

export interface SnapshotInfo {
  snapshotId: string;
  /** pending | completed | error | recoverable | recovering */
  state: string;
  progress: string | undefined;
  startTime: string | undefined;
  tags: Record<string, string>;
  stateMessage: string | undefined;
}

function toInfo(s: Snapshot): SnapshotInfo {
  return {
    snapshotId: s.SnapshotId ?? '',
    state: s.State ?? 'unknown',
    progress: s.Progress,
    startTime: s.StartTime?.toISOString(),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    stateMessage: s.StateMessage,
  };
}

/** Undefined when EC2 does not know the snapshot. */
export async function describeSnapshot(ec2: EC2Client, snapshotId: string, signal?: AbortSignal): Promise<SnapshotInfo | undefined> {
  try {
    const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }), { abortSignal: signal });
    const s = out.Snapshots?.[0];
    return s ? toInfo(s) : undefined;
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') return undefined;
    throw err;
  }
}

/** Our snapshots carrying tag `key` = `value`, oldest first. */
export async function findSnapshotsByTag(ec2: EC2Client, key: string, value: string, signal?: AbortSignal): Promise<SnapshotInfo[]> {
  const found: SnapshotInfo[] = [];
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${key}`, Values: [value] }], MaxResults: 1000, NextToken }),
      { abortSignal: signal },
    );
    found.push(...(out.Snapshots ?? []).map(toInfo));
    NextToken = out.NextToken;
  } while (NextToken);
  return found.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.snapshotId.localeCompare(b.snapshotId));
}

export async function setSnapshotPublic(ec2: EC2Client, snapshotId: string, makePublic: boolean, signal?: AbortSignal): Promise<void> {
  await ec2.send(
    new ModifySnapshotAttributeCommand({
      SnapshotId: snapshotId,
      Attribute: 'createVolumePermission',
      OperationType: makePublic ? 'add' : 'remove',
      GroupNames: ['all'],
    }),
    { abortSignal: signal },
  );
}

/** Deleting a snapshot that is already gone counts as done. */
export async function deleteSnapshot(ec2: EC2Client, snapshotId: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), { abortSignal: signal });
    return true;
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') return false;
    throw err;
  }
}
