// The mirror's message: which files of which image it holds.
import { z } from 'zod';
import { architecture, defineMessageType, imageIdentity, sha256Hex, topicWord } from '../../../../domain/messages';

export const mirrorPublishedV1 = defineMessageType({
  schemaName: 'fedimg.test.mirror.published.v1',
  topicPattern: 'fedimg.test.mirror.published.v1.<family>.<arch>',
  title: 'Image mirrored (test destination)',
  description: "An image's files were copied to the test mirror.",
  body: z.object({ ...imageIdentity, architecture, files: z.array(z.object({ name: z.string(), sha256: sha256Hex })).min(1) }),
  topic: (b) => `fedimg.test.mirror.published.v1.${topicWord(b.family)}.${topicWord(b.architecture)}`,
  eventKey: (b) => `mirror/${b.family}/${b.compose_id}/${b.architecture}`,
});
