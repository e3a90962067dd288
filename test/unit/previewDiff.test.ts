/**
 * lib/previewDiff.ts: the rules of trimming on small previews laid out as
 * `pulumi preview --diff` prints them (the real, large previews are in
 * test/e2e/previewComments.test.ts).
 */
import { strict as assert } from "node:assert";
import {
  COMMENT_LIMIT,
  renderPreviewComment,
  resourceSummary,
  trimPreviewDiff,
} from "../../lib/previewDiff";

const URN = (key: string) =>
  `urn:pulumi:staging::slurm-image-builder::slurm-image:index:ImageSet$slurm-image:index:ImageBuild$command:local:Command::${key}-image`;
const PROVIDER =
  "[provider=urn:pulumi:staging::slurm-image-builder::pulumi:providers:command::default_1_2_1::deefa90e-51ea-43ca-8e99-61c84c824a41]";

const files = (n: number, marker: string, indent: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${" ".repeat(indent)}${marker}roles/r${String(i).padStart(3, "0")}/tasks/main.yml: "${i.toString(16).padStart(12, "0")}"`,
  );

/** A created image command whose triggers list `n` files under ansible/. */
const created = (key: string, n: number) => [
  "            + command:local:Command: (create)",
  `                [urn=${URN(key)}]`,
  `                ${PROVIDER}`,
  '                create     : "build"',
  "                triggers   : [",
  "                    [0]: {",
  "                        applianceFiles     : {",
  "                            ansible            : {",
  ...files(n, "", 32),
  "                            }",
  "                            environments/site  : {",
  '                                inventory/groups: "293373b73608"',
  "                            }",
  "                        }",
  '                        diskFormat         : "raw"',
  "                    }",
  "                ]",
];

/** A replaced image command: one file changed (Pulumi prints only the changed keys of a map). */
const replacedFile = (key: string) => [
  "    +-command:local:Command: (replace)",
  `        [id=${key}-imagef293d950]`,
  `        [urn=${URN(key)}]`,
  `        ${PROVIDER}`,
  "      ~ triggers   : [",
  "          ~ [0]: {",
  "                  ~ applianceFiles: {",
  "                      ~ ansible: {",
  '                          ~ roles/openhpc/tasks/main.yml: "eee7d2c8ee06" => "88f973ecd017"',
  "                        }",
  "                    }",
  "                }",
  "        ]",
];

/** A chained build whose source rebuilds: the old triggers removed as a whole, list items too. */
const replacedChained = (key: string, n: number) => [
  "    +-command:local:Command: (replace)",
  `        [urn=${URN(key)}]`,
  "      ~ environment: {",
  '          ~ IMAGE_BUILD_SOURCE_IMAGE_ID: "55f997a6-3910-446b-af52-3ead56bdf3a4" => [unknown]',
  "        }",
  "      ~ triggers   : [",
  "          - [0]: {",
  "                  - applianceFiles     : {",
  "                      - ansible            : {",
  ...files(n, "- ", 26),
  "                        }",
  "                    }",
  "                  - inventoryGroups    : [",
  '                  -     [0]: "cuda"',
  '                  -     [1]: "lustre"',
  "                    ]",
  "                  - volumeSize         : 20",
  "                }",
  "          + [0]: [unknown]",
  "        ]",
];

/** A config change: the whole build request printed as context around one added group. */
const replacedConfig = (key: string) => [
  "    +-command:local:Command: (replace)",
  `        [urn=${URN(key)}]`,
  "      ~ environment: {",
  "          ~ IMAGE_BUILD_REQUEST    : (json) {",
  "                appliance : {",
  '                    repoRoot       : "/site/appliance"',
  "                }",
  '                project   : "slurm-image-builder"',
  "              ~ spec      : {",
  '                    flavor                      : "general.v1.small"',
  "                  ~ inventoryGroups             : [",
  '                        [0]: "cuda"',
  '                      + [1]: "doca"',
  "                    ]",
  '                    sshUsername                 : "rocky"',
  "                    volume                      : {",
  "                        size: 20",
  "                    }",
  "                }",
  '                stack     : "staging"',
  "            }",
  "        }",
];

const preview = (blocks: string[][], summary: string[]) =>
  [
    "Previewing update (staging):",
    "  pulumi:pulumi:Stack: (same)",
    "    [urn=urn:pulumi:staging::slurm-image-builder::pulumi:pulumi:Stack::slurm-image-builder-staging]",
    ...blocks.flat(),
    "Resources:",
    ...summary.map((s) => `    ${s}`),
    "",
  ].join("\n");

describe("preview diff for a pull-request comment", () => {
  it("keeps a changed file, drops provider lines, keeps the URN and id", () => {
    const text = preview([replacedFile("RL9")], ["+-1 to replace", "3 unchanged"]);
    const { text: out, level, cut } = trimPreviewDiff(text);
    assert.equal(level, 0);
    assert.equal(cut, false);
    assert.ok(out.includes(`[urn=${URN("RL9")}]`));
    assert.ok(out.includes("[id=RL9-imagef293d950]"));
    assert.ok(!out.includes("[provider="), out);
    assert.ok(
      out.includes(
        '                          ~ roles/openhpc/tasks/main.yml: "eee7d2c8ee06" => "88f973ecd017"',
      ),
      out,
    );
    // Everything else is Pulumi's text unchanged.
    assert.equal(
      out,
      text
        .split("\n")
        .filter((l) => !l.includes("[provider="))
        .join("\n")
        .trimEnd(),
    );
  });

  it("a new build's per-file map becomes one line with its count; small maps stay", () => {
    const text = preview([created("RL8", 441)], ["+ 1 to create"]);
    const { text: out } = trimPreviewDiff(text);
    assert.ok(
      out.includes("                            ansible            : { … 441 entries }"),
      out,
    );
    assert.ok(
      out.includes('                                inventory/groups: "293373b73608"'),
      out,
    );
    assert.ok(!out.includes("roles/r000"), out);
    assert.ok(out.length < text.length / 10, `${out.length} of ${text.length}`);
  });

  it("a value removed as a whole (a chained build's old triggers): counted, list items kept", () => {
    const text = preview([replacedChained("RL8-cuda", 300)], ["+-1 to replace"]);
    const { text: out } = trimPreviewDiff(text);
    assert.ok(out.includes("                      - ansible            : { … 300 entries }"), out);
    assert.ok(out.includes('                  -     [1]: "lustre"'), out);
    assert.ok(out.includes("          + [0]: [unknown]"), out);
    assert.ok(out.includes("=> [unknown]"), out);
  });

  it("unchanged context inside a changed value becomes a count; a lone unchanged line stays", () => {
    const text = preview([replacedConfig("RL9-cuda")], ["+-1 to replace"]);
    const { text: out } = trimPreviewDiff(text);
    const expected = [
      "          ~ IMAGE_BUILD_REQUEST    : (json) {",
      "                … 2 unchanged",
      "              ~ spec      : {",
      '                    flavor                      : "general.v1.small"',
      "                  ~ inventoryGroups             : [",
      '                        [0]: "cuda"',
      '                      + [1]: "doca"',
      "                    ]",
      "                    … 2 unchanged",
      "                }",
      '                stack     : "staging"',
      "            }",
    ].join("\n");
    assert.ok(out.includes(expected), out);
    assert.ok(!out.includes("repoRoot"), out);
  });

  it("collapses more as the budget shrinks, and every image stays named", () => {
    const keys = Array.from({ length: 30 }, (_, i) => `B${i}`);
    const text = preview(
      keys.map((k) => created(k, 40)),
      ["+ 30 to create"],
    );
    const levels: number[] = [];
    for (const budget of [COMMENT_LIMIT, 20_000, 8_000]) {
      const trimmed = trimPreviewDiff(text, budget);
      assert.ok(trimmed.text.length <= budget, `${trimmed.text.length} > ${budget}`);
      assert.equal(trimmed.cut, false);
      for (const key of keys) assert.ok(trimmed.text.includes(`::${key}-image]`), key);
      assert.ok(trimmed.text.includes("+ 30 to create"));
      levels.push(trimmed.level);
    }
    assert.deepEqual(
      levels,
      [...levels].sort((a, b) => a - b),
    );
    assert.ok(levels[2] > levels[0], `levels ${levels.join(", ")}`);
  });

  it("cuts at a line, saying so, only when not even the headers fit", () => {
    const keys = Array.from({ length: 30 }, (_, i) => `B${i}`);
    const text = preview(
      keys.map((k) => created(k, 2)),
      ["+ 30 to create"],
    );
    const trimmed = trimPreviewDiff(text, 2_000);
    assert.equal(trimmed.cut, true);
    assert.ok(trimmed.text.length <= 2_000, `${trimmed.text.length}`);
    assert.match(trimmed.text, /\n… \d+ more lines: see the full text in the job log$/);
  });

  it("a body whose brackets do not match is kept as printed", () => {
    const odd = [
      "    ~ command:local:Command: (update)",
      `        [urn=${URN("X")}]`,
      "      ~ create: (",
      '          "line one"',
      "      ~ other : {",
    ];
    const text = preview([odd], ["~ 1 to update"]);
    assert.ok(trimPreviewDiff(text).text.includes(odd.slice(2).join("\n")));
  });

  it("diagnostics are kept word for word; colours are removed", () => {
    const text = [
      "Previewing update (staging):",
      "\u001b[32m+ \u001b[0mpulumi:pulumi:Stack: (create)",
      "    [urn=urn:pulumi:staging::slurm-image-builder::pulumi:pulumi:Stack::slurm-image-builder-staging]",
      "Diagnostics:",
      "  pulumi:pulumi:Stack (slurm-image-builder-staging):",
      '    error: slurm-image-builder:flavor: no flavor named "m1.huge"; the cloud has: general.v1.small, m1.small',
      "",
      "Resources:",
      "    + 1 to create",
    ].join("\n");
    const out = trimPreviewDiff(text).text;
    assert.ok(!out.includes("\u001b"), JSON.stringify(out));
    assert.ok(out.includes('no flavor named "m1.huge"; the cloud has: general.v1.small, m1.small'));
    assert.ok(out.includes("+ pulumi:pulumi:Stack: (create)"));
  });

  it("resourceSummary reads Pulumi's Resources: lines", () => {
    assert.equal(
      resourceSummary(preview([], ["+-4 to replace", "11 unchanged"])),
      "+-4 to replace, 11 unchanged",
    );
    assert.equal(resourceSummary("error: no stack\n"), undefined);
  });
});

describe("the pull-request comment of a stack", () => {
  const plan =
    "### Images: `staging`\n\n| image | action | why |\n| --- | --- | --- |\n| `RL9` | **rebuild** | appliance files: 1 changed under ansible |\n";

  it("is the plan, then the preview folded, with where the full text is", () => {
    const diff = preview([replacedFile("RL9")], ["+-1 to replace", "3 unchanged"]);
    const comment = renderPreviewComment({
      stack: "staging",
      diff,
      plan,
      logUrl: "https://ci.example/run/7",
    });
    assert.ok(comment.startsWith(plan.trimEnd()), comment);
    assert.ok(comment.indexOf("<details>") > comment.indexOf("| `RL9` |"));
    assert.ok(
      comment.includes(
        "<summary><code>pulumi preview --diff</code> of <code>staging</code>: +-1 to replace, 3 unchanged — trimmed to what changed",
      ),
      comment,
    );
    assert.ok(comment.includes("full text in the [job log](https://ci.example/run/7)"));
    assert.ok(comment.includes("```text\nPreviewing update (staging):"), comment);
    assert.ok(comment.trimEnd().endsWith("</details>"));
  });

  it("stays within the limit however large the preview", () => {
    const keys = Array.from({ length: 80 }, (_, i) => `B${i}`);
    const diff = preview(
      keys.map((k) => created(k, 500)),
      ["+ 80 to create"],
    );
    assert.ok(diff.length > 2 * COMMENT_LIMIT, `${diff.length}`);
    const comment = renderPreviewComment({ stack: "staging", diff, plan });
    assert.ok(comment.length <= COMMENT_LIMIT, `${comment.length}`);
    for (const key of keys) assert.ok(comment.includes(`::${key}-image]`), key);
  });

  it("a failed preview is open and says failed", () => {
    const comment = renderPreviewComment({
      stack: "production",
      diff: "error: boom\n",
      failed: true,
    });
    assert.match(comment, /<details open>/);
    assert.match(comment, /of <code>production<\/code>: \*\*failed\*\*/);
    assert.ok(comment.includes("error: boom"));
  });

  it("fences the text with more backticks than it holds", () => {
    const comment = renderPreviewComment({ stack: "s", diff: "error: ```` in a message\n" });
    assert.ok(comment.includes("`````text\n"), comment);
  });
});
