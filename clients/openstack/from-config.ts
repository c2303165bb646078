// Builds the Keystone session and the Glance client from the settings' `openstack` section.
// Called by the worker (the one place that builds real clients); the secret is read there, on
// the worker host, and never enters a workflow.
import type { Config, SecretRef } from '../../config';
import { GlanceClient } from './glance';
import { KeystoneSession, type KeystoneCredentials } from './keystone';

export type OpenstackSettings = Config['openstack'];

export function openstackClientsFromConfig(
  settings: OpenstackSettings,
  readSecret: (ref: SecretRef, what: string) => string,
): { session: KeystoneSession; glance: GlanceClient } {
  const a = settings.auth;
  const credentials: KeystoneCredentials =
    a.method === 'password'
      ? {
          method: 'password',
          username: a.username,
          userDomain: a.userDomain,
          projectName: a.projectName,
          projectDomain: a.projectDomain,
          password: readSecret(a.password, 'openstack.auth.password'),
        }
      : { method: 'application_credential', id: a.id, secret: readSecret(a.secret, 'openstack.auth.secret') };
  const session = new KeystoneSession({ authUrl: settings.authUrl, credentials });
  const glance = new GlanceClient({ session, region: settings.region, interface: settings.interface, endpoint: settings.imageEndpoint });
  return { session, glance };
}
