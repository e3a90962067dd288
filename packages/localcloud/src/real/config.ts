// The configuration files of the real services (pure text from paths and ports):
// Keystone and Glance from Debian's packages, on a private MariaDB over its socket.

/** Where one real-services instance keeps everything, under `<stateDir>/real`. */
export interface RealPaths {
  root: string;
  mysqlData: string;
  mysqlSocket: string;
  logs: string;
  keystoneConf: string;
  fernetKeys: string;
  credentialKeys: string;
  glanceConf: string;
  glanceImages: string;
  glanceStaging: string;
  glanceTasks: string;
  /** The admin password and the ids Keystone gave localcloud's projects, users and credentials. */
  identityFile: string;
}

export function realPaths(root: string): RealPaths {
  return {
    root,
    mysqlData: `${root}/mysql`,
    mysqlSocket: `${root}/run/mysql.sock`,
    logs: `${root}/log`,
    keystoneConf: `${root}/keystone/keystone.conf`,
    fernetKeys: `${root}/keystone/fernet-keys`,
    credentialKeys: `${root}/keystone/credential-keys`,
    glanceConf: `${root}/glance/glance-api.conf`,
    glanceImages: `${root}/glance/images`,
    glanceStaging: `${root}/glance/staging`,
    glanceTasks: `${root}/glance/tasks`,
    identityFile: `${root}/identity.json`,
  };
}

/** SQLAlchemy URL of a database of the private MariaDB (root over its unix socket). */
export function databaseUrl(paths: RealPaths, database: string): string {
  return `mysql+pymysql://root@localhost/${database}?unix_socket=${paths.mysqlSocket}`;
}

export function keystoneConf(paths: RealPaths, tokenTtlSeconds: number): string {
  return `[DEFAULT]
log_file = ${paths.logs}/keystone.log
use_stderr = false
[database]
connection = ${databaseUrl(paths, "keystone")}
[token]
provider = fernet
expiration = ${tokenTtlSeconds}
[fernet_tokens]
key_repository = ${paths.fernetKeys}
[fernet_receipts]
key_repository = ${paths.fernetKeys}
[credential]
key_repository = ${paths.credentialKeys}
`;
}

/** glance-api with a file store, keystonemiddleware against the real Keystone (public interface). */
export function glanceConf(
  paths: RealPaths,
  port: number,
  keystoneUrl: string,
  admin: { password: string },
): string {
  return `[DEFAULT]
bind_host = 127.0.0.1
bind_port = ${port}
workers = 1
log_file = ${paths.logs}/glance-api.log
use_stderr = false
enabled_backends = file:file
[database]
connection = ${databaseUrl(paths, "glance")}
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = ${paths.glanceImages}
[os_glance_staging_store]
filesystem_store_datadir = ${paths.glanceStaging}
[os_glance_tasks_store]
filesystem_store_datadir = ${paths.glanceTasks}
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = ${keystoneUrl}/v3
auth_url = ${keystoneUrl}/v3
auth_type = password
username = admin
password = ${admin.password}
project_name = admin
user_domain_id = default
project_domain_id = default
interface = public
`;
}
