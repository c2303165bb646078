// A generic fault-injecting HTTP reverse proxy for tests (AWS through moto today; Glance and
// Koji later). See proxy.ts for the model: seeded rules of status / reset / delay per matched
// request, response rewrites, per-action counters, streamed bodies.
export { startFaultProxy, actions } from './proxy';
export type { FaultProxy, FaultProxyOptions, CallRecord, ActionCounters, RuleHandle } from './proxy';
export type { Answer, Fault, StatusFault, FaultRule, RequestMatcher, RewriteRule, ResponseDraft, RewriteContext, StringMatch } from './rules';
export type { RequestInfo } from './request-info';
export { seededRandom } from './prng';
export { ec2Error, ec2Ok, s3SlowDown, ebsError, ebsThrottled, ebsInternal, plain500, answerLostOnce } from './aws-faults';
export { imagesPendingFor, imagesPendingForMs, snapshotsPendingFor, ebsBlockSize, imagesCreatedDaysAgo } from './aws-rewrites';
export { spreadFaults, kojiServerOffline, serviceUnavailable } from './spread';
