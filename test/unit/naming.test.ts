import { strict as assert } from "node:assert";
import {
  buildStackName,
  builderHostName,
  imageName,
  imageVersionSuffix,
  ROLE_WORDS,
} from "../../lib/naming";

describe("naming", () => {
  const at = new Date(Date.UTC(2026, 0, 5, 9, 7));
  it("gives Packer's auto version: -YYMMDD-hhmm-<8 chars of commit>", () => {
    assert.equal(imageVersionSuffix("auto", at, "0123456789abcdef"), "-260105-0907-01234567");
    assert.equal(
      imageName("openhpc", "auto", at, "0123456789abcdef"),
      "openhpc-260105-0907-01234567",
    );
  });
  it("appends a literal version as Packer does", () => {
    assert.equal(imageName("openhpc-RL9", "", at, "abc"), "openhpc-RL9");
    assert.equal(imageName("openhpc", "-v2", at, "abc"), "openhpc-v2");
  });
  it("builder host names never contain login, control or compute", () => {
    for (const key of [
      "compute",
      "login-gpu",
      "controller",
      "comp-compute",
      "logincontrolcompute",
      "RL9",
    ]) {
      const name = builderHostName("staging", key);
      for (const word of ROLE_WORDS) assert.ok(!name.includes(word), `${name} contains ${word}`);
      assert.match(name, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      assert.ok(name.length <= 63);
    }
    assert.equal(builderHostName("staging", "RL9_cuda"), "staging-rl9-cuda-builder");
    assert.equal(builderHostName("staging", "compute"), "staging-cmp-builder");
  });
  it("stack names are safe for the Pulumi backend", () => {
    assert.equal(buildStackName("staging", "RL9 cuda"), "staging-RL9-cuda");
  });
});
