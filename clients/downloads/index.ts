// The download-server destination: targets (a directory, an S3 bucket) and publish sets.
export * from './types';
export * from './errors';
export { compileLayout, publicUrlFor, unsafeComponentReason } from './layout';
export { publishImageSet, type PublishOptions, type PublishProgress, type PublishResume } from './publish-set';
export { createDirectoryTarget, type DirectoryTargetOptions } from './directory-target';
export { createDownloadsS3Client, createS3Target, type S3TargetOptions, type S3ClientOptions } from './s3-target';
