// DescribeImages as EC2 answers it, from moto's answer and the front's state: each image gains
// its deprecationTime and deregistrationProtection; and a user of the AMI list (a request from
// another account) sees what EC2 shows such a user: public images only, and deprecated images
// only when asked for them (IncludeDeprecated=true) or by id. The owner sees every image of its
// own, deprecated or not, as EC2 documents ("AMI owners continue to see deprecated AMIs").
import type { Ec2FrontState } from './ec2-state';

export interface DescribeView {
  region: string;
  /** True when the requester is a user of the images, not their owner. */
  asUser: boolean;
  includeDeprecated: boolean;
  /** Asked by ImageId.N: deprecated images are shown. */
  byId: boolean;
}

export function rewriteDescribeImages(xml: string, state: Ec2FrontState, view: DescribeView): string {
  const open = xml.indexOf('<imagesSet>');
  const close = xml.lastIndexOf('</imagesSet>');
  if (open === -1 || close === -1) return xml;
  const inner = xml.slice(open + '<imagesSet>'.length, close);
  const kept: string[] = [];
  for (const item of topLevelItems(inner)) {
    const id = /<imageId>([^<]+)<\/imageId>/.exec(item)?.[1];
    if (!id) {
      kept.push(item);
      continue;
    }
    if (view.asUser) {
      const isPublic = /<isPublic>true<\/isPublic>/.test(item);
      if (!isPublic) continue;
      if (state.isDeprecated(view.region, id) && !view.includeDeprecated && !view.byId) continue;
    }
    const extra: string[] = [];
    const at = state.deprecationTime(view.region, id);
    if (at && !item.includes('<deprecationTime>')) extra.push(`<deprecationTime>${at.toISOString()}</deprecationTime>`);
    if (!item.includes('<deregistrationProtection>')) extra.push(`<deregistrationProtection>${state.protectionText(view.region, id)}</deregistrationProtection>`);
    // At the item's end: element order does not matter to EC2's XML readers, and the rewrites
    // of sim/fault-proxy/aws-rewrites.ts rely on moto's order right after the id.
    const end = item.lastIndexOf('</item>');
    kept.push(`${item.slice(0, end)}${extra.join('')}${item.slice(end)}`);
  }
  return `${xml.slice(0, open)}<imagesSet>${kept.join('')}</imagesSet>${xml.slice(close + '</imagesSet>'.length)}`;
}

/** The `<item>…</item>` blocks directly inside a set (nested items stay inside their parent). */
function topLevelItems(inner: string): string[] {
  const out: string[] = [];
  const tag = /<(\/?)item>/g;
  let depth = 0;
  let start = -1;
  for (let m = tag.exec(inner); m; m = tag.exec(inner)) {
    if (m[1] === '') {
      if (depth === 0) start = m.index;
      depth += 1;
    } else {
      depth -= 1;
      if (depth === 0 && start !== -1) {
        out.push(inner.slice(start, m.index + m[0].length));
        start = -1;
      }
    }
  }
  return out;
}
