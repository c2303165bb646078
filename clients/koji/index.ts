// The Koji client's public surface. Activities import from here.
export { KojiClient } from './client';
export type {
  CallOptions,
  FindExistingTaskOptions,
  KojiAuth,
  KojiClientOptions,
  ListTasksOpts,
  MultiCallEntry,
  MultiCallRequest,
  QueryOpts,
  RetryEvent,
} from './client';
export * from './errors';
export { DEFAULT_RETRY, retryDelayMs } from './retry-delay';
export type { RetryPolicy } from './retry-delay';
export * from './schemas';
export {
  buildImageOzParams,
  buildImageOzTaskRequest,
  buildImageParams,
  buildImageTaskRequest,
  kiwiBuildParams,
  kiwiBuildTaskRequest,
  sameTaskRequest,
} from './submissions';
export type { KiwiBuildArgs, LiveImageOpts, LiveImageType, OzImageOpts, TaskRequest } from './submissions';
export { KojiUnsafeFileName, assertSafeTaskFileName, taskFileUrl, taskRelPath } from './task-files';
export { fetchHttpPost, nodeHttpPost, tlsAgent } from './transport';
export type { HttpPost, HttpPostRequest, HttpPostResponse } from './transport';
export { asDouble, kwargs, XmlRpcDouble } from './xmlrpc';
export type { XmlRpcValue } from './xmlrpc';
