/**
 * The OpenTofu hand-off: a stack's outputs → the appliance's
 * `cluster_image.auto.tfvars.json` (`cluster_image`: key → image name), plus
 * `cluster_image_id` (the default build's image id).
 */
export interface ClusterImageVars {
  cluster_image: Record<string, string>;
  cluster_image_id: string;
}

export function tfvarsFromOutputs(
  outputs: Record<string, unknown>,
  stack: string,
): ClusterImageVars {
  const names = outputs.cluster_image;
  const id = outputs.cluster_image_id;
  if (!names || typeof names !== "object" || Array.isArray(names) || typeof id !== "string") {
    throw new Error(
      `stack ${stack} has no cluster_image / cluster_image_id outputs (has it been deployed? pulumi up -s ${stack})`,
    );
  }
  const entries = Object.entries(names as Record<string, unknown>);
  const empty = entries
    .filter(([, name]) => typeof name !== "string" || name === "")
    .map(([k]) => k);
  if (empty.length || id === "") {
    throw new Error(
      `stack ${stack} has no image yet for ${[...empty, ...(id === "" ? ["cluster_image_id"] : [])].join(", ")}: finish its pulumi up first`,
    );
  }
  return {
    cluster_image: Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))) as Record<
      string,
      string
    >,
    cluster_image_id: id,
  };
}
