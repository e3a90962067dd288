import { strict as assert } from "node:assert";
import { tfvarsFromOutputs } from "../../lib/tfvars";

describe("OpenTofu hand-off (npm run tfvars)", () => {
  /** `pulumi stack output --json` of a building stack. */
  const outputs = (): Record<string, unknown> => ({
    images: {
      "RL9-cuda": { imageId: "img-cuda", imageName: "openhpc-RL9-cuda-260110-1300-89abcdef" },
      RL9: { imageId: "img-fat", imageName: "openhpc-RL9-260110-1200-89abcdef" },
    },
    cluster_image_id: "img-fat",
    cluster_image: {
      "RL9-cuda": "openhpc-RL9-cuda-260110-1300-89abcdef",
      RL9: "openhpc-RL9-260110-1200-89abcdef",
    },
  });

  it("shapes the outputs as cluster_image.auto.tfvars.json, keys sorted", () => {
    const vars = tfvarsFromOutputs(outputs(), "staging");
    assert.equal(
      JSON.stringify(vars),
      JSON.stringify({
        cluster_image: {
          RL9: "openhpc-RL9-260110-1200-89abcdef",
          "RL9-cuda": "openhpc-RL9-cuda-260110-1300-89abcdef",
        },
        cluster_image_id: "img-fat",
      }),
    );
  });

  it("refuses a stack without the outputs, naming it and saying to deploy it", () => {
    for (const bad of [
      {},
      { cluster_image: { RL9: "x" } },
      { cluster_image_id: "img-fat" },
      { cluster_image: ["x"], cluster_image_id: "img-fat" },
    ]) {
      assert.throws(
        () => tfvarsFromOutputs(bad, "production"),
        /stack production has no cluster_image \/ cluster_image_id outputs .*pulumi up -s production/,
        JSON.stringify(bad),
      );
    }
  });

  it("refuses empty image names or id, naming the stack and the keys", () => {
    const pending = { ...outputs(), cluster_image: { RL9: "", "RL9-cuda": "openhpc-RL9-cuda" } };
    assert.throws(
      () => tfvarsFromOutputs(pending, "staging"),
      /^Error: stack staging has no image yet for RL9: finish its pulumi up first$/,
    );
    assert.throws(
      () => tfvarsFromOutputs({ ...outputs(), cluster_image_id: "" }, "staging"),
      /stack staging has no image yet for cluster_image_id/,
    );
  });
});
