import { strict as assert } from "node:assert";
import { stringify } from "yaml";
import { ConfigError } from "../../lib/config/errors";
import { resolveStackConfig } from "../../lib/config/resolve";
import {
  isSecretPath,
  misplacedSecrets,
  secretConfigPaths,
  secretNamesIn,
} from "../../lib/config/secrets";
import { makeAppliance } from "../helpers/appliance";

const NS = "slurm-image-builder";

/** A stack config file as `pulumi config set [--secret] [--path]` writes it. */
const stackFile = (config: Record<string, unknown>) => stringify({ config });
const secure = { secure: "v1:AAAAencrypted" };

describe("secret config values", () => {
  it("finds secret leaves at any path from the stack's config file", () => {
    const file = stackFile({
      [`${NS}:vaultPassword`]: secure,
      [`${NS}:extraVars`]: { dnf_repos_password: secure, plain: "x" },
      [`${NS}:builds`]: {
        RL9: { sourceImageName: "Rocky-9", extraVars: { nested: { token: secure } } },
      },
      [`${NS}:flavor`]: "m1",
    });
    const paths = secretConfigPaths(
      [`${NS}:vaultPassword`, `${NS}:extraVars`, `${NS}:builds`, "other:key"],
      NS,
      file,
    );
    assert.deepEqual(paths, [
      ["vaultPassword"],
      ["extraVars", "dnf_repos_password"],
      ["builds", "RL9", "extraVars", "nested", "token"],
    ]);
  });

  it("without a readable config file, a secret key is secret as a whole", () => {
    assert.deepEqual(secretConfigPaths([`${NS}:extraVars`], NS, undefined), [["extraVars"]]);
    assert.deepEqual(secretConfigPaths([`${NS}:extraVars`], NS, "::: not yaml"), [["extraVars"]]);
    // Listed in the file without `secure:` leaves (e.g. set from an environment): whole key.
    assert.deepEqual(
      secretConfigPaths([`${NS}:extraVars`], NS, stackFile({ [`${NS}:extraVars`]: { a: 1 } })),
      [["extraVars"]],
    );
  });

  it("knows what lies inside a secret path, and which extraVars names are secret", () => {
    const paths = [
      ["extraVars", "a"],
      ["builds", "X", "extraVars", "b", "c"],
    ];
    assert.ok(isSecretPath(paths, ["extraVars", "a"]));
    assert.ok(isSecretPath(paths, ["extraVars", "a", "deep"]));
    assert.ok(!isSecretPath(paths, ["extraVars"]));
    assert.deepEqual([...secretNamesIn(paths, ["extraVars"], { a: 1, z: 2 })], ["a"]);
    // Secret in part (b.c) makes the whole entry b secret.
    assert.deepEqual(
      [...secretNamesIn(paths, ["builds", "X", "extraVars"], { b: { c: 1, d: 2 }, e: 3 })],
      ["b"],
    );
    assert.deepEqual(
      [...secretNamesIn([["extraVars"]], ["extraVars"], { a: 1, z: 2 })],
      ["a", "z"],
    );
  });

  it("refuses secrets where they cannot stay secret, naming the key and never the value", () => {
    const problems = misplacedSecrets([
      ["vaultPassword"],
      ["extraVars", "x"],
      ["builds", "RL9", "extraVars", "y"],
      ["flavor"],
      ["builds"],
    ]);
    assert.deepEqual(
      problems.map((p) => p.key),
      ["flavor", "builds"],
    );
    for (const p of problems) assert.equal(p.value, "[secret]");
    assert.match(problems[0].message, /only vaultPassword and extraVars entries/);
  });

  describe("resolved per build", () => {
    let appliance: ReturnType<typeof makeAppliance>;
    before(() => (appliance = makeAppliance()));
    after(() => appliance.cleanup());
    const resolve = (values: Record<string, unknown>, secretPaths: (string | number)[][]) =>
      resolveStackConfig(values, {
        env: {
          APPLIANCES_REPO_ROOT: appliance.repoRoot,
          APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
        },
        cwd: appliance.repoRoot,
        namespace: NS,
        secretPaths,
      });
    const values = {
      flavor: "m1",
      networks: ["net"],
      extraVars: { dnf_repos_password: "ark-secret-1", dnf_repos_username: "site" },
      builds: {
        RL9: { sourceImageName: "Rocky-9" },
        cuda: {
          sourceBuild: "RL9",
          extraVars: { dnf_repos_password: "plain-override", cuda_token: "cuda-secret-2" },
        },
      },
    };

    it("moves secret extraVars out of the plain spec, per build; a build's own entry decides", () => {
      const settings = resolve(values, [
        ["extraVars", "dnf_repos_password"],
        ["builds", "cuda", "extraVars", "cuda_token"],
      ]);
      const spec = (key: string) => settings.builds.find((b) => b.key === key)!;
      assert.deepEqual(settings.secretExtraVars, {
        RL9: { dnf_repos_password: "ark-secret-1" },
        cuda: { cuda_token: "cuda-secret-2" },
      });
      assert.deepEqual(spec("RL9").ansible.extraVars, { dnf_repos_username: "site" });
      assert.deepEqual(spec("RL9").ansible.secretExtraVarNames, ["dnf_repos_password"]);
      assert.deepEqual(spec("cuda").ansible.extraVars, {
        dnf_repos_password: "plain-override",
        dnf_repos_username: "site",
      });
      assert.ok(!JSON.stringify(settings.builds).includes("ark-secret-1"));
      assert.ok(!JSON.stringify(settings.builds).includes("cuda-secret-2"));
    });

    it("with no secret paths, nothing moves", () => {
      const settings = resolve(values, []);
      assert.deepEqual(settings.secretExtraVars, {});
      assert.equal(settings.builds[0].ansible.secretExtraVarNames, undefined);
    });

    it("a bad value at a secret path is reported without its value", () => {
      assert.throws(
        () => resolve({ ...values, flavor: 42 }, [["flavor"]]),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.ok(!err.message.includes("42"), err.message);
          assert.match(err.message, /flavor/);
          return true;
        },
      );
    });
  });
});
