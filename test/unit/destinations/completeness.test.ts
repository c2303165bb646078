// Every destination in domain/destinations.ts has all its parts, and a destination missing one is
// caught, by name, with where the part goes.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../config/schema';
import { DESTINATION_IDS, DESTINATIONS, type DestinationSpec } from '../../../domain/destinations';
import { FAILURE_STAGES } from '../../../domain/failures';
import { messageType } from '../../../domain/messages';
import { CATALOGUE_DESTINATIONS } from '../../../report/ingest/destinations/registry';
import { DESTINATION_WORKERS } from '../../../workers/destinations';
import { allDestinations } from '../../../workflows/destinations/registry';
import { destinationProblems, type DestinationParts, type Surroundings } from '../../helpers/destination-completeness';

const around: Surroundings = { configSections: Object.keys(configSchema.shape), messageType, failureStages: FAILURE_STAGES };

function partsOf(id: (typeof DESTINATION_IDS)[number]): DestinationParts {
  return {
    id,
    spec: DESTINATIONS[id],
    workflow: allDestinations().find((d) => d.id === id),
    worker: DESTINATION_WORKERS[id],
    catalogue: CATALOGUE_DESTINATIONS[id],
  };
}

describe('destination completeness', () => {
  it.each(DESTINATION_IDS)('%s has every part', (id) => {
    expect(destinationProblems(partsOf(id), around)).toEqual([]);
  });

  it('the workflow registry starts destinations in the order of domain/destinations.ts (recorded histories hold it)', () => {
    expect(allDestinations().map((d) => d.id)).toEqual(['downloads', 'glance', 'ec2']);
    expect(DESTINATION_IDS).toEqual(['downloads', 'glance', 'ec2']);
  });

  it('names each missing part of a destination and where it goes', () => {
    const spec: DestinationSpec = {
      title: 'a half-made destination',
      label: 'Half',
      accepts: ['disk-image'],
      configSection: 'half',
      clientFolder: 'half',
      messages: ['fedimg.half.published.v1'],
      failureStage: 'ec2',
      catalogueType: 'half',
    };
    const problems = destinationProblems({ id: 'half', spec, worker: () => ({ activities: {} }) }, around);
    expect(problems).toEqual([
      'half: no workflow part (workflows/destinations/half.ts in workflows/destinations/registry.ts)',
      'half: no catalogue part (report/ingest/destinations/half.ts in its registry)',
      'half: config section "half" is not in config/schema.ts',
      'half: message fedimg.half.published.v1 is not registered (domain/messages/registry.ts)',
      expect.stringMatching(/^half: no client in .*clients\/half/),
    ]);
  });

  it('catches a catalogue part that cannot read the destination\'s own message', () => {
    const { messages: _dropped, ...rest } = CATALOGUE_DESTINATIONS.glance;
    const problems = destinationProblems({ ...partsOf('glance'), catalogue: { ...rest, messages: {} } }, around);
    expect(problems).toEqual(['glance: the catalogue has no translation of fedimg.glance.published.v1']);
  });

  it('a destination missing from domain/destinations.ts is reported as such', () => {
    expect(destinationProblems({ id: 'nowhere' }, around)).toEqual([expect.stringContaining('nowhere: no entry in domain/destinations.ts')]);
  });
});
