import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildResult } from "../../lib/protocol";

/** Packer's manifest (`manifestOutputPath`): one entry per build, artifact_id = image id. */
export function appendManifest(file: string, result: BuildResult, key: string): void {
  let manifest: { builds: unknown[]; last_run_uuid?: string } = { builds: [] };
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    // new manifest
  }
  manifest.builds.push({
    name: key,
    builder_type: "openstack",
    build_time: Math.floor(Date.parse(result.builtAt) / 1000),
    artifact_id: result.imageId,
    custom_data: {
      image_name: result.imageName,
      fingerprint: result.fingerprint,
      source_image_id: result.sourceImageId,
    },
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
}
