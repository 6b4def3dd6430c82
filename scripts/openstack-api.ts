/**
 * The little of the OpenStack API the scripts need: a Keystone v3 token for the deploying
 * user (OS_* variables, or OS_CLOUD and clouds.yaml, as the provider reads them), a server's
 * status for the rollout, and plain requests for recover (the only caller that deletes:
 * servers an interrupted apply left off the state; every other change goes through tofu).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

/** Credentials as the OpenStack clients take them. */
export interface OpenStackAuth {
  readonly authUrl: string;
  readonly username?: string;
  readonly userId?: string;
  readonly password?: string;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
  readonly projectName?: string;
  readonly projectId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
  readonly applicationCredentialId?: string;
  readonly applicationCredentialSecret?: string;
  readonly regionName?: string;
  readonly interface?: string;
}

const CLOUDS_YAML = [
  path.join(process.cwd(), 'clouds.yaml'),
  path.join(os.homedir(), '.config', 'openstack', 'clouds.yaml'),
  '/etc/openstack/clouds.yaml',
];

/** The deploying user's credentials: OS_CLOUD's entry in clouds.yaml, overridden by OS_* variables. */
export function authFromEnvironment(env: NodeJS.ProcessEnv = process.env, files = CLOUDS_YAML): OpenStackAuth {
  let fromFile: Record<string, string | undefined> = {};
  let region: string | undefined;
  let iface: string | undefined;
  if (env.OS_CLOUD) {
    const file = (env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : files).find((f) => fs.existsSync(f));
    if (!file) throw new Error(`OS_CLOUD=${env.OS_CLOUD} but no clouds.yaml in ${files.join(', ')}`);
    const cloud = (parse(fs.readFileSync(file, 'utf8')) as { clouds?: Record<string, Record<string, unknown>> })
      .clouds?.[env.OS_CLOUD];
    if (!cloud) throw new Error(`no cloud '${env.OS_CLOUD}' in ${file}`);
    const auth = (cloud.auth ?? {}) as Record<string, string>;
    fromFile = {
      authUrl: auth.auth_url,
      username: auth.username,
      userId: auth.user_id,
      password: auth.password,
      userDomainName: auth.user_domain_name ?? auth.domain_name,
      userDomainId: auth.user_domain_id ?? auth.domain_id,
      projectName: auth.project_name ?? auth.tenant_name,
      projectId: auth.project_id ?? auth.tenant_id,
      projectDomainName: auth.project_domain_name ?? auth.domain_name,
      projectDomainId: auth.project_domain_id ?? auth.domain_id,
      applicationCredentialId: auth.application_credential_id,
      applicationCredentialSecret: auth.application_credential_secret,
    };
    region = cloud.region_name as string | undefined;
    iface = cloud.interface as string | undefined;
  }
  const pick = (name: string, fallback: string | undefined) => env[name] ?? fallback;
  const authUrl = pick('OS_AUTH_URL', fromFile.authUrl);
  if (!authUrl) throw new Error('no OpenStack credentials: set OS_CLOUD (clouds.yaml) or OS_AUTH_URL and friends');
  return {
    authUrl,
    username: pick('OS_USERNAME', fromFile.username),
    userId: pick('OS_USER_ID', fromFile.userId),
    password: pick('OS_PASSWORD', fromFile.password),
    userDomainName: pick('OS_USER_DOMAIN_NAME', fromFile.userDomainName),
    userDomainId: pick('OS_USER_DOMAIN_ID', fromFile.userDomainId),
    projectName: pick('OS_PROJECT_NAME', pick('OS_TENANT_NAME', fromFile.projectName)),
    projectId: pick('OS_PROJECT_ID', pick('OS_TENANT_ID', fromFile.projectId)),
    projectDomainName: pick('OS_PROJECT_DOMAIN_NAME', fromFile.projectDomainName),
    projectDomainId: pick('OS_PROJECT_DOMAIN_ID', fromFile.projectDomainId),
    applicationCredentialId: pick('OS_APPLICATION_CREDENTIAL_ID', fromFile.applicationCredentialId),
    applicationCredentialSecret: pick('OS_APPLICATION_CREDENTIAL_SECRET', fromFile.applicationCredentialSecret),
    regionName: pick('OS_REGION_NAME', region),
    interface: pick('OS_INTERFACE', iface) ?? 'public',
  };
}

/** The Keystone v3 request body for these credentials. */
export function tokenRequest(auth: OpenStackAuth): unknown {
  if (auth.applicationCredentialId) {
    return {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: auth.applicationCredentialId, secret: auth.applicationCredentialSecret },
        },
      },
    };
  }
  const domain = (name?: string, id?: string) => (id ? { id } : { name: name ?? 'Default' });
  const user = auth.userId
    ? { id: auth.userId, password: auth.password }
    : { name: auth.username, password: auth.password, domain: domain(auth.userDomainName, auth.userDomainId) };
  const project = auth.projectId
    ? { id: auth.projectId }
    : { name: auth.projectName, domain: domain(auth.projectDomainName, auth.projectDomainId) };
  return { auth: { identity: { methods: ['password'], password: { user } }, scope: { project } } };
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region?: string; region_id?: string; url: string }[];
}

/** A Keystone v3 session of the deploying user, and requests to any service in its catalog. */
export class OpenStackClient {
  private token?: { value: string; catalog: CatalogEntry[] };

  constructor(private readonly auth: OpenStackAuth = authFromEnvironment()) {}

  private async session(): Promise<{ value: string; catalog: CatalogEntry[] }> {
    if (this.token) return this.token;
    const base = this.auth.authUrl.replace(/\/+$/, '');
    const url = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tokenRequest(this.auth)),
    });
    if (!response.ok) throw new Error(`Keystone refused the credentials: ${response.status} ${await response.text()}`);
    const value = response.headers.get('x-subject-token');
    if (!value) throw new Error('Keystone gave no token');
    const catalog = ((await response.json()) as { token: { catalog?: CatalogEntry[] } }).token.catalog ?? [];
    this.token = { value, catalog };
    return this.token;
  }

  /** The URL of a service (`compute`, `network`, ...) in the user's region and interface. */
  async endpoint(serviceType: string): Promise<string> {
    const { catalog } = await this.session();
    const endpoint = catalog
      .find((c) => c.type === serviceType)
      ?.endpoints.find(
        (e) =>
          e.interface === this.auth.interface &&
          (!this.auth.regionName || e.region === this.auth.regionName || e.region_id === this.auth.regionName),
      );
    if (!endpoint) throw new Error(`Keystone's catalog has no ${serviceType} endpoint for this region`);
    return endpoint.url.replace(/\/+$/, '');
  }

  /** One request; returns the HTTP status and the parsed JSON body (undefined when empty). */
  async request(serviceType: string, method: string, path: string): Promise<{ status: number; body: unknown }> {
    const { value } = await this.session();
    const response = await fetch(`${await this.endpoint(serviceType)}${path}`, {
      method,
      headers: { 'x-auth-token': value, accept: 'application/json' },
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
}

/** Nova, read with the deploying user's token. */
export class NovaClient {
  private readonly client: OpenStackClient;

  constructor(auth: OpenStackAuth = authFromEnvironment()) {
    this.client = new OpenStackClient(auth);
  }

  /** The server's status (`ACTIVE`, `BUILD`, `ERROR`, ...), or `DELETED` when Nova no longer knows it. */
  async serverStatus(id: string): Promise<string> {
    const { status, body } = await this.client.request('compute', 'GET', `/servers/${encodeURIComponent(id)}`);
    if (status === 404) return 'DELETED';
    if (status >= 300) throw new Error(`Nova: GET /servers/${id}: ${status} ${JSON.stringify(body)}`);
    return (body as { server: { status: string } }).server.status;
  }
}
