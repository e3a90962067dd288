// A tiny REST client for localcloud tests: token auth from the clouds.yaml it wrote.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { LocalCloud } from "../index";

export interface RestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> & { [k: string]: never | unknown };
}

export class Rest {
  token = "";
  projectId = "";

  constructor(private cloud: LocalCloud) {}

  static async login(cloud: LocalCloud, name = cloud.clouds.staging): Promise<Rest> {
    const r = new Rest(cloud);
    const entry = (
      parse(readFileSync(cloud.cloudsYamlPath, "utf8")) as {
        clouds: Record<string, { auth: Record<string, string> }>;
      }
    ).clouds[name];
    const a = entry.auth;
    const body = a.application_credential_id
      ? {
          auth: {
            identity: {
              methods: ["application_credential"],
              application_credential: {
                id: a.application_credential_id,
                secret: a.application_credential_secret,
              },
            },
          },
        }
      : {
          auth: {
            identity: {
              methods: ["password"],
              password: {
                user: {
                  name: a.username,
                  password: a.password,
                  domain: { name: a.user_domain_name },
                },
              },
            },
            scope: { project: { name: a.project_name, domain: { name: a.project_domain_name } } },
          },
        };
    const res = await r.call("POST", "/identity/v3/auth/tokens", body, { noAuth: true });
    if (res.status !== 201) throw new Error(`login failed: ${res.status} ${res.text}`);
    r.token = res.headers.get("x-subject-token") ?? "";
    r.projectId = ((res.json.token as { project: { id: string } }).project as { id: string }).id;
    return r;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { noAuth?: boolean; headers?: Record<string, string>; raw?: Buffer } = {},
  ): Promise<RestResponse> {
    const headers: Record<string, string> = { Accept: "application/json", ...(opts.headers ?? {}) };
    if (!opts.noAuth && this.token) headers["X-Auth-Token"] = this.token;
    let payload: string | Buffer | undefined;
    if (opts.raw) payload = opts.raw;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await fetch(urlOf(this.cloud, path), { method, headers, body: payload });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = {};
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  vol(path: string): string {
    return `/volume/v3/${this.projectId}${path}`;
  }
}

/**
 * The URL of a localcloud path: `/identity/...` and `/image/...` go to the real
 * Keystone and Glance in real-services mode (their APIs have no such prefix).
 */
export function urlOf(cloud: LocalCloud, path: string): string {
  const real = cloud.realServices;
  if (real && path.startsWith("/identity/")) return `${real.keystoneUrl}${path.slice(9)}`;
  if (real && path.startsWith("/image/")) return `${real.glanceUrl}${path.slice(6)}`;
  return `${cloud.url}${path}`;
}

/** A tiny root filesystem tree as a gzip tarball (a stand-in image). */
export function tinyImage(dir: string): Buffer {
  const root = join(dir, "tiny-root");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc", "tiny-release"), "tiny\n");
  const file = join(dir, "tiny.tar.gz");
  execFileSync("tar", ["-czf", file, "-C", root, "."]);
  return readFileSync(file);
}

/** Creates an image through Glance (create + upload), returns its id. */
export async function uploadImage(
  api: Rest,
  name: string,
  data: Buffer,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const created = await api.call("POST", "/image/v2/images", {
    name,
    disk_format: "raw",
    container_format: "bare",
    ...extra,
  });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id as string;
  const put = await api.call("PUT", `/image/v2/images/${id}/file`, undefined, {
    raw: data,
    headers: { "Content-Type": "application/octet-stream" },
  });
  assert.equal(put.status, 204, put.text);
  return id;
}
