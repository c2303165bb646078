// The shape of the one settings file (temporal.config.ts), checked with zod when any process
// starts. Secrets are deliberately absent: the schema only names where a secret comes from
// (an environment variable or a file path), so the config in git never holds one.
import { z } from 'zod';
import { ARCHES } from '../domain/arches';
import { DESTINATION_IDS, DESTINATIONS } from '../domain/destinations';
import { scmUrlProblem } from '../domain/scm-url';
import { DEFAULT_LATEST_PARAMETER_PREFIX, latestParameterPrefixProblem } from '../domain/ec2';

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'host:port, for example 127.0.0.1:7233');
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"');

/** Where a secret is read from at process start; never the secret itself. */
export const secretRef = z
  .object({
    env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional(),
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => s.env !== undefined || s.file !== undefined, 'give "env" or "file"');

export { ARCHES };
export const archSchema = z.enum(ARCHES);

export const temporalSection = z
  .object({
    /** Used when TEMPORAL_ADDRESS / a TOML profile does not say otherwise. */
    address: hostPort,
    namespace: z.string().min(1),
    uiUrl: httpUrl,
    taskQueues: z
      .object({
        /** Workflows and light activities (API calls, messages). */
        orchestration: name,
        /** Heavy file work: fetch, convert, upload. Hosts also poll `<files>-<host id>`. */
        files: name,
      })
      .strict(),
    /** Prometheus endpoint of the worker's Temporal runtime. */
    workerMetricsAddress: hostPort,
  })
  .strict();

export const kojiSection = z
  .object({
    hubUrl: httpUrl,
    /** Base of the files web server: <topurl>/work/tasks/<id % 10000>/<id>/<file>. */
    topUrl: httpUrl,
    user: name,
    auth: z.discriminatedUnion('method', [
      z.object({ method: z.literal('password'), password: secretRef }).strict(),
      z
        .object({
          method: z.literal('certificate'),
          certFile: z.string().min(1),
          keyFile: z.string().min(1),
          caFile: z.string().min(1).optional(),
        })
        .strict(),
    ]),
    /** Build target used when a family does not name its own. */
    defaultTarget: name,
    poll: z
      .object({
        initialSeconds: z.number().int().positive(),
        maxSeconds: z.number().int().positive(),
      })
      .strict(),
  })
  .strict();

/** RegisterImage choices (see domain/ec2.ts AmiSettings); unset keys keep the defaults. */
const amiSettingsOverride = z
  .object({
    bootMode: z.enum(['uefi', 'uefi-preferred', 'legacy-bios']).optional(),
    tpm: z.boolean().optional(),
    imdsV2Only: z.boolean().optional(),
    enaSupport: z.boolean().optional(),
    sriovNetSupport: z.boolean().optional(),
    volumeType: z.enum(['gp3', 'gp2', 'io1', 'io2', 'standard']).optional(),
    rootDeviceName: z.string().regex(/^\/dev\/(sd[a-z]1?|xvd[a-z])$/, 'a device name such as /dev/sda1').optional(),
  })
  .strict();

export const awsSection = z
  .object({
    /** Region the snapshot and first image are made in; copies go to the others. */
    sourceRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
    regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')).min(1),
    /** Set for moto or another endpoint; unset means AWS itself. */
    endpoint: httpUrl.optional(),
    maxConcurrentRegions: z.number().int().min(1).max(32),
    /** EBS direct upload: PutSnapshotBlock calls in flight; largest image accepted (gp3 max 16384). */
    snapshot: z
      .object({ parallelism: z.number().int().min(1).max(64), maxVolumeGiB: z.number().int().min(1).max(16384) })
      .strict()
      .default({ parallelism: 16, maxVolumeGiB: 16384 }),
    /** RegisterImage settings: `defaults` for every family, then per family name (and per arch). */
    images: z
      .object({
        defaults: amiSettingsOverride,
        families: z.record(z.string(), amiSettingsOverride.extend({ arches: z.record(z.enum(DESTINATIONS.ec2.arches), amiSettingsOverride).optional() })),
      })
      .strict()
      .default({ defaults: {}, families: {} }),
    /** Deprecation date set on nightly AMIs; retention removes managed nightlies older than this. */
    nightlyDeprecateAfterDays: z.number().int().min(1).max(730).default(30),
    /** Attempts the AWS SDK makes per call (throttling, 5xx) before the activity retry policy. */
    sdkMaxAttempts: z.number().int().min(1).max(10).default(5),
    /**
     * SSM parameters (data type aws:ec2:image) naming the newest public AMI per family, release,
     * arch and kind in each region: <prefix>/<family>/<release>/<arch>/<latest|nightly|weekly|rc>.
     */
    latestParameters: z
      .object({
        enabled: z.boolean().default(true),
        prefix: z
          .string()
          .default(DEFAULT_LATEST_PARAMETER_PREFIX)
          .superRefine((p, ctx) => {
            const problem = latestParameterPrefixProblem(p);
            if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; e.g. /fedora`, input: p });
          }),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((aws, ctx) => {
    // The image is registered in the source region and copied from there; left out of the
    // published regions it would stay behind as a private AMI no run makes public or removes.
    if (aws.regions.length > 0 && !aws.regions.includes(aws.sourceRegion)) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: `a list that includes aws.sourceRegion "${aws.sourceRegion}" (every copy is made from the image there)`, input: aws.regions });
    }
  });

export const openstackSection = z
  .object({
    authUrl: httpUrl,
    region: z.string().min(1),
    interface: z.enum(['public', 'internal', 'admin']),
    auth: z.discriminatedUnion('method', [
      z
        .object({
          method: z.literal('password'),
          username: z.string().min(1),
          userDomain: z.string().min(1),
          projectName: z.string().min(1),
          projectDomain: z.string().min(1),
          password: secretRef,
        })
        .strict(),
      z
        .object({ method: z.literal('application_credential'), id: z.string().min(1), secret: secretRef })
        .strict(),
    ]),
    visibility: z.enum(['public', 'private', 'shared', 'community']),
    /** Glance's URL when the catalogue's is not reachable from the workers. Default: the catalogue's. */
    imageEndpoint: httpUrl.optional(),
    /** Tag on every image this project made; retention only ever touches tagged images. Default fedimg. */
    tag: name.optional(),
    /** hw_firmware_type of x86_64 images (aarch64 and riscv64 are always uefi). Default bios. */
    x86Firmware: z.enum(['bios', 'uefi']).optional(),
    /** stream: PUT the staged qcow2; web-download: Glance fetches it from the download server. Default stream. */
    upload: z.enum(['stream', 'web-download']).optional(),
  })
  .strict();

export const downloadsSection = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('directory'),
      root: z.string().min(1),
      publicUrl: httpUrl.optional(),
      layout: z.string().min(1),
    })
    .strict(),
  z
    .object({
      type: z.literal('s3'),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
      region: z.string().min(1),
      endpoint: httpUrl.optional(),
      /** Path-style URLs (endpoint/bucket/key); defaults to true when `endpoint` is set. */
      forcePathStyle: z.boolean().optional(),
      /** Multipart part size; S3 refuses parts under 5 MiB. Default 8. */
      partSizeMiB: z.number().int().min(5).max(5120).optional(),
      publicUrl: httpUrl.optional(),
      layout: z.string().min(1),
    })
    .strict(),
]);

export const busSection = z
  .object({
    url: z.string().regex(/^amqps?:\/\//, 'an amqp:// or amqps:// URL'),
    exchange: z.string().min(1),
    /** e.g. org.fedoraproject.prod; the routing key is "<prefix>.<topic>". */
    topicPrefix: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'dot-separated lower-case words'),
    signing: z.object({ keyId: name, privateKey: secretRef }).strict(),
    /** key id -> PEM file of a public key the catalogue accepts. */
    trustedKeys: z.record(z.string(), z.string().min(1)),
    tls: z
      .object({
        caFile: z.string().min(1),
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        /** SASL EXTERNAL: the broker takes the user from the certificate CN (fedora-messaging's way). */
        externalAuth: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /** Prefix of Koji's own messages (buildsys.task.state.change), e.g. org.fedoraproject.prod. */
    kojiTopicPrefix: z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'dot-separated lower-case words').default('org.fedoraproject.prod'),
    /** Durable queue the Koji message consumer reads (Fedora's broker wants it to start with the user name). */
    kojiQueue: name.default('fedimg.koji'),
    /** The integer messages carry as `release` for Rawhide: the number it gets when it next branches. */
    rawhideRelease: z.number().int().min(1),
    /** fedora-messaging's publish_priority; unset sends no priority property (header priority 0). */
    publishPriority: z.number().int().min(0).max(255).optional(),
    confirmTimeoutSeconds: z.number().int().positive().default(30),
  })
  .strict();

export const catalogueSection = z
  .object({
    listen: hostPort,
    publicUrl: httpUrl,
    database: z.discriminatedUnion('type', [
      z.object({ type: z.literal('sqlite'), path: z.string().min(1) }).strict(),
      z.object({ type: z.literal('postgres'), url: secretRef }).strict(),
    ]),
    queue: name,
    adminToken: secretRef,
    /** Messages the catalogue's ingest holds unacked at once (each is acked after its commit). */
    prefetch: z.number().int().min(1).max(1000).default(16),
  })
  .strict();

const scheduleSchema = z
  .object({
    id: name,
    kind: z.enum(['nightly', 'weekly']),
    release: z.union([z.literal('rawhide'), z.string().regex(/^\d+$/, 'a release number or "rawhide"')]),
    /** Five-field cron in `timezone`. */
    cron: z.string().regex(/^(\S+\s+){4}\S+$/, 'a five-field cron expression such as "0 4 * * *"'),
    timezone: z.string().min(1),
    paused: z.boolean(),
  })
  .strict();

/** Koji builds from a git URL at a full commit (domain/scm-url.ts says why and what Koji takes). */
const scmAtCommit = z.string().superRefine((url, ctx) => {
  const problem = scmUrlProblem(url);
  if (problem) ctx.addIssue({ code: 'custom', message: `a git URL at a full 40-hex commit such as git+https://host/repo.git?#<commit> (this one ${problem})`, input: url });
});

// ---- retention of nightlies (scheduled) ------------------------------------------------------

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1');

/** What every retention schedule has; its Temporal Schedule is `fedimg-<id>`, like the release ones. */
const retentionScheduleFields = {
  id: name,
  /** Five-field cron in `timezone`. */
  cron: z.string().regex(/^(\S+\s+){4}\S+$/, 'a five-field cron expression such as "0 7 * * *"'),
  timezone: z.string().min(1),
  paused: z.boolean().default(false),
  /** Plan only (the run's result lists what would go); unset: retention.dryRun. */
  dryRun: z.boolean().optional(),
};

export const retentionSection = z
  .object({
    /** Default of every retention schedule's dryRun. */
    dryRun: z.boolean().default(false),
    ec2: z
      .object({
        /** Age at which a nightly AMI is deprecated (if publishing did not already); unset: aws.nightlyDeprecateAfterDays. */
        olderThanDays: z.number().int().min(1).max(730).optional(),
        /** Days from deprecation to losing public access, and again to deregistration (0: all at once). */
        stageGapDays: z.number().int().min(0).max(365).default(7),
        /** One schedule per region set; `regions` unset: every aws.regions. */
        schedules: z.array(z.object({ ...retentionScheduleFields, regions: z.array(region).min(1).optional() }).strict()).default([]),
      })
      .strict()
      .prefault({}),
    glance: z
      .object({
        /** Nightly Glance images older than this are deleted. */
        olderThanDays: z.number().int().min(1).max(730).default(14),
        /** The newest nightlies of each family + release + arch kept however old (a family that stopped building keeps one). */
        keepLatest: z.number().int().min(0).max(100).default(1),
        /** `families` unset: every family whose destinations include glance. */
        schedules: z.array(z.object({ ...retentionScheduleFields, families: z.array(name).min(1).optional() }).strict()).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const kiwiParams = z
  .object({
    kind: z.literal('kiwi'),
    descriptionScm: scmAtCommit,
    descriptionPath: z.string().min(1),
    profile: name,
    bundleNameFormat: z.string().min(1).optional(),
  })
  .strict();
const ozParams = z
  .object({
    kind: z.literal('oz'),
    kickstartScm: scmAtCommit,
    kickstart: z.string().min(1),
    installTree: httpUrl,
    formats: z.array(z.enum(['qcow2', 'raw-xz', 'vhd', 'vmdk', 'vagrant-libvirt', 'docker'])).min(1),
    diskSizeGiB: z.number().int().min(1).max(1024),
    distro: z.string().min(1),
  })
  .strict();
const livecdParams = z
  .object({ kind: z.enum(['livecd', 'appliance']), kickstartScm: scmAtCommit, kickstart: z.string().min(1) })
  .strict();

export const familySchema = z
  .object({
    name,
    /** Fedora subvariant used in messages, e.g. Cloud_Base. */
    subvariant: name,
    koji: z.discriminatedUnion('kind', [kiwiParams, ozParams, livecdParams]),
    target: name.optional(),
    arches: z.array(archSchema).min(1),
    outputs: z.array(z.enum(['qcow2', 'raw.tar.xz'])),
    destinations: z.array(z.enum(DESTINATION_IDS)),
    schedules: z.array(scheduleSchema),
  })
  .strict();

export const configSchema = z
  .object({
    temporal: temporalSection,
    koji: kojiSection,
    aws: awsSection,
    openstack: openstackSection,
    downloads: downloadsSection,
    bus: busSection,
    catalogue: catalogueSection,
    /** Where worker hosts stage images while they are converted and uploaded. */
    staging: z
      .object({
        dir: z.string().min(1),
        maxImageBytes: z.number().int().positive(),
        // How long a host's own queue may go unpolled before its images are staged elsewhere
        // (the workflow's default is 600 s); below 30 s a busy host would be taken for lost.
        lostHostAfterSeconds: z.number().int().min(30).optional(),
        // The host's janitor removes folders of releases no longer running (workers/staging-janitor.ts).
        janitorIntervalMinutes: z.number().int().min(1).max(24 * 60).default(60),
        // ...and folders without a marker once nothing in them changed for this long.
        orphanAfterHours: z.number().int().min(1).default(24),
      })
      .strict(),
    families: z.array(familySchema).min(1),
    /** Scheduled removal of old nightlies; absent: no retention schedules. */
    retention: retentionSection.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.families.forEach((f, i) => {
      const first = seen.get(f.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['families', i, 'name'], message: `duplicate family name (also families[${first}])`, input: f.name });
      }
      seen.set(f.name, i);
    });
    const ids = new Set<string>();
    cfg.families.forEach((f, i) =>
      f.schedules.forEach((s, j) => {
        if (ids.has(s.id)) {
          ctx.addIssue({ code: 'custom', path: ['families', i, 'schedules', j, 'id'], message: 'duplicate schedule id', input: s.id });
        }
        ids.add(s.id);
      }),
    );
    refineRetention(cfg, ids, ctx);
  });

/** Retention schedule ids share the namespace of release schedule ids; Glance schedules name real Glance families. */
function refineRetention(
  cfg: { families: Array<{ name: string; destinations: string[] }>; retention: z.infer<typeof retentionSection> },
  ids: Set<string>,
  ctx: z.RefinementCtx,
): void {
  const r = cfg.retention;
  const schedules = [
    ...r.ec2.schedules.map((s, j) => ({ s, path: ['retention', 'ec2', 'schedules', j] })),
    ...r.glance.schedules.map((s, j) => ({ s, path: ['retention', 'glance', 'schedules', j] })),
  ];
  for (const { s, path } of schedules) {
    if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: [...path, 'id'], message: 'a schedule id used nowhere else in families[].schedules or retention', input: s.id });
    ids.add(s.id);
  }
  const glanceFamilies = cfg.families.filter((f) => f.destinations.includes('glance')).map((f) => f.name);
  r.glance.schedules.forEach((s, j) => {
    if (s.families === undefined) {
      if (glanceFamilies.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['retention', 'glance', 'schedules', j, 'families'], message: 'the families to prune listed here, since no family in families[] publishes to glance', input: s.families });
      }
      return;
    }
    s.families.forEach((f, k) => {
      if (!glanceFamilies.includes(f)) {
        ctx.addIssue({
          code: 'custom',
          path: ['retention', 'glance', 'schedules', j, 'families', k],
          message: `a family whose destinations include glance (${glanceFamilies.join(', ') || 'none'})`,
          input: f,
        });
      }
    });
  });
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type Family = z.infer<typeof familySchema>;
export type RetentionSettings = z.infer<typeof retentionSection>;
export type SecretRef = z.infer<typeof secretRef>;
export type Arch = z.infer<typeof archSchema>;
