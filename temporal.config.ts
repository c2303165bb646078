// The one settings file. These defaults run everything on the local stack (`npm run stack:up`):
// the Temporal dev server, the Koji hub simulator, moto, RabbitMQ, Glance/Keystone and the
// catalogue, all on loopback. Production overrides them with FEDIMG_CONFIG_FILE (a JSON file
// shaped like this object) and FEDIMG__SECTION__KEY variables; see README "Configuration".
// Secrets are never written here: only where to read them from.
import type { ConfigInput } from './config/schema';

const config: ConfigInput = {
  temporal: {
    address: '127.0.0.1:7233',
    namespace: 'default',
    uiUrl: 'http://127.0.0.1:8233',
    taskQueues: { orchestration: 'fedimg', files: 'fedimg-files' },
    workerMetricsAddress: '127.0.0.1:9464',
  },
  koji: {
    hubUrl: 'http://127.0.0.1:18080/kojihub',
    topUrl: 'http://127.0.0.1:18080/kojifiles',
    user: 'fedimg',
    auth: { method: 'password', password: { env: 'FEDIMG_KOJI_PASSWORD', file: '.stack/secrets/koji-password' } },
    defaultTarget: 'f-target',
    poll: { initialSeconds: 5, maxSeconds: 300 },
  },
  aws: {
    sourceRegion: 'us-east-1',
    regions: ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'],
    endpoint: 'http://127.0.0.1:14566',
    maxConcurrentRegions: 8,
    snapshot: { parallelism: 16, maxVolumeGiB: 16384 },
    images: { defaults: {}, families: {} },
    nightlyDeprecateAfterDays: 30,
    sdkMaxAttempts: 5,
  },
  openstack: {
    authUrl: 'http://127.0.0.1:15000/v3',
    region: 'RegionOne',
    interface: 'public',
    auth: {
      method: 'password',
      username: 'admin',
      userDomain: 'default',
      projectName: 'admin',
      projectDomain: 'default',
      password: { env: 'FEDIMG_OPENSTACK_PASSWORD', file: '.stack/secrets/openstack-password' },
    },
    visibility: 'public',
    tag: 'fedimg',
    x86Firmware: 'bios',
    upload: 'stream',
  },
  downloads: {
    type: 'directory',
    root: '.stack/downloads',
    publicUrl: 'http://127.0.0.1:18088/downloads',
    layout: '{release}/{family}/{arch}/images/{file}',
  },
  bus: {
    url: 'amqp://guest:guest@127.0.0.1:5672/%2F',
    exchange: 'amq.topic',
    topicPrefix: 'org.fedoraproject.local',
    signing: { keyId: 'fedimg-local-1', privateKey: { env: 'FEDIMG_BUS_SIGNING_KEY', file: '.stack/secrets/bus-signing-key.pem' } },
    trustedKeys: { 'fedimg-local-1': '.stack/secrets/bus-signing-key.pub.pem' },
    // The local Koji simulator's messages come on the same broker and prefix as ours.
    kojiTopicPrefix: 'org.fedoraproject.local',
    kojiQueue: 'fedimg.koji',
    // Rawhide's number in messages (Fedora 45 branched in 2026): bump it at each branching.
    rawhideRelease: 46,
  },
  catalogue: {
    listen: '127.0.0.1:18088',
    publicUrl: 'http://127.0.0.1:18088',
    database: { type: 'sqlite', path: '.stack/catalogue.sqlite' },
    queue: 'fedimg.catalogue',
    adminToken: { env: 'FEDIMG_CATALOGUE_TOKEN', file: '.stack/secrets/catalogue-token' },
    prefetch: 16,
  },
  // The janitor (workers/staging-janitor.ts) clears folders of releases no longer running every hour.
  staging: { dir: '.stack/staging', maxImageBytes: 64 * 1024 ** 3, janitorIntervalMinutes: 60, orphanAfterHours: 24 },
  // Nightlies are superseded every day; these keep about a month of them. EC2: publishing sets
  // each nightly's deprecation date at aws.nightlyDeprecateAfterDays (30), retention then takes
  // it private 7 days later and deregisters it (snapshots too) 7 days after that, day 44, so a
  // user who launched by id sees a deprecated image for two weeks before it goes. Glance has no
  // deprecation users see: nightlies go at 14 days, the newest of each release + arch always
  // stays. The runs come after the day's nightlies (04:00-04:30 UTC) have started.
  retention: {
    dryRun: false,
    ec2: {
      stageGapDays: 7,
      schedules: [{ id: 'ec2-nightly-retention', cron: '15 7 * * *', timezone: 'UTC', paused: false }],
    },
    glance: {
      olderThanDays: 14,
      keepLatest: 1,
      schedules: [{ id: 'glance-nightly-retention', cron: '45 7 * * *', timezone: 'UTC', paused: false }],
    },
  },
  families: [
    {
      name: 'Cloud-Base-Generic',
      subvariant: 'Cloud_Base',
      koji: {
        kind: 'kiwi',
        descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1',
        descriptionPath: 'Fedora.kiwi',
        profile: 'Cloud-Base-Generic',
        bundleNameFormat: '%N-%v-%I.%A',
      },
      arches: ['x86_64', 'aarch64'],
      outputs: ['qcow2', 'raw.tar.xz'],
      destinations: ['downloads', 'glance'],
      schedules: [
        { id: 'cloud-base-generic-rawhide-nightly', kind: 'nightly', release: 'rawhide', cron: '0 4 * * *', timezone: 'UTC', paused: false },
        { id: 'cloud-base-generic-44-weekly', kind: 'weekly', release: '44', cron: '0 6 * * 1', timezone: 'UTC', paused: false },
      ],
    },
    {
      name: 'Cloud-Base-AmazonEC2',
      subvariant: 'Cloud_Base',
      koji: {
        kind: 'kiwi',
        descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1',
        descriptionPath: 'Fedora.kiwi',
        profile: 'Cloud-Base-AmazonEC2',
        bundleNameFormat: '%N-%v-%I.%A',
      },
      arches: ['x86_64', 'aarch64'],
      outputs: ['raw.tar.xz'],
      destinations: ['downloads', 'ec2'],
      schedules: [
        { id: 'cloud-base-ec2-rawhide-nightly', kind: 'nightly', release: 'rawhide', cron: '30 4 * * *', timezone: 'UTC', paused: false },
      ],
    },
    {
      name: 'Cloud-Base-Oz',
      subvariant: 'Cloud_Base',
      koji: {
        kind: 'oz',
        kickstartScm: 'git+https://pagure.io/fedora-kickstarts.git?#9b1f0c2d3e4a5b6c7d8e9f001122334455667788',
        kickstart: 'fedora-cloud-base.ks',
        installTree: 'https://kojipkgs.fedoraproject.org/compose/rawhide/latest-Fedora-Rawhide/compose/Everything/$arch/os/',
        formats: ['qcow2', 'raw-xz'],
        diskSizeGiB: 5,
        distro: 'Fedora-44',
      },
      arches: ['x86_64'],
      outputs: ['qcow2', 'raw.tar.xz'],
      destinations: ['downloads'],
      schedules: [],
    },
  ],
};

export default config;
