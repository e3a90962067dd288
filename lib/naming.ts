/**
 * Names of images and builder machines.
 *
 * Packer: `image_name = "${image_name}${image_name_version}"`, where the
 * version `auto` means `-YYMMDD-hhmm-<first 8 chars of the git commit>`.
 */
export function imageVersionSuffix(nameVersion: string, builtAt: Date, gitCommit: string): string {
  if (nameVersion !== "auto") return nameVersion;
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp =
    two(builtAt.getUTCFullYear() % 100) +
    two(builtAt.getUTCMonth() + 1) +
    two(builtAt.getUTCDate()) +
    "-" +
    two(builtAt.getUTCHours()) +
    two(builtAt.getUTCMinutes());
  const commit = gitCommit ? gitCommit.slice(0, 8) : "nogit";
  return `-${stamp}-${commit}`;
}

export function imageName(
  namePrefix: string,
  nameVersion: string,
  builtAt: Date,
  gitCommit: string,
): string {
  return namePrefix + imageVersionSuffix(nameVersion, builtAt, gitCommit);
}

/** The appliance decides node roles from host names; a builder must match none. */
export const ROLE_WORDS = ["login", "control", "compute"] as const;

const ROLE_WORD_REPLACEMENTS: Record<(typeof ROLE_WORDS)[number], string> = {
  login: "lgn",
  control: "ctl",
  compute: "cmp",
};

/**
 * Host name (and server name) of a builder: `<stack>-<build key>-builder`,
 * DNS-safe, at most 63 characters, and never containing a role word even
 * when the build key does (e.g. `compute-gpu` → `cmp-gpu`).
 */
export function builderHostName(stack: string, buildKey: string): string {
  let name = `${stack}-${buildKey}-builder`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  // Replace until stable: removing one word can join two halves into another.
  for (let changed = true; changed;) {
    changed = false;
    for (const word of ROLE_WORDS) {
      if (name.includes(word)) {
        name = name.split(word).join(ROLE_WORD_REPLACEMENTS[word]);
        changed = true;
      }
    }
  }
  return name.slice(0, 63).replace(/-$/, "");
}

/** Name of the short-lived Pulumi stack that holds one build's builder resources. */
export function buildStackName(stack: string, buildKey: string): string {
  return `${stack}-${buildKey}`.replace(/[^A-Za-z0-9_.-]+/g, "-");
}
