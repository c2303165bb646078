// Message bodies as the pipeline publishes them (domain/messages), for the catalogue's tests:
// one image release's whole life on the bus, from Koji to "complete", and the odd ones out.
import { randomUUID, type KeyObject } from 'node:crypto';
import { buildWireMessage, type OutgoingMessage, type ReceivedMessage } from '../../../clients/bus';
import {
  awsPublishedV1,
  buildFinishedV1,
  buildMessage,
  filesPublishedV1,
  glancePublishedV1,
  imageCompleteV1,
  messageType,
  releaseOfficialV1,
  retentionActionV1,
  type MessageType,
  type PublishMessageInput,
} from '../../../domain/messages';

export interface BuildRef {
  family: string;
  subvariant: string;
  release: 'rawhide' | number;
  /** Koji release label: 20261122.n.0, 1.7… */
  label: string;
  kind: 'nightly' | 'weekly' | 'rc' | 'respin';
}

export const RAWHIDE_NUMBER = 46;

export function identity(b: BuildRef) {
  const version = b.release === 'rawhide' ? 'Rawhide' : String(b.release);
  return {
    family: b.family,
    subvariant: b.subvariant,
    release: b.release === 'rawhide' ? RAWHIDE_NUMBER : b.release,
    version,
    compose_id: `Fedora-${version}-${b.label}`,
    build_kind: b.kind,
  };
}

/** The catalogue's image id for a build and arch. */
export function imageIdOf(b: BuildRef, arch: string): string {
  const id = identity(b);
  return `${b.family}:${b.release === 'rawhide' ? 'rawhide' : String(b.release)}:${arch}:${id.compose_id.slice('Fedora-'.length)}`;
}

export const hex = (seed: string) => {
  let h = '';
  let x = 0;
  for (const c of seed) x = (x * 31 + c.charCodeAt(0)) >>> 0;
  while (h.length < 64) {
    x = (x * 1103515245 + 12345) >>> 0;
    h += x.toString(16).padStart(8, '0');
  }
  return h.slice(0, 64);
};

export function amiFor(seed: string): string {
  return `ami-${hex(seed).slice(0, 17)}`;
}

const stem = (b: BuildRef, arch: string) => `Fedora-${b.family}-${identity(b).version}-${b.label}.${arch}`;

export const bodies = {
  buildFinished(b: BuildRef, arches: string[], taskId = 1000 + Math.floor(Math.random() * 1e6), state: 'CLOSED' | 'FAILED' = 'CLOSED') {
    return {
      ...identity(b),
      koji_task_id: taskId,
      koji_state: state,
      arches,
      files: state === 'CLOSED' ? arches.map((arch) => ({ arch, name: `${stem(b, arch)}.qcow2`, size: 1000, sha256: hex(`${stem(b, arch)}k`) })) : [],
      ...(state === 'FAILED' ? { error: 'kiwi failed: <no space left>' } : {}),
    };
  },
  filesPublished(b: BuildRef, arch: string, baseUrl = 'http://127.0.0.1:18088/downloads') {
    const id = identity(b);
    const dir = `${baseUrl}/${b.release}/${b.family}/${arch}/images`;
    const files = [
      { name: `${stem(b, arch)}.qcow2`, size: 536_870_912 + arch.length, sha256: hex(`${stem(b, arch)}.qcow2`) },
      { name: `${stem(b, arch)}.raw.tar.xz`, size: 412_000_000 + arch.length, sha256: hex(`${stem(b, arch)}.raw`) },
    ];
    return {
      ...id,
      architecture: arch,
      files: files.map((f) => ({ ...f, url: `${dir}/${f.name}` })),
      checksum_url: `${dir}/Fedora-Cloud-${id.version}-${b.label}-${arch}-CHECKSUM`,
    };
  },
  aws(b: BuildRef, arch: string, regions: string[]) {
    const id = identity(b);
    return {
      architecture: arch,
      compose_id: id.compose_id,
      image_name: `Fedora-${b.family}.${arch}-${id.version}-${b.label}`,
      regions: Object.fromEntries(regions.map((r) => [r, amiFor(`${b.family}${b.label}${arch}${r}`)])),
      release: id.release,
      subvariant: b.subvariant,
    };
  },
  glance(b: BuildRef, arch: string, region = 'RegionOne') {
    return {
      ...identity(b),
      architecture: arch,
      region,
      image_id: randomUUIDFrom(`${b.family}${b.label}${arch}`),
      image_name: stem(b, arch),
      visibility: 'public',
      disk_format: 'qcow2',
      size: 536_870_912,
      sha256: hex(`${stem(b, arch)}.qcow2`),
    };
  },
  complete(b: BuildRef, perArch: Record<string, Array<Record<string, unknown>>>, outcome: 'published' | 'partial' | 'failed' = 'published') {
    return {
      ...identity(b),
      outcome,
      destinations: Object.entries(perArch).flatMap(([arch, ds]) => ds.map((d) => ({ architecture: arch, ...d }))),
    };
  },
  retention(b: BuildRef, arch: string, action: 'deprecated' | 'removed', destination: 'ec2' | 'downloads' | 'glance', region?: string) {
    return {
      ...identity(b),
      action,
      destination,
      architecture: arch,
      ...(region ? { region } : {}),
      resource_id: destination === 'ec2' ? amiFor(`${b.family}${b.label}${arch}${region}`) : `${b.family}/${arch}`,
      resource_name: stem(b, arch),
      reason: 'nightly older than 14 days',
      run_id: 'retention-1',
    };
  },
  official(b: BuildRef, by = 'releng') {
    return { ...identity(b), marked_by: by };
  },
};

/** A stable UUID from a seed (Glance ids in fixtures). */
export function randomUUIDFrom(seed: string): string {
  const h = hex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const TYPES = {
  buildFinished: buildFinishedV1,
  filesPublished: filesPublishedV1,
  aws: awsPublishedV1,
  glance: glancePublishedV1,
  complete: imageCompleteV1,
  retention: retentionActionV1,
  official: releaseOfficialV1,
} as unknown as Record<keyof typeof bodies, MessageType>;

/** The publish input a workflow would hand the publish activity for this body. */
export function message(kind: keyof typeof bodies, body: Record<string, unknown>): PublishMessageInput {
  return buildMessage(TYPES[kind], body);
}

export const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'];

/** A stable Koji task id per build (the build-finished message id derives from it). */
export function taskIdOf(b: BuildRef): number {
  return 100_000 + (parseInt(hex(`${b.family}/${b.release}/${b.label}`).slice(0, 6), 16) % 900_000);
}

/** A whole release of one build on the bus, in publishing order. */
export function lifecycle(b: BuildRef, arches: string[], dests: { downloads?: boolean; ec2?: boolean; glance?: boolean }): PublishMessageInput[] {
  const out: PublishMessageInput[] = [message('buildFinished', bodies.buildFinished(b, arches, taskIdOf(b)))];
  const perArch: Record<string, Array<Record<string, unknown>>> = {};
  for (const arch of arches) {
    perArch[arch] = [];
    if (dests.downloads) {
      const f = bodies.filesPublished(b, arch);
      out.push(message('filesPublished', f));
      perArch[arch].push({ destination: 'downloads', status: 'published', urls: f.files.map((x) => x.url) });
    }
    if (dests.ec2) {
      const a = bodies.aws(b, arch, REGIONS);
      out.push(message('aws', a));
      perArch[arch].push({ destination: 'ec2', status: 'published', regions: a.regions, image_name: a.image_name });
    }
    if (dests.glance) {
      const g = bodies.glance(b, arch);
      out.push(message('glance', g));
      perArch[arch].push({ destination: 'glance', status: 'published', image_id: g.image_id });
    }
  }
  out.push(message('complete', bodies.complete(b, perArch)));
  return out;
}

export { randomUUID };

// ---- on the wire -----------------------------------------------------------------------------

export const PREFIX = 'org.fedoraproject.test';

/** What the publish activity would hand the publisher for this input. */
export function outgoing(m: PublishMessageInput): OutgoingMessage {
  const type = messageType(m.schema);
  return {
    topic: m.topic,
    body: m.body,
    schema: m.schema,
    ...(type?.schemaPackage ? { schemaPackage: type.schemaPackage } : {}),
    eventKey: m.eventKey,
    ...(m.severity !== undefined ? { severity: m.severity } : {}),
    ...(m.users ? { markers: { user: m.users } } : {}),
  };
}

/** The message a consumer would receive (amqplib turns typed integer headers into numbers). */
export function received(
  m: OutgoingMessage,
  signing?: { keyId: string; privateKey: KeyObject },
  prefix = PREFIX,
  sentAt = new Date('2026-11-22T04:00:00Z'),
): ReceivedMessage {
  const w = buildWireMessage(m, { exchange: 'amq.topic', topicPrefix: prefix, ...(signing ? { signing } : {}) }, sentAt);
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w.options.headers as Record<string, unknown>)) {
    headers[k] = v !== null && typeof v === 'object' && '!' in v ? (v as unknown as { value: unknown }).value : v;
  }
  return { routingKey: w.routingKey, messageId: w.messageId, headers, body: w.content, contentEncoding: w.options.contentEncoding };
}
