/**
 * User data for the builder: Packer's template adds `ssh_debug_public_key` so a
 * person can log in to a build VM; without it there is no user data at all.
 */
export function builderUserData(sshDebugPublicKey?: string): string | undefined {
  if (!sshDebugPublicKey) return undefined;
  return `#cloud-config\nssh_authorized_keys:\n  - ${JSON.stringify(sshDebugPublicKey.trim())}\n`;
}

/** Packer's fixed builder metadata: stops the appliance's ansible-init running at boot. */
export const BUILDER_METADATA: Record<string, string> = { ansible_init_disable: "true" };
