// The shape every destination has on the workflow side. The arch pipeline knows nothing of any
// destination: it builds one PublishContext per staged image and hands it to each destination of
// the family, through the registry (./registry.ts), in the order of domain/destinations.ts.
import type { PreparedArtifactsResult } from '../../activities/artifacts';
import type { StagedImage } from '../../activities/fetch';
import type { BuiltImage, ImageReleaseInput } from '../../domain/image-release';
import type { ImageCompleteEntry } from '../../domain/messages';
import type { ProgressTracker } from '../progress';

/** Everything a destination may need about one arch's image, staged on one host. */
export interface PublishContext {
  /** The release workflow's id (children's ids derive from it). */
  workflowId: string;
  /** `<release workflow id>/<arch>`: the image's key for idempotency (client tokens, markers). */
  imageKey: string;
  input: ImageReleaseInput;
  image: BuiltImage;
  /** Where the fetched file is: the host's own task queue and path. */
  staged: StagedImage;
  /** What the artifact stage made on that host. */
  artifacts: PreparedArtifactsResult;
  progress: ProgressTracker;
  /** A host-queue activity not picked up within this is taken for a lost host (milliseconds). */
  lostAfterMs: number;
}

/** What image.complete tells of a published destination beyond its status. */
export type CompleteDetails = Omit<Partial<ImageCompleteEntry>, 'destination' | 'architecture' | 'status'>;

export interface WorkflowDestination<R = unknown> {
  /** Its id in domain/destinations.ts (or a test's own). */
  readonly id: string;
  /** Why this image cannot go there (it is then reported skipped), or undefined when it can. */
  skip?(ctx: PublishContext): string | undefined;
  /** Publishes; throws when it failed (the pipeline records the failure, the others go on). */
  publish(ctx: PublishContext): Promise<R>;
  /** After a successful publish: its message on the bus, and a partial failure for the progress. */
  announce(ctx: PublishContext, result: R): Promise<void>;
  /** What the release's image.complete message says of a published result. */
  details(result: R): CompleteDetails;
}

/** A destination's outcome for one arch, as the release result reports it. */
export type DestinationOutcome<T = unknown> =
  | { ok: true; value: T; /** What image.complete says of it (the destination's `details`). */ details: CompleteDetails }
  | { ok: false; error: string; skipped?: true };

/** Types a destination's `satisfies` check without erasing its result type. */
export function defineDestination<R>(d: WorkflowDestination<R>): WorkflowDestination<R> {
  return d;
}
