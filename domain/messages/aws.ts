// Fedora's existing EC2 message, as PyPI fedora-image-uploader-messages 1.2.0 defines it
// (AwsPublishedV1): one message per image covering every region it was copied to. openQA's AMI
// tests and datagrepper ("the latest AMI") consume it, so the body has exactly these six fields.
import { z } from 'zod';
import { amiId, architecture, awsRegion, releaseNumber, safeName, topicWord } from './common';
import { defineMessageType } from './message-type';

export const awsPublishedV1Body = z
  .object({
    architecture,
    compose_id: z.string().min(1).describe('The compose ID this image was created from.'),
    image_name: z.string().min(1).describe('The name of the AMI.'),
    regions: z
      .record(awsRegion, amiId)
      .refine((r) => Object.keys(r).length > 0, 'at least one region')
      .describe('A map of regions to AMI IDs. The object keys are the AWS region and the value is the AMI ID.'),
    release: releaseNumber,
    subvariant: safeName.describe('The subvariant of the image (e.g. Cloud_Base).'),
  })
  .describe('Schema for messages sent by fedora-image-uploader when a new Amazon Web Services image is published.');

export type AwsPublishedV1 = z.output<typeof awsPublishedV1Body>;

export const awsPublishedV1 = defineMessageType({
  schemaName: 'fedora_image_uploader.published.v1.aws',
  topicPattern: 'fedora_image_uploader.published.v1.aws.<subvariant>.<release>.<arch>',
  schemaPackage: 'fedora_image_uploader_messages',
  title: 'AWS image published',
  description: 'An AMI was registered from an image and copied to every region listed.',
  body: awsPublishedV1Body,
  topic: (b) => `fedora_image_uploader.published.v1.aws.${topicWord(b.subvariant)}.${b.release}.${topicWord(b.architecture)}`,
  eventKey: (b) => `aws-published/${b.compose_id}/${b.subvariant}/${b.architecture}/${b.image_name}`,
});
