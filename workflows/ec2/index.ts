// The EC2 publishing workflows, for workflows/index.ts to re-export.
export { publishAmiWorkflow } from './publish-ami';
export type { PublishAmiInput, PublishAmiResult } from './publish-ami';
export { copyAmiToRegionWorkflow } from './copy-ami-to-region';
export type { CopyAmiToRegionInput, CopyAmiToRegionResult } from './copy-ami-to-region';
export { ec2RetentionWorkflow } from './retention';
export type { Ec2RetentionInput, Ec2RetentionResult, Ec2RetentionActionResult } from './retention';
// Queries and updates are objects, not functions, so they do not register as workflow types.
export { ec2ProgressQuery, ec2RegionProgressQuery, retryRegionsUpdate } from './definitions';
export type { RegionResult, RegionProgress, PublishAmiProgress, CopyRegionProgress } from './definitions';
