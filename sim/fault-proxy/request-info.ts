// What the proxy knows about a request before it decides on a fault: method, path, query, the
// AWS service and region from the SigV4 scope, and an action name. The action comes from the
// X-Amz-Target header (JSON protocols), the `Action` form field (EC2/Query), an XML-RPC
// <methodName> (Koji), the REST shape of the EBS direct and S3 APIs, or else "<METHOD> <path>".
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed form body (EC2/Query protocol); undefined for other bodies. */
  form: URLSearchParams | undefined;
  /** X-Amz-Target header, when present. */
  target: string | undefined;
  /** Service and region from the SigV4 credential scope, when signed. */
  service: string | undefined;
  region: string | undefined;
  action: string;
}

/** Bodies the proxy reads whole to find the action; everything else streams through. */
export function bodyIsInspectable(headers: IncomingHttpHeaders): boolean {
  const type = String(headers['content-type'] ?? '');
  const length = Number(headers['content-length'] ?? NaN);
  const small = Number.isFinite(length) && length <= 1024 * 1024;
  return small && (type.startsWith('application/x-www-form-urlencoded') || type.includes('xml'));
}

export function describeRequest(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: Buffer | undefined): RequestInfo {
  const url = new URL(rawUrl, 'http://proxy.invalid');
  const type = String(headers['content-type'] ?? '');
  const form = body && type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : undefined;
  const targetHeader = headers['x-amz-target'];
  const target = Array.isArray(targetHeader) ? targetHeader[0] : targetHeader;
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''));
  const region = scope?.[1];
  const service = scope?.[2];
  const path = decodeURIComponent(url.pathname);
  const info: RequestInfo = { method, path, query: url.searchParams, headers, form, target, service, region, action: '' };
  info.action =
    (target ? target.slice(target.lastIndexOf('.') + 1) : undefined) ??
    form?.get('Action') ??
    xmlRpcMethod(type, body) ??
    ebsAction(info) ??
    s3Action(info) ??
    `${method} ${path}`;
  return info;
}

function xmlRpcMethod(type: string, body: Buffer | undefined): string | undefined {
  if (!body || !type.includes('xml')) return undefined;
  return /<methodName>\s*([^<\s]+)\s*<\/methodName>/.exec(body.toString('utf8'))?.[1];
}

/** The EBS direct APIs are REST-JSON under /snapshots. */
function ebsAction({ method, path, service }: RequestInfo): string | undefined {
  if (service !== undefined && service !== 'ebs') return undefined;
  if (method === 'POST' && path === '/snapshots') return 'StartSnapshot';
  if (method === 'POST' && /^\/snapshots\/completion\/[^/]+$/.test(path)) return 'CompleteSnapshot';
  if (method === 'PUT' && /^\/snapshots\/[^/]+\/blocks\/\d+$/.test(path)) return 'PutSnapshotBlock';
  if (method === 'GET' && /^\/snapshots\/[^/]+\/blocks\/\d+$/.test(path)) return 'GetSnapshotBlock';
  if (method === 'GET' && /^\/snapshots\/[^/]+\/blocks$/.test(path)) return 'ListSnapshotBlocks';
  if (method === 'GET' && /^\/snapshots\/[^/]+\/changedblocks$/.test(path)) return 'ListChangedBlocks';
  return undefined;
}

/** Path-style S3, which is what an endpoint override (moto) uses. */
function s3Action({ method, path, query, headers, service }: RequestInfo): string | undefined {
  if (service !== 's3') return undefined;
  const hasKey = /^\/[^/]+\/.+/.test(path);
  if (!hasKey) {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'GET') return query.has('uploads') ? 'ListMultipartUploads' : 'ListObjectsV2';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return undefined;
  }
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT' && query.has('partNumber')) return 'UploadPart';
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET' && query.has('uploadId')) return 'ListParts';
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return undefined;
}
