import { strict as assert } from "node:assert";
import { ansibleFailure, AnsibleProgress } from "../../lib/ansible/output";

describe("Ansible output", () => {
  it("counts tasks and names the current one", () => {
    const progress = new AnsibleProgress();
    for (const line of [
      "PLAY [Build the image] ****",
      "TASK [Gathering Facts] ****",
      "ok: [builder]",
      "TASK [openhpc : install packages] ********",
      "skipping: [builder]",
    ])
      progress.read(line);
    assert.equal(progress.tasks, 2);
    assert.equal(
      progress.summary(9 * 60_000 + 5_000),
      "Ansible: 2 tasks done (9 min), now: TASK [openhpc : install packages]",
    );
    assert.equal(new AnsibleProgress().summary(4_400), "Ansible: 0 tasks done (4 s)");
  });

  it("a failed task's one-line JSON result, however long: task and message first, then rc, cmd, stderr", () => {
    const big = "y".repeat(200_000);
    const result = {
      changed: true,
      cmd: ["sh", "-c", "make"],
      rc: 2,
      msg: "non-zero return code",
      stdout: big,
      stderr: "line 1\nline 2\nerror: it broke",
    };
    const lines = [
      "TASK [Gathering Facts] ***",
      "ok: [builder]",
      "TASK [site : compile the thing] ***",
      `fatal: [builder]: FAILED! => ${JSON.stringify(result)}`,
      "PLAY RECAP ***",
      "builder : ok=1 changed=0 unreachable=0 failed=1",
    ];
    const summary = ansibleFailure(lines)!;
    const out = summary.split("\n");
    assert.equal(out[0], "TASK [site : compile the thing] failed on builder: non-zero return code");
    assert.equal(out[1], "rc: 2");
    assert.equal(out[2], "cmd: sh -c make");
    assert.deepEqual(out.slice(3, 7), [
      "stderr (last 3 lines):",
      "  line 1",
      "  line 2",
      "  error: it broke",
    ]);
    assert.ok(
      out.every((l) => l.length < 600),
      "a summary line is long",
    );
    assert.ok(summary.length < 2000);
  });

  it("the msg of a fail task, a loop item, and a result cut short (not JSON any more)", () => {
    assert.equal(
      ansibleFailure([
        "TASK [Fail on purpose] ***",
        'fatal: [builder]: FAILED! => {"changed": false, "msg": "fixture_fail is set: failing the build on purpose"}',
      ]),
      "TASK [Fail on purpose] failed on builder: fixture_fail is set: failing the build on purpose",
    );
    assert.match(
      ansibleFailure([
        "TASK [loop] ***",
        'failed: [builder] (item=a) => {"ansible_loop_var": "item", "item": "a", "msg": "bad item"}',
      ])!,
      /^TASK \[loop\] failed on builder: bad item$/,
    );
    assert.match(
      ansibleFailure([
        "TASK [t] ***",
        'fatal: [builder]: FAILED! => {"msg": "cut \\"here\\"", "stdout": "xx',
      ])!,
      /^TASK \[t\] failed on builder: cut "here"$/,
    );
  });

  it("the YAML callback's multi-line result, and ERROR! without a task", () => {
    assert.match(
      ansibleFailure([
        "TASK [dnf : install] ***",
        "fatal: [builder]: FAILED! => changed=false ",
        "  msg: Failed to download metadata for repo",
        "  rc: 1",
        "PLAY RECAP",
      ])!,
      /^TASK \[dnf : install\] failed on builder: Failed to download metadata for repo\nrc: 1$/,
    );
    assert.equal(
      ansibleFailure(["ERROR! the role 'nope' was not found", "", "The error appears to be in x"]),
      "ERROR! the role 'nope' was not found\nThe error appears to be in x",
    );
    assert.equal(ansibleFailure(["TASK [x] ***", "ok: [builder]"]), undefined);
  });
});
