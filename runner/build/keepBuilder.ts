import type { Stack } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import { sshArgv } from "../../lib/ansible/command";
import type { BuildSpec } from "../../lib/config/types";
import type { Say } from "../../lib/protocol";

/**
 * `onError: keep`: the failed builder stays up. Writes its private key where
 * only root can read it and prints the ssh command to log in.
 */
export async function keepBuilder(
  stack: Stack,
  spec: BuildSpec,
  debugDir: string,
  say: Say,
): Promise<void> {
  const outputs = await stack.outputs().catch(() => ({}) as Record<string, { value: unknown }>);
  const address = outputs.address?.value as string | undefined;
  const privateKey = outputs.privateKey?.value as string | undefined;
  if (address && privateKey) {
    const keyFile = path.join(debugDir, "id_builder");
    fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, {
      mode: 0o600,
    });
    const ssh = sshArgv({
      host: String(outputs.hostName?.value ?? ""),
      address,
      user: spec.sshUsername,
      privateKeyFile: keyFile,
      bastion: spec.bastion,
    });
    say(
      `onError: keep — the builder is left running for debugging. Log in with:\n    ${ssh.map(shellQuote).join(" ")}`,
    );
  } else {
    say(`onError: keep — the builder's resources are kept in build stack ${stack.name}`);
  }
  say(`the next \`pulumi up\` removes it and builds again`);
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
