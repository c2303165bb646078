// Every workflow the worker registers. Workflows import only @temporalio/workflow, domain/ and
// the *types* of activities (lint enforces it), so they stay deterministic and replayable.
export { healthWorkflow } from './health';
export { imageReleaseWorkflow } from './image-release';
export { scheduledReleaseWorkflow } from './scheduled-release';
export { publishAmiWorkflow, copyAmiToRegionWorkflow, ec2RetentionWorkflow } from './ec2';
export { glanceRetentionWorkflow } from './glance-retention';
