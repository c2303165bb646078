// A destination that exists only in the test tree: a directory "mirror" of each image's files.
// It proves a destination can be added through the registries alone (README "Adding a
// destination"): this spec, a client, activities, a workflow part, a message type, a config
// section and a catalogue part, each in its own small file, and no edit under workflows/.
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DestinationSpec } from '../../../../domain/destinations';

export { MIRROR_ID } from './id';

export const mirrorSpec: DestinationSpec = {
  title: 'the test mirror',
  label: 'Mirror',
  accepts: ['disk-image'],
  configSection: 'mirror',
  clientFolder: fileURLToPath(new URL('./client', import.meta.url)),
  messages: ['fedimg.test.mirror.published.v1'],
  failureStage: 'downloads',
  catalogueType: 'mirror',
};

/** Its config section, as config/schema.ts would hold it. */
export const mirrorSection = z.object({ root: z.string().min(1) }).strict();
