// The download-server destination: build a target from the `downloads` settings, publish sets.
import type { Config } from '../../config/schema';
import { createDirectoryTarget } from './directory-target';
import { createDownloadsS3Client, createS3Target } from './s3-target';
import type { DownloadTarget } from './types';

export * from './types';
export * from './errors';
export { compileLayout, publicUrlFor, unsafeComponentReason } from './layout';
export { publishImageSet, type PublishOptions, type PublishProgress, type PublishResume } from './publish-set';
export { createDirectoryTarget, type DirectoryTargetOptions } from './directory-target';
export { createDownloadsS3Client, createS3Target, type S3TargetOptions, type S3ClientOptions } from './s3-target';

export function downloadTargetFromConfig(downloads: Config['downloads']): DownloadTarget {
  if (downloads.type === 'directory') {
    return createDirectoryTarget({ root: downloads.root, layout: downloads.layout, publicUrl: downloads.publicUrl });
  }
  const { region, endpoint, forcePathStyle, bucket, layout, publicUrl, partSizeMiB } = downloads;
  return createS3Target({
    client: createDownloadsS3Client({ region, endpoint, forcePathStyle }),
    bucket,
    layout,
    publicUrl,
    partSize: partSizeMiB === undefined ? undefined : partSizeMiB * 1024 * 1024,
  });
}
