/**
 * What each build's content is computed from, besides its source image: the
 * appliance digest (one for the stack), the extra-vars file digest and the
 * digests of the secret extra vars (slow, salted). Computed once per run and
 * shared by the preflight (which looks for images of the same fingerprint)
 * and the ImageSet (the triggers).
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../lib/config/types";
import {
  applianceDigest,
  fileDigest,
  secretValueDigest,
  type ApplianceDigest,
} from "../lib/fingerprint";

export interface SecretExtraVarsInput {
  /** Secret: the values as JSON. */
  json: pulumi.Output<string>;
  digests: Record<string, string>;
}

export interface BuildInputs {
  digest: ApplianceDigest;
  extraVarsFileDigests: Record<string, string | undefined>;
  secretExtraVars: Record<string, SecretExtraVarsInput | undefined>;
}

export function buildInputs(settings: StackSettings, project: string, stack: string): BuildInputs {
  const digest = applianceDigest(
    settings.appliance.repoRoot,
    settings.appliance.fingerprintPaths,
    settings.appliance.fingerprintExclude,
  );
  const extraVarsFileDigests: BuildInputs["extraVarsFileDigests"] = {};
  const secretExtraVars: BuildInputs["secretExtraVars"] = {};
  for (const spec of settings.builds) {
    extraVarsFileDigests[spec.key] = spec.ansible.extraVarsFile
      ? fileDigest(spec.ansible.extraVarsFile)
      : undefined;
    const values = settings.secretExtraVars[spec.key];
    secretExtraVars[spec.key] = values
      ? {
          json: pulumi.secret(JSON.stringify(values)),
          digests: Object.fromEntries(
            Object.entries(values).map(([name, value]) => [
              name,
              secretValueDigest(value, `${project}/${stack}/${spec.key}/${name}`),
            ]),
          ),
        }
      : undefined;
  }
  return { digest, extraVarsFileDigests, secretExtraVars };
}
