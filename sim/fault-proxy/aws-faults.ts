// Error answers shaped like the real services' own, so the SDKs classify them as they would in
// production (throttling, server error, client error).
import { randomUUID } from 'node:crypto';
import type { FaultRule, RequestMatcher, StatusFault } from './rules';

/** EC2 (Query protocol) error, e.g. 503 RequestLimitExceeded, 400 IncorrectState. */
export function ec2Error(code: string, status = 400, message = `injected ${code}`): StatusFault {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
  return { kind: 'status', status, body, headers: { 'content-type': 'text/xml;charset=UTF-8' } };
}

/** S3's 503 SlowDown. */
export function s3SlowDown(): StatusFault {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>` +
    `<RequestId>${randomUUID()}</RequestId></Error>`;
  return { kind: 'status', status: 503, body, headers: { 'content-type': 'application/xml' } };
}

/** EBS direct APIs (REST-JSON) error, e.g. 400 RequestThrottledException, 500 InternalServerException. */
export function ebsError(type: string, status: number, extra: Record<string, string> = {}): StatusFault {
  const body = JSON.stringify({ message: `injected ${type}`, ...extra });
  return {
    kind: 'status',
    status,
    body,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/` },
  };
}

export const ebsThrottled = (): StatusFault => ebsError('RequestThrottledException', 400, { Reason: 'ACCOUNT_THROTTLED' });
export const ebsInternal = (): StatusFault => ebsError('InternalServerException', 500);

/** A bare 500 with a plain body: what a broken load balancer answers. */
export function plain500(): StatusFault {
  return { kind: 'status', status: 500, body: 'Internal Server Error', headers: { 'content-type': 'text/plain' } };
}

/** A successful EC2 answer for an action the backend lacks (moto has no EnableImageDeprecation). */
export function ec2Ok(action: string, inner = '<return>true</return>'): StatusFault {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
    `<requestId>${randomUUID()}</requestId>${inner}</${action}Response>`;
  return { kind: 'status', status: 200, body, headers: { 'content-type': 'text/xml;charset=UTF-8' } };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/**
 * The request reaches the service, which acts on it (a CopyImage makes its copy), but the
 * answer is lost on the way back: the connection drops. Fires once, on the first match.
 */
export function answerLostOnce(action: string, match: Omit<RequestMatcher, 'action'> = {}): FaultRule {
  return { name: `${action} answer lost once`, match: { ...match, action }, fault: { kind: 'reset', after: true }, times: 1 };
}
