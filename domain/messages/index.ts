// Message schemas (zod), topics and the message registry. Pure: safe inside workflows.
export * from './common';
export * from './message-type';
export * from './aws';
export * from './fedimg';
export * from './registry';
export * from './koji';
