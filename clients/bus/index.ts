// The message bus client: Fedora Messaging's wire format over AMQP 0-9-1, signed messages, and a
// durable-queue consumer. See README.md beside this file.
export { createBusPublisher, type BusPublisher, type BusPublisherOptions, type PublishResult } from './publisher';
export { startQueueConsumer, type QueueConsumer, type QueueConsumerOptions, type HandlerOutcome, type ConsumerEvent } from './consumer';
export { connectArgs, openConnection, type BusConnectionOptions, type BusTls } from './connection';
export { BusUnavailableError } from './errors';
export {
  buildWireMessage,
  formatSentAt,
  routingKeyFor,
  MessageFormatError,
  type MarkerHeaders,
  type OutgoingMessage,
  type Severity,
  type WireMessage,
  type WireSettings,
} from './wire';
export { messageIdFor, uuidv5, MESSAGE_ID_NAMESPACE } from './message-id';
export {
  verifyMessage,
  fromAmqp,
  signingPayload,
  SIGNATURE_HEADER,
  KEY_ID_HEADER,
  type ReceivedMessage,
  type AmqpMessageLike,
  type VerifyResult,
  type VerifyFailure,
} from './signing';
export {
  ensureSigningKeyFiles,
  generateSigningKeyPair,
  keyFingerprint,
  loadTrustedKeys,
  privateSigningKey,
  publicKeyPathFor,
  publicSigningKey,
  SigningKeyError,
  type TrustedKeys,
} from './keys';
export { pythonJsonDumps } from './python-json';
export { canonicalJson } from './canonical-json';
export { kojiTaskBinding } from './koji-binding';
