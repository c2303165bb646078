// From the bus's message bodies (domain/messages, already validated) to the catalogue's changes:
// the messages about a release as a whole here, each destination's own in ./destinations/. Pure:
// the one look-up it may need (which image an EC2 message is about, when the AMI name does not
// say) is a function the caller passes in.
import { DESTINATIONS, isDestinationId } from '../../domain/destinations';
import type { BuildFinishedV1, ImageCompleteV1, ReleaseOfficialV1, RetentionActionV1 } from '../../domain/messages';
import type { CatalogueChange, ImageStatus } from '../model';
import { CATALOGUE_DESTINATIONS } from './destinations/registry';
import { facts, keyOf, releaseOf, UntranslatableError, versionOf, type TranslateContext } from './identity';

export { UntranslatableError, versionOf, releaseOf, ftypeOf, type TranslateContext } from './identity';

export function fromBuildFinished(b: BuildFinishedV1): CatalogueChange[] {
  const status: ImageStatus = b.koji_state === 'CLOSED' ? 'built' : 'failed';
  return b.arches.map((arch) => ({
    type: 'image',
    image: keyOf(b, arch),
    // A non-scratch build is known by its NVR; a scratch build has only the compose-style id.
    facts: { ...facts(b), kojiTaskId: b.koji_task_id, buildId: b.koji_build?.nvr ?? b.compose_id, status },
    note:
      b.koji_state === 'CLOSED'
        ? `Built in Koji (task ${b.koji_task_id})`
        : `Koji task ${b.koji_task_id} ${b.koji_state.toLowerCase()}${b.error ? `: ${b.error}` : ''}`,
  }));
}

export function fromImageComplete(b: ImageCompleteV1, ctx: TranslateContext): CatalogueChange[] {
  const changes: CatalogueChange[] = [];
  const arches = [...new Set(b.destinations.map((d) => d.architecture))];
  for (const arch of arches) {
    const image = keyOf(b, arch);
    const mine = b.destinations.filter((d) => d.architecture === arch);
    const failed = mine.filter((d) => d.status === 'failed').length;
    // An EC2 entry that failed in some regions still published in the others.
    const worked = mine.filter((d) => d.status === 'published' || Object.keys(d.regions ?? {}).length > 0).length;
    const status: ImageStatus = failed === 0 ? 'complete' : worked === 0 ? 'failed' : 'partial';
    for (const d of mine) {
      // An entry of a destination this catalogue does not know (a newer publisher's) is only
      // named in the summary below.
      if (d.status === 'skipped' || !isDestinationId(d.destination)) continue;
      changes.push(...CATALOGUE_DESTINATIONS[d.destination].fromComplete(d, image, ctx));
    }
    const summary = mine.map((d) => `${d.destination} ${d.status}${d.error ? ` (${d.error})` : ''}`).join(', ');
    // Last, so the verdict wins over the "publishing" the destination changes imply.
    changes.push({ type: 'image', image, facts: { ...facts(b), status }, note: `Complete: ${summary}` });
  }
  return changes;
}

export function fromRetention(b: RetentionActionV1): CatalogueChange[] {
  if (!isDestinationId(b.destination)) throw new UntranslatableError(`retention of an unknown destination "${b.destination}"`);
  const type = DESTINATIONS[b.destination].catalogueType;
  return [
    {
      type: 'destination-state',
      image: keyOf(b, b.architecture),
      destinationType: type,
      // Downloads go as a whole image (files and CHECKSUM together); clouds per region.
      ...(b.destination !== 'downloads' && b.region ? { location: b.region } : {}),
      state: b.action,
      detail: b.reason,
      note: `${b.action === 'removed' ? 'Removed' : 'Deprecated'} ${b.destination}${b.region ? ` in ${b.region}` : ''}: ${b.resource_id} (${b.reason})`,
    },
  ];
}

export function fromReleaseOfficial(b: ReleaseOfficialV1): CatalogueChange[] {
  return [{ type: 'official', release: releaseOf(b), family: b.family, version: versionOf(b), markedBy: b.marked_by, note: b.note }];
}

