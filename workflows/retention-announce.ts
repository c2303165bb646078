// One fedimg.retention.action.v1 for one retention step (EC2 and Glance alike), built from what
// the image itself records about its build (tags on an AMI, properties on a Glance image). An
// image whose records are incomplete or odd gets no message and an error in the run's result:
// a message the schema refuses must never undo, or block, the retention step already taken.
import { workflowInfo } from '@temporalio/workflow';
import { releaseVersion } from '../domain/build-names';
import { MESSAGE_ARCHES, messageRelease, retentionActionV1 } from '../domain/messages';
import { announce } from './announce';
import { rootCause } from './failures';

export interface RetentionAnnouncement {
  action: 'deprecated' | 'removed';
  destination: 'ec2' | 'glance';
  family: string | undefined;
  /** From the settings' family; undefined when the family is no longer configured. */
  subvariant: string | undefined;
  /** "rawhide", "44". */
  release: string | undefined;
  /** The compose-style build id the image carries, e.g. Fedora-Rawhide-20261122.n.0. */
  composeId: string | undefined;
  arch: string | undefined;
  region: string;
  resourceId: string;
  resourceName: string;
  reason: string;
}

/** Publishes the message; returns its id, or the reason none was sent. */
export async function announceRetention(a: RetentionAnnouncement, rawhideRelease: number): Promise<{ messageId: string } | { error: string }> {
  try {
    const missing = (['family', 'subvariant', 'release', 'composeId', 'arch'] as const).filter((k) => a[k] === undefined);
    if (missing.length > 0) throw new Error(`the image does not say its ${missing.join(', ')}`);
    const arch = MESSAGE_ARCHES.find((x) => x === a.arch);
    if (!arch) throw new Error(`the image's architecture "${a.arch ?? ''}" is not one messages carry`);
    const release = a.release as string;
    const messageId = await announce(retentionActionV1, {
      family: a.family as string,
      subvariant: a.subvariant as string,
      release: messageRelease(release, rawhideRelease),
      version: releaseVersion(release),
      compose_id: a.composeId as string,
      build_kind: 'nightly',
      action: a.action,
      destination: a.destination,
      architecture: arch,
      region: a.region,
      resource_id: a.resourceId,
      resource_name: a.resourceName || a.resourceId,
      reason: a.reason,
      run_id: workflowInfo().workflowId,
    });
    return { messageId };
  } catch (err) {
    return { error: rootCause(err).message };
  }
}
