// The workflows a test worker bundles: every production workflow, plus the mirror registered
// as a destination (registerDestination at module top level, so every run sees it).
import { registerDestination } from '../../../../workflows/destinations/registry';
import { mirrorDestination } from './workflow';

export * from '../../../../workflows';

registerDestination(mirrorDestination);
