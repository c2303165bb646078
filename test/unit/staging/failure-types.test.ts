// One name per fault across the fetch and the conversion: the domain's constants are the client
// errors' own names (activities pass those through), the artifact activities use the same list,
// and the workflow's retry policy still knows the names older workers threw.
import { describe, expect, it } from 'vitest';
import { ArtifactFailureType } from '../../../activities/artifacts';
import { DownloadNotFoundError, DownloadVerificationError } from '../../../clients/fetch/errors';
import {
  ArtifactRequestError,
  DiskFullError,
  ImageCorruptError,
  ImageFormatError,
  ImageTooLargeError,
  OutputInvalidError,
  ToolFailedError,
} from '../../../clients/images/errors';
import {
  LegacyStagingFailureType,
  RESTAGE_MAX_ATTEMPTS,
  STAGING_NON_RETRYABLE,
  StagingFailureType,
  avoidedHostRetryDelayMs,
  hostFailureDetails,
  isDiskFullType,
} from '../../../domain/failures/staging';

describe('staging failure types', () => {
  it('are the names of the client errors they come from', () => {
    expect(new ImageTooLargeError('x', 2, 1).name).toBe(StagingFailureType.ImageTooLarge);
    expect(new ImageFormatError('x').name).toBe(StagingFailureType.ImageFormat);
    expect(new ImageCorruptError('x').name).toBe(StagingFailureType.ImageCorrupt);
    expect(new ArtifactRequestError('x').name).toBe(StagingFailureType.ArtifactRequest);
    expect(new DiskFullError('x', '/s').name).toBe(StagingFailureType.DiskFull);
    expect(new ToolFailedError('x', 'xz', 1, null, '').name).toBe(StagingFailureType.ToolFailed);
    expect(new OutputInvalidError('x').name).toBe(StagingFailureType.OutputInvalid);
    expect(new DownloadVerificationError('x').name).toBe(StagingFailureType.DownloadVerification);
    expect(new DownloadNotFoundError('x').name).toBe(StagingFailureType.DownloadNotFound);
  });

  it('are the artifact activities\' types too (one list for fetch and conversion)', () => {
    const staging = Object.values(StagingFailureType) as string[];
    for (const type of Object.values(ArtifactFailureType)) expect(staging).toContain(type);
  });

  it('the retry policy list holds the final types, the old names, and no host-level retryable one', () => {
    expect(STAGING_NON_RETRYABLE).toEqual(
      expect.arrayContaining(['ImageTooLargeError', 'ImageTooLarge', 'DiskFullError', 'StagingDiskFull', 'DownloadVerificationError', 'BadFileName']),
    );
    // A refusing (avoided) host must be retried: that is how the task reaches another host.
    expect(STAGING_NON_RETRYABLE).not.toContain(StagingFailureType.HostAvoided);
    expect(STAGING_NON_RETRYABLE).not.toContain(StagingFailureType.ToolFailed);
  });

  it('recognises a full disk under the new and the old name', () => {
    expect(isDiskFullType('DiskFullError')).toBe(true);
    expect(isDiskFullType(LegacyStagingFailureType.StagingDiskFull)).toBe(true);
    expect(isDiskFullType('ImageTooLargeError')).toBe(false);
    expect(isDiskFullType(undefined)).toBe(false);
  });

  it('reads the host from a failure\'s details, and nothing from malformed ones', () => {
    expect(hostFailureDetails([{ hostId: 'a', hostTaskQueue: 'q-a' }])).toEqual({ hostId: 'a', hostTaskQueue: 'q-a' });
    expect(hostFailureDetails([{ hostId: 1 }])).toBeUndefined();
    expect(hostFailureDetails(undefined)).toBeUndefined();
  });

  it('an avoided host hands the task back quickly (1 s, 2 s, then 5 s), many times', () => {
    expect([1, 2, 3, 4, 40].map(avoidedHostRetryDelayMs)).toEqual([1000, 2000, 5000, 5000, 5000]);
    // All the refusals a re-staging allows: a few minutes, not hours, before NoStagingHost.
    let waited = 0;
    for (let a = 1; a < RESTAGE_MAX_ATTEMPTS; a++) waited += avoidedHostRetryDelayMs(a);
    expect(waited).toBeGreaterThan(2 * 60_000);
    expect(waited).toBeLessThan(5 * 60_000);
  });
});
