import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runnerCloudFrom } from "../../runner/context";
import {
  encodeConnection,
  OS_ENVIRONMENT,
  providerConfig,
  resolveCloud,
  type ResolveInput,
} from "../../lib/openstack/connection";

/** A clouds.yaml as Horizon downloads it: no password. */
const HORIZON = `clouds:
  openstack:
    auth:
      auth_url: https://keystone.example.org:5000
      username: "alice"
      project_id: 0f1e2d3c
      project_name: "hpc-staging"
      user_domain_name: "Default"
    region_name: "RegionOne"
    interface: "public"
    identity_api_version: 3
`;

const TWO_REGIONS = `clouds:
  site:
    auth:
      auth_url: https://keystone.example.org:5000/v3
      username: builder
      password: pw
      project_name: images
      project_domain_name: hpc
      user_domain_name: hpc
    region_name: RegionTwo
    interface: internalURL
    cacert: ca.pem
  appcred-id:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.org:5000/v3
      application_credential_id: ac-1
      application_credential_secret: s3cret
  appcred-name:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example.org:5000/v3
      application_credential_name: builder-cred
      username: builder
      user_domain_name: hpc
      application_credential_secret: s3cret
  tokens:
    auth_type: v3token
    auth:
      auth_url: https://keystone.example.org:5000/v3
      token: gAAAAtoken
      project_name: images
  insecure:
    verify: false
    auth:
      auth_url: https://keystone.example.org:5000/v3
      username: builder
      password: pw
      project_name: images
  wrong:
    auth_type: v2token
    auth:
      auth_url: https://keystone.example.org:5000/v3
`;

describe("cloud connection: one resolution for the provider, the build stack and the runner", () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-"));
    home = path.join(dir, "home");
    fs.mkdirSync(path.join(home, ".config", "openstack"), { recursive: true });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  const resolve = (input: ResolveInput) => resolveCloud({ cwd: dir, home, env: {}, ...input });

  it("Horizon clouds.yaml + OS_PASSWORD: the entry, the password from the environment", () => {
    write(path.join(dir, "clouds.yaml"), HORIZON);
    const { connection, secrets } = resolve({
      env: { OS_CLOUD: "openstack", OS_PASSWORD: "from-env" },
    });
    assert.deepEqual(secrets, { password: "from-env" });
    assert.equal(connection.authUrl, "https://keystone.example.org:5000");
    assert.equal(connection.projectId, "0f1e2d3c");
    assert.equal(connection.projectName, "hpc-staging");
    assert.equal(connection.userDomainName, "Default");
    assert.equal(connection.regionName, "RegionOne");
    assert.equal(connection.interface, "public");
    assert.match(connection.source, /clouds\.yaml entry "openstack" in .*clouds\.yaml/);
  });

  it("secure.yaml elsewhere in the search path, and OS_CLIENT_SECURE_FILE", () => {
    write(path.join(home, ".config", "openstack", "clouds.yml"), HORIZON);
    write(
      path.join(dir, "secure.yaml"),
      "clouds:\n  openstack:\n    auth:\n      password: from-secure\n",
    );
    assert.equal(
      resolve({ env: { OS_CLOUD: "openstack" } }).secrets.password,
      "from-secure",
      "clouds.yml in ~/.config/openstack, secure.yaml in the current directory",
    );
    const other = write(
      path.join(dir, "elsewhere", "s.yaml"),
      "clouds:\n  openstack:\n    auth:\n      password: from-secure-file\n",
    );
    const { connection, secrets } = resolve({
      env: { OS_CLOUD: "openstack", OS_CLIENT_SECURE_FILE: other, OS_PASSWORD: "env" },
    });
    assert.equal(secrets.password, "from-secure-file", "the file wins over OS_PASSWORD");
    assert.match(connection.source, /\+ .*s\.yaml/);
  });

  it("application credentials by id and by name + user", () => {
    write(path.join(dir, "clouds.yaml"), TWO_REGIONS);
    const byId = resolve({ env: { OS_CLOUD: "appcred-id" } });
    assert.equal(byId.connection.authType, "v3applicationcredential");
    assert.equal(byId.connection.applicationCredentialId, "ac-1");
    assert.deepEqual(byId.secrets, { applicationCredentialSecret: "s3cret" });
    const byName = resolve({ env: { OS_CLOUD: "appcred-name" } });
    assert.equal(byName.connection.applicationCredentialName, "builder-cred");
    assert.equal(byName.connection.username, "builder");
    assert.equal(byName.connection.userDomainName, "hpc");
  });

  it("interface internalURL, a second region, a non-Default domain, a CA bundle beside it", () => {
    write(path.join(dir, "clouds.yaml"), TWO_REGIONS);
    write(path.join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    const { connection } = resolve({ env: { OS_CLOUD: "site" } });
    assert.equal(connection.interface, "internal");
    assert.equal(connection.regionName, "RegionTwo");
    assert.equal(connection.projectDomainName, "hpc");
    assert.equal(connection.userDomainName, "hpc");
    assert.equal(connection.tls.caFile, path.join(dir, "ca.pem"));
    // Stack config, then OS_*, then the entry.
    assert.equal(
      resolve({ env: { OS_CLOUD: "site", OS_REGION_NAME: "RegionOne" } }).connection.regionName,
      "RegionOne",
    );
    assert.equal(
      resolve({
        env: { OS_CLOUD: "site", OS_REGION_NAME: "RegionOne" },
        config: { region: "RegionThree", endpointType: "admin" },
      }).connection.regionName,
      "RegionThree",
    );
  });

  it("OS_DOMAIN_NAME and OS_DEFAULT_DOMAIN fill the user's and the project's domain", () => {
    const base = {
      OS_AUTH_URL: "https://k:5000/v3",
      OS_USERNAME: "u",
      OS_PASSWORD: "p",
      OS_PROJECT_NAME: "x",
    };
    const named = resolve({ env: { ...base, OS_DOMAIN_NAME: "hpc" } }).connection;
    assert.equal(named.userDomainName, "hpc");
    assert.equal(named.projectDomainName, "hpc");
    const byDefault = resolve({ env: { ...base, OS_DEFAULT_DOMAIN: "d-42" } }).connection;
    assert.equal(byDefault.userDomainId, "d-42");
    assert.equal(byDefault.projectDomainId, "d-42");
    const plain = resolve({ env: base }).connection;
    assert.equal(plain.userDomainName, "Default");
    assert.equal(plain.source, "OS_* variables");
  });

  it("stack-config-only credentials: the provider's keys, the password a secret", () => {
    const cloud = resolve({
      config: {
        authUrl: "https://keystone.example.org:5000/v3",
        userName: "prod-user",
        password: "pw",
        tenantName: "production",
        insecure: "true",
      },
    });
    assert.equal(cloud.connection.source, "stack config openstack:*");
    assert.equal(cloud.connection.projectName, "production");
    assert.equal(cloud.connection.tls.insecure, true);
    const config = providerConfig(cloud);
    assert.deepEqual(
      config.filter((c) => c.secret),
      [{ key: "password", value: "pw", secret: true }],
    );
    assert.ok(config.some((c) => c.key === "tenantName" && c.value === "production"));
    assert.ok(config.some((c) => c.key === "endpointType" && c.value === "public"));
    assert.ok(OS_ENVIRONMENT.includes("OS_PASSWORD") && OS_ENVIRONMENT.includes("OS_CLOUD"));
  });

  it("stack-config credentials with an openrc of another project: the stack config's project, gaps from the openrc", () => {
    const { connection, secrets } = resolve({
      config: {
        authUrl: "https://keystone.example.org:5000/v3",
        userName: "prod-user",
        password: "prod-pw",
        tenantName: "production",
      },
      env: {
        OS_AUTH_URL: "https://other:5000/v3",
        OS_USERNAME: "staging-user",
        OS_PASSWORD: "staging-pw",
        OS_PROJECT_NAME: "staging",
        OS_USER_DOMAIN_NAME: "Default",
        OS_REGION_NAME: "RegionOne",
      },
    });
    assert.equal(connection.authUrl, "https://keystone.example.org:5000/v3");
    assert.equal(connection.username, "prod-user");
    assert.equal(connection.projectName, "production");
    assert.equal(secrets.password, "prod-pw");
    assert.equal(connection.regionName, "RegionOne");
  });

  it("an openrc's project id beside the stack config's project name is an error, not a switch", () => {
    assert.throws(
      () =>
        resolve({
          config: {
            authUrl: "https://k/v3",
            userName: "u",
            password: "p",
            tenantName: "production",
          },
          env: { OS_PROJECT_ID: "staging-id" },
        }),
      /stack config openstack:tenantName sets projectName "production" but environment OS_PROJECT_ID sets projectId "staging-id".*unset OS_PROJECT_ID/,
    );
  });

  it("OS_CLOUD with conflicting stack config credentials fails, naming both", () => {
    write(path.join(dir, "clouds.yaml"), HORIZON);
    assert.throws(
      () =>
        resolve({
          env: { OS_CLOUD: "openstack", OS_PASSWORD: "x" },
          config: { authUrl: "https://k/v3", userName: "u", password: "p" },
        }),
      /OS_CLOUD=openstack is set in the environment and the stack config sets credentials \(openstack:authUrl, openstack:userName, openstack:password\)/,
    );
    assert.throws(
      () => resolve({ config: { cloud: "openstack", password: "p" } }),
      /stack config sets both openstack:cloud \(openstack\) and credentials \(openstack:password\)/,
    );
    // openstack:cloud wins over OS_CLOUD, as in the provider.
    write(path.join(dir, "clouds.yaml"), TWO_REGIONS);
    assert.equal(
      resolve({ env: { OS_CLOUD: "site" }, config: { cloud: "insecure" } }).connection.tls.insecure,
      true,
    );
  });

  it("token auth, and what is refused, naming the setting and where it came from", () => {
    write(path.join(dir, "clouds.yaml"), TWO_REGIONS);
    const token = resolve({ env: { OS_CLOUD: "tokens" } });
    assert.equal(token.connection.authType, "token");
    assert.deepEqual(token.secrets, { token: "gAAAAtoken" });
    assert.throws(
      () => resolve({ env: { OS_CLOUD: "wrong" } }),
      /clouds\.yaml entry "wrong" in .*, auth_type: auth type "v2token" is not supported/,
    );
    assert.throws(
      () => resolve({ env: { OS_CLOUD: "nope" } }),
      /cloud "nope" \(OS_CLOUD\) is not in .*clouds\.yaml; it has: site, appcred-id/,
    );
    assert.throws(
      () => resolve({ env: { OS_CLOUD: "site", OS_INSECURE: "maybe" } }),
      /environment OS_INSECURE: "maybe" is not a boolean/,
    );
    assert.throws(
      () => resolve({ env: { OS_CLOUD: "insecure", OS_CACERT: "/no/such/ca.pem" } }),
      /environment OS_CACERT: file \/no\/such\/ca\.pem does not exist/,
    );
    assert.throws(
      () => resolve({ env: { OS_CLOUD: "site", OS_INTERFACE: "private" } }),
      /environment OS_INTERFACE: "private" is not an interface/,
    );
    assert.throws(() => resolve({}), /no OpenStack credentials/);
    assert.throws(
      () => resolve({ config: { endpointOverrides: '{"image":"https://x/"}' } }),
      /stack config openstack:endpointOverrides is not supported/,
    );
    assert.throws(
      () => resolve({ env: { OS_AUTH_URL: "https://k/v3", OS_USERNAME: "u" } }),
      /password auth needs a password/,
    );
  });

  it("the runner takes the connection it was handed, its secrets from stdin, else from the same cloud in its environment", () => {
    const env = {
      OS_AUTH_URL: "https://k:5000/v3",
      OS_USERNAME: "u",
      OS_PASSWORD: "from-env",
      OS_PROJECT_NAME: "x",
    };
    const handed = resolve({ env: { ...env, OS_PASSWORD: "handed" } });
    const json = encodeConnection(handed.connection);
    assert.deepEqual(runnerCloudFrom(json, { password: "stdin" }, env, dir).secrets, {
      password: "stdin",
    });
    assert.deepEqual(runnerCloudFrom(json, undefined, env, dir).secrets, { password: "from-env" });
    assert.throws(
      () => runnerCloudFrom(json, undefined, {}, dir),
      /no credentials for project x at https:\/\/k:5000\/v3, public endpoints \(OS_\* variables\) were passed to this runner/,
    );
    assert.equal(runnerCloudFrom(undefined, undefined, env, dir).connection.username, "u");
  });
});
