// The local stack's AWS endpoint: moto behind a front that answers, from its own state, the EC2
// calls moto lacks, the way EC2 answers them:
//   - image block public access (Get/Enable/DisableImageBlockPublicAccess, per region); while a
//     region blocks, making an image public (ModifyImageAttribute adding launchPermission group
//     all) fails with OperationNotPermitted, as EC2 does;
//   - deprecation (Enable/DisableImageDeprecation): kept per image, reported as the image's
//     deprecationTime, and applied to what a user of the AMI list sees (describe-images.ts);
//   - deregistration protection (Enable/DisableImageDeregistrationProtection, with the 24 h
//     cooldown): DeregisterImage of a protected image fails, DescribeImages and
//     DescribeImageAttribute report it.
// Everything else passes through to moto unchanged. Local stack and tests only: production
// talks to AWS itself.
import { randomUUID } from 'node:crypto';
import { startFaultProxy, type FaultProxy } from '../fault-proxy';
import type { Answer, FaultRule, RewriteRule } from '../fault-proxy/rules';
import type { RequestInfo } from '../fault-proxy/request-info';
import { rewriteDescribeImages } from './describe-images';
import { Ec2FrontState, type BlockPublicAccessState } from './ec2-state';

export interface AwsFrontOptions {
  /** moto's URL. */
  target: string;
  port?: number;
  recordCalls?: boolean;
  /** Regions start with image block public access on, as in accounts made since late 2023. Default false. */
  blockPublicSharingByDefault?: boolean;
  /**
   * Access keys of users in another account. moto keeps each account's images apart, so such a
   * user cannot see the owner's public images there; the front answers these keys' DescribeImages
   * from the owner's images with the rules EC2 applies to a user (public, not deprecated).
   */
  userAccessKeys?: readonly string[];
  now?: () => number;
}

export interface AwsFront {
  readonly url: string;
  readonly proxy: FaultProxy;
  readonly state: Ec2FrontState;
  close(): Promise<void>;
}

/** The access key the front's own default user of the AMI list signs with (see userAccessKeys). */
export const DEFAULT_AMI_USER_KEY = 'fedimg-ami-user';

export async function startAwsFront(opts: AwsFrontOptions): Promise<AwsFront> {
  const state = new Ec2FrontState(opts.blockPublicSharingByDefault ?? false, opts.now);
  const users = new Set(opts.userAccessKeys ?? [DEFAULT_AMI_USER_KEY]);
  const region = (req: RequestInfo) => req.region ?? 'us-east-1';
  const field = (req: RequestInfo, name: string) => req.form?.get(name) ?? req.query.get(name) ?? undefined;

  const answers: Record<string, (req: RequestInfo) => Answer | undefined> = {
    GetImageBlockPublicAccessState: (req) =>
      ok('GetImageBlockPublicAccessState', `<imageBlockPublicAccessState>${state.blockState(region(req))}</imageBlockPublicAccessState><managedBy>account</managedBy>`),
    EnableImageBlockPublicAccess: (req) => {
      const wanted = field(req, 'ImageBlockPublicAccessState');
      if (wanted !== 'block-new-sharing') return error('InvalidParameterValue', `Value (${wanted ?? ''}) for parameter ImageBlockPublicAccessState is invalid. Valid value: block-new-sharing`);
      state.setBlockState(region(req), wanted);
      return ok('EnableImageBlockPublicAccess', `<imageBlockPublicAccessState>${wanted}</imageBlockPublicAccessState>`);
    },
    DisableImageBlockPublicAccess: (req) => {
      // AWS takes up to 10 minutes and reports block-new-sharing meanwhile; here it is at once.
      const now: BlockPublicAccessState = 'unblocked';
      state.setBlockState(region(req), now);
      return ok('DisableImageBlockPublicAccess', `<imageBlockPublicAccessState>${now}</imageBlockPublicAccessState>`);
    },
    ModifyImageAttribute: (req) => {
      if (!addsPublicLaunchPermission(req) || state.blockState(region(req)) !== 'block-new-sharing') return undefined;
      return error(
        'OperationNotPermitted',
        'You can’t publicly share this image because block public access for AMIs is enabled for this account. To publicly share the image, you must call the DisableImageBlockPublicAccess API.',
      );
    },
    EnableImageDeprecation: (req) => {
      const id = field(req, 'ImageId');
      const at = new Date(field(req, 'DeprecateAt') ?? '');
      if (!id || Number.isNaN(at.getTime())) return error('MissingParameter', 'ImageId and DeprecateAt are required');
      state.deprecate(region(req), id, at);
      return ok('EnableImageDeprecation', '<return>true</return>');
    },
    DisableImageDeprecation: (req) => {
      const id = field(req, 'ImageId');
      if (!id) return error('MissingParameter', 'ImageId is required');
      state.undeprecate(region(req), id);
      return ok('DisableImageDeprecation', '<return>true</return>');
    },
    EnableImageDeregistrationProtection: (req) => {
      const id = field(req, 'ImageId');
      if (!id) return error('MissingParameter', 'ImageId is required');
      return ok('EnableImageDeregistrationProtection', `<return>${state.protect(region(req), id, field(req, 'WithCooldown') === 'true')}</return>`);
    },
    DisableImageDeregistrationProtection: (req) => {
      const id = field(req, 'ImageId');
      if (!id) return error('MissingParameter', 'ImageId is required');
      return ok('DisableImageDeregistrationProtection', `<return>${state.unprotect(region(req), id)}</return>`);
    },
    DeregisterImage: (req) => {
      const id = field(req, 'ImageId');
      const refusal = id ? state.deregistrationRefusal(region(req), id) : undefined;
      // The code EC2 uses here is not recorded in reference/; OperationNotPermitted is EC2's
      // code for an operation a setting of the resource forbids (as for blocked sharing above).
      return refusal ? error('OperationNotPermitted', refusal) : undefined;
    },
    DescribeImageAttribute: (req) => {
      const id = field(req, 'ImageId');
      if (field(req, 'Attribute') !== 'deregistrationProtection' || !id) return undefined;
      return ok('DescribeImageAttribute', `<imageId>${id}</imageId><deregistrationProtection><value>${state.protectionText(region(req), id)}</value></deregistrationProtection>`);
    },
  };

  const rules: FaultRule[] = Object.entries(answers).map(([action, respond]) => ({ name: `aws-front ${action}`, match: { action }, fault: { kind: 'respond', respond } }));
  const rewrites: RewriteRule[] = [
    {
      name: 'aws-front DescribeImages',
      match: { action: 'DescribeImages' },
      rewrite: (res, { req }) => {
        if (res.status >= 300) return undefined;
        const form = req.form ?? req.query;
        const view = {
          region: region(req),
          asUser: users.has(accessKeyOf(req) ?? ''),
          includeDeprecated: form.get('IncludeDeprecated') === 'true',
          byId: [...form.keys()].some((k) => /^ImageId\.\d+$/.test(k)),
        };
        return { ...res, body: Buffer.from(rewriteDescribeImages(res.body.toString('utf8'), state, view)) };
      },
    },
    {
      name: 'aws-front forgets deregistered images',
      match: { action: 'DeregisterImage' },
      rewrite: (res, { req }) => {
        const id = field(req, 'ImageId');
        if (res.status < 300 && id) state.forget(region(req), id);
        return undefined;
      },
    },
  ];
  const proxy = await startFaultProxy({ target: opts.target, ...(opts.port !== undefined ? { port: opts.port } : {}), recordCalls: opts.recordCalls ?? false, rules, rewrites });
  return { url: proxy.url, proxy, state, close: () => proxy.close() };
}

/** LaunchPermission.Add.N.Group=all (the SDK's form), or the older OperationType=add + UserGroup.N=all. */
function addsPublicLaunchPermission(req: RequestInfo): boolean {
  const form = req.form;
  if (!form) return false;
  for (const [k, v] of form) {
    if (/^LaunchPermission\.Add\.\d+\.Group$/.test(k) && v === 'all') return true;
    if (/^UserGroup\.\d+$/.test(k) && v === 'all' && form.get('OperationType') === 'add') return true;
  }
  return false;
}

function accessKeyOf(req: RequestInfo): string | undefined {
  return /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

function ok(action: string, inner: string): Answer {
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId>${inner}</${action}Response>`,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
  };
}

function error(code: string, message: string): Answer {
  const text = message.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);
  return {
    status: 400,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${text}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
  };
}
