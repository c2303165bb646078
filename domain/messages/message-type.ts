// A message type binds a schema name (the fedora_messaging_schema header) to its body schema, the
// topic a body is published on, the identity of the event it announces (from which the message
// id is derived, so a retried publish is the same message) and its severity.
import type { z } from 'zod';
import { SEVERITY, type Severity } from './common';

export interface MessageType<S extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  /** Entry-point name consumers look the schema up by, e.g. fedora_image_uploader.published.v1.aws. */
  schemaName: string;
  /** The Python distribution that ships the schema, for the fedora_messaging_schema_package header. */
  schemaPackage?: string;
  title: string;
  description: string;
  /** The topic's shape for people, e.g. fedimg.build.finished.v1.<family>.<release>. */
  topicPattern: string;
  body: S;
  /** The topic without the environment prefix. */
  topic(body: z.output<S>): string;
  /** What makes two publishes the same event (and so the same message id). */
  eventKey(body: z.output<S>): string;
  severity(body: z.output<S>): Severity;
  /** Fedora account names the message concerns: fedora_messaging_user_<name> marker headers. */
  users?(body: z.output<S>): string[];
}

export function defineMessageType<S extends z.ZodType<Record<string, unknown>>>(
  t: Omit<MessageType<S>, 'severity'> & { severity?: MessageType<S>['severity'] },
): MessageType<S> {
  return { severity: () => SEVERITY.INFO, ...t };
}
