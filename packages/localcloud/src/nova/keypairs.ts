// Keypairs (per user): create with a public key or generated (before 2.92),
// list, show, delete; md5 fingerprints; 201/204 from 2.10.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { badRequest, conflict, notFound, type Reply, type RequestContext } from "../http";
import type { Token } from "../keystone";
import { type Keypair, now } from "../state";
import { microversionOf } from "./microversion";
import type { NovaEmulator } from "./nova";
import { keypairView } from "./views";

const run = promisify(execFile);

/** The md5 fingerprint of an OpenSSH public key, as Nova shows it. */
function fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? "", "base64");
  return createHash("md5").update(blob).digest("hex").match(/../g)!.join(":");
}

/** A new RSA keypair, as Nova generates one when no public key is given. */
async function generateKeypair(): Promise<{ privateKey: string; publicKey: string }> {
  const dir = mkdtempSync(join(tmpdir(), "localcloud-key-"));
  try {
    await run("ssh-keygen", [
      "-q",
      "-t",
      "rsa",
      "-b",
      "2048",
      "-m",
      "PEM",
      "-N",
      "",
      "-C",
      `Generated-by-Nova`,
      "-f",
      join(dir, "k"),
    ]);
    return {
      privateKey: readFileSync(join(dir, "k"), "utf8"),
      publicKey: readFileSync(join(dir, "k.pub"), "utf8").trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class KeypairHandlers {
  constructor(private nova: NovaEmulator) {}

  private find(name: string, token: Token): Keypair {
    const keypair = this.nova.findKeypair(name, token);
    if (!keypair) throw notFound(`Keypair ${name} not found for user ${token.user.id}`);
    return keypair;
  }

  list = (ctx: RequestContext, token: Token): Reply => {
    const mv = microversionOf(ctx);
    return {
      status: 200,
      body: {
        keypairs: this.nova.records.keypairs
          .filter((k) => k.user_id === token.user.id)
          .map((k) => ({ keypair: keypairView(k, mv, false) })),
      },
    };
  };

  show = (ctx: RequestContext, token: Token): Reply => ({
    status: 200,
    body: { keypair: keypairView(this.find(ctx.params.name, token), microversionOf(ctx), true) },
  });

  create = async (ctx: RequestContext, token: Token): Promise<Reply> => {
    const mv = microversionOf(ctx);
    const body = ctx.json<{ keypair?: { name?: string; public_key?: string; type?: string } }>()
      .keypair;
    const name = body?.name;
    if (!name || !/^[a-zA-Z0-9 _.@-]{1,255}$/.test(name))
      throw badRequest("Keypair data is invalid: Keypair name contains unsafe characters");
    if (this.nova.findKeypair(name, token)) throw conflict(`Key pair '${name}' already exists.`);
    let publicKey = body?.public_key;
    let privateKey: string | undefined;
    if (!publicKey) {
      if (mv >= 92)
        throw badRequest(
          "Invalid input for field/attribute keypair. Value: ... 'public_key' is a required property",
        );
      ({ privateKey, publicKey } = await generateKeypair());
    } else if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+/.test(publicKey.trim())) {
      throw badRequest("Keypair data is invalid: failed to generate fingerprint");
    }
    const records = this.nova.records;
    const keypair: Keypair = {
      name,
      public_key: publicKey.trim(),
      fingerprint: fingerprint(publicKey),
      type: body?.type ?? "ssh",
      user_id: token.user.id,
      project_id: token.project.id,
      created_at: now(),
      id: records.nextKeypairId++,
    };
    records.keypairs.push(keypair);
    this.nova.save();
    const view = {
      ...keypairView(keypair, mv, false),
      user_id: keypair.user_id,
      ...(privateKey ? { private_key: privateKey } : {}),
    };
    return { status: mv >= 10 ? 201 : 200, body: { keypair: view } };
  };

  remove = (ctx: RequestContext, token: Token): Reply => {
    const keypair = this.find(ctx.params.name, token);
    this.nova.records.keypairs = this.nova.records.keypairs.filter((k) => k !== keypair);
    this.nova.save();
    return { status: microversionOf(ctx) >= 10 ? 204 : 202 };
  };
}
