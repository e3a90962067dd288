import { strict as assert } from "node:assert";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { resolveStackConfig } from "../../lib/config/resolve";
import type { StackSettings } from "../../lib/config/types";
import {
  classifyLookupError,
  lookupMessage,
  lookupProblems,
  signatureMessage,
  volumeTypesOfQuota,
  type LookupResult,
} from "../../lib/preflight/checks";
import { preflightLookups, settingKey, type Lookup } from "../../lib/preflight/lookups";
import {
  peakOf,
  quotaProblems,
  type BuildNeed,
  type ComputeLimits,
} from "../../lib/preflight/quota";
import { formatPreflight } from "../../lib/preflight/report";
import { buildInputs } from "../../components/buildInputs";
import { preflight } from "../../components/preflight";
import { makeAppliance } from "../helpers/appliance";

const NS = "slurm-image-builder";
const NET_ID = "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b";

describe("preflight", () => {
  let appliance: ReturnType<typeof makeAppliance>;
  before(() => (appliance = makeAppliance()));
  after(() => appliance.cleanup());

  const settingsFor = (
    builds: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): StackSettings =>
    resolveStackConfig(
      { flavor: "general.v1.small", networks: ["net"], builds, ...extra },
      {
        env: {
          APPLIANCES_REPO_ROOT: appliance.repoRoot,
          APPLIANCES_ENVIRONMENT_ROOT: appliance.environmentRoot,
        },
        cwd: appliance.repoRoot,
        namespace: NS,
      },
    );

  describe("lookups (what is asked of the cloud)", () => {
    it("one lookup per value, with every build and config key that names it", () => {
      const settings = settingsFor(
        {
          RL9: { sourceImageName: "Rocky-9", securityGroups: ["default", "ssh"] },
          cuda: { sourceBuild: "RL9", flavor: "gpu.large", volumeType: "ssd" },
          other: { sourceImage: "a6b1c0de-0000-4000-8000-000000000001", availabilityZone: "az1" },
        },
        { networks: ["net", NET_ID], floatingIpNetwork: "public" },
      );
      const lookups = preflightLookups(settings);
      const find = (kind: string, value: string) =>
        lookups.find((l) => l.kind === kind && l.value === value);
      assert.deepEqual(find("flavor", "general.v1.small")?.uses, [
        { build: "RL9", key: "flavor" },
        { build: "other", key: "flavor" },
      ]);
      assert.deepEqual(find("flavor", "gpu.large")?.uses, [
        { build: "cuda", key: "builds.cuda.flavor" },
      ]);
      assert.deepEqual(
        find("network", NET_ID)?.uses.map((u) => u.key),
        ["networks[1]", "networks[1]", "networks[1]"],
      );
      assert.deepEqual(find("securityGroup", "ssh")?.uses, [
        { build: "RL9", key: "builds.RL9.securityGroups[1]" },
      ]);
      assert.deepEqual(find("volumeType", "ssd")?.uses, [
        { build: "cuda", key: "builds.cuda.volumeType" },
      ]);
      assert.deepEqual(find("availabilityZone", "az1")?.uses, [
        { build: "other", key: "builds.other.availabilityZone" },
      ]);
      assert.equal(find("floatingIpNetwork", "public")?.uses.length, 3);
      assert.deepEqual(find("sourceImageName", "Rocky-9")?.uses, [
        { build: "RL9", key: "builds.RL9.sourceImageName" },
      ]);
      assert.deepEqual(find("sourceImageId", "a6b1c0de-0000-4000-8000-000000000001")?.uses, [
        { build: "other", key: "builds.other.sourceImage" },
      ]);
      // A chained build has no cloud source to look up.
      assert.ok(
        !lookups.some((l) => l.uses.some((u) => u.build === "cuda" && /source/.test(u.key))),
      );
    });

    it("names the top-level key unless the build sets it", () => {
      assert.equal(settingKey("RL9", "flavor", { RL9: ["flavor"] }), "builds.RL9.flavor");
      assert.equal(settingKey("RL9", "flavor", { RL9: ["networks"] }), "flavor");
      assert.equal(settingKey("RL9", "flavor", undefined), "flavor");
    });
  });

  describe("verdicts", () => {
    const lookup = (kind: Lookup["kind"], value: string): Lookup => ({
      kind,
      value,
      uses: [{ build: "RL9", key: kind }],
    });

    it("a missing object: what was looked up and how to list the real ones", () => {
      assert.match(
        lookupMessage(lookup("flavor", "m1.huge"), { status: "missing" }, {})!,
        /^no flavor named "m1.huge" is visible to this project \(looked up by name.*openstack flavor list/,
      );
      assert.match(
        lookupMessage(lookup("network", NET_ID), { status: "missing" }, {})!,
        new RegExp(`no network with id "${NET_ID}"`),
      );
      assert.match(
        lookupMessage(lookup("network", "storage"), { status: "ambiguous" }, {})!,
        /more than one network is named "storage" in this project: give its id/,
      );
      assert.match(
        lookupMessage(lookup("floatingIpNetwork", "ext"), { status: "missing" }, {})!,
        /no external network \(floating-IP pool\) with name "ext"/,
      );
      assert.match(
        lookupMessage(lookup("sourceImageId", "abc"), { status: "missing" }, {})!,
        /no active image with id abc is visible/,
      );
      assert.match(
        lookupMessage(
          lookup("securityGroup", "ssh"),
          { status: "failed", message: "HTTP 500" },
          {},
        )!,
        /could not look up the security group "ssh": HTTP 500/,
      );
      assert.equal(
        lookupMessage(lookup("flavor", "m1.small"), { status: "found", id: "1" }, {}),
        undefined,
      );
    });

    it("volume types and zones are checked against the cloud's lists, which the message gives", () => {
      const listings = {
        volumeTypes: ["__DEFAULT__", "ssd"],
        volumeZones: ["nova"],
        computeZones: ["nova", "gpu"],
      };
      assert.equal(
        lookupMessage(lookup("volumeType", "rbd"), undefined, listings),
        'no volume type "rbd" is visible to this project; the cloud has: __DEFAULT__, ssd',
      );
      assert.equal(lookupMessage(lookup("volumeType", "ssd"), undefined, listings), undefined);
      assert.equal(
        lookupMessage(lookup("availabilityZone", "gpu"), undefined, listings),
        "not an availability zone of the block storage service (builder volume); the cloud has: nova",
      );
      assert.match(
        lookupMessage(lookup("availabilityZone", "az9"), undefined, listings)!,
        /block storage .*; not an availability zone of the compute service \(builder server\); the cloud has: nova, gpu/,
      );
      // A list the cloud did not give: not decided here (the build reports it).
      assert.equal(lookupMessage(lookup("volumeType", "rbd"), undefined, {}), undefined);
    });

    it("one problem per build naming the value", () => {
      const l: Lookup = {
        kind: "flavor",
        value: "m1.huge",
        uses: [
          { build: "RL9", key: "flavor" },
          { build: "cuda", key: "flavor" },
        ],
      };
      const problems = lookupProblems(
        [l],
        new Map<Lookup, LookupResult>([[l, { status: "missing" }]]),
        {},
      );
      assert.deepEqual(
        problems.map((p) => [p.build, p.key, p.value]),
        [
          ["RL9", "flavor", "m1.huge"],
          ["cuda", "flavor", "m1.huge"],
        ],
      );
      const text = formatPreflight(problems, NS, "project staging");
      assert.match(
        text,
        /^Preflight found 2 problems in the cloud \(project staging\); nothing was created:\n/,
      );
      assert.match(
        text,
        /\n {2}- build cuda: slurm-image-builder:flavor = "m1.huge": no flavor named/,
      );
    });

    it("signature_verified fails the preview unless the build may unset it", () => {
      assert.match(
        signatureMessage("img-1", { signature_verified: "False" }, "fail")!,
        /OpenStack bug 1823445.*openstack image unset --property signature_verified img-1/,
      );
      assert.equal(signatureMessage("img-1", { signature_verified: "False" }, "unset"), undefined);
      assert.equal(signatureMessage("img-1", { os_distro: "rocky" }, "fail"), undefined);
    });

    it("reads the data sources' errors and the volume types of a quota set", () => {
      assert.deepEqual(
        classifyLookupError(
          "Invoke of 'openstack:compute/getFlavor:getFlavor' failed: Your query returned no results. Please change your search criteria and try again.",
        ),
        { status: "missing" },
      );
      assert.deepEqual(classifyLookupError("No Security Group found with name: x"), {
        status: "missing",
      });
      assert.deepEqual(classifyLookupError("More than one Security Group found with name: x"), {
        status: "ambiguous",
      });
      assert.deepEqual(
        classifyLookupError(
          "invocation of openstack:x returned an error: Unable to query flavors: 503",
        ),
        { status: "failed", message: "Unable to query flavors: 503" },
      );
      assert.deepEqual(
        volumeTypesOfQuota({
          volumes_ssd: "-1",
          gigabytes_ssd: "-1",
          snapshots___DEFAULT__: "10",
          volumes___DEFAULT__: "10",
        }),
        ["__DEFAULT__", "ssd"],
      );
    });
  });

  describe("quotas for the builds that would run at once", () => {
    const need = (key: string, extra: Partial<BuildNeed> = {}): BuildNeed => ({
      key,
      builds: true,
      cores: 2,
      ram: 8192,
      volumeSize: 20,
      ...extra,
    });
    const limits = (extra: Partial<ComputeLimits> = {}): ComputeLimits => ({
      maxTotalInstances: 10,
      totalInstancesUsed: 0,
      maxTotalCores: 100,
      totalCoresUsed: 0,
      maxTotalRamSize: 1_000_000,
      totalRamUsed: 0,
      ...extra,
    });

    it("independent builds add up; a chain counts its largest member once", () => {
      const needs = [
        need("RL9"),
        need("cuda", { parent: "RL9", volumeSize: 35 }),
        need("doca", { parent: "RL9", volumeSize: 30 }),
        need("other", { volumeSize: 25 }),
      ];
      // cuda and doca run together after RL9: 65 GB, plus other's 25.
      assert.deepEqual(
        peakOf(needs, (n) => n.volumeSize),
        { amount: 90, builds: ["cuda", "doca", "other"] },
      );
      assert.deepEqual(peakOf(needs, () => 1).amount, 3);
      // RL9 already built: its children still run together.
      const built = needs.map((n) => (n.key === "RL9" ? { ...n, builds: false } : n));
      assert.equal(peakOf(built, () => 1).amount, 3);
      // Only other builds.
      const one = needs.map((n) => ({ ...n, builds: n.key === "other" }));
      assert.deepEqual(
        peakOf(one, () => 1),
        { amount: 1, builds: ["other"] },
      );
    });

    it("fails when used + needed is over a limit, naming the builds; -1 is unlimited", () => {
      const needs = [need("RL9"), need("other")];
      const [p] = quotaProblems(
        needs,
        limits({ maxTotalInstances: 5, totalInstancesUsed: 4 }),
        undefined,
      );
      assert.equal(p.build, "RL9, other");
      assert.equal(p.value, "2");
      assert.match(
        p.message,
        /^quota instances: the builds that would run at once \(RL9, other\) need 2 instances, but the project uses 4 of its quota of 5 instances, so 1 are free/,
      );
      assert.match(
        quotaProblems(needs, limits({ maxTotalCores: 8, totalCoresUsed: 6 }), undefined)[0].message,
        /quota cores: .* need 4 cores, but the project uses 6 of its quota of 8 cores, so 2 are free/,
      );
      assert.deepEqual(
        quotaProblems(needs, limits({ maxTotalInstances: -1, totalInstancesUsed: 40 }), undefined),
        [],
      );
      assert.deepEqual(
        quotaProblems(needs, limits({ maxTotalInstances: 6, totalInstancesUsed: 4 }), undefined),
        [],
      );
      // Nothing to build: a full project is fine.
      const none = needs.map((n) => ({ ...n, builds: false }));
      assert.deepEqual(quotaProblems(none, limits({ maxTotalInstances: 0 }), undefined), []);
    });

    it("volumes: the limits (the provider reads no usage), per volume and per type", () => {
      const needs = [
        need("RL9", { volumeType: "ssd" }),
        need("cuda", { volumeSize: 35, volumeType: "ssd" }),
      ];
      const volume = (extra = {}) => ({
        volumes: 10,
        gigabytes: 1000,
        perVolumeGigabytes: -1,
        volumeTypeQuota: { volumes_ssd: "-1", gigabytes_ssd: "-1" } as Record<string, unknown>,
        ...extra,
      });
      assert.deepEqual(quotaProblems(needs, undefined, volume()), []);
      assert.match(
        quotaProblems(needs, undefined, volume({ gigabytes: 50 }))[0].message,
        /quota gigabytes: .* need 55 GB of volumes, but the project's quota is 50 GB of volumes/,
      );
      const perVolume = quotaProblems(needs, undefined, volume({ perVolumeGigabytes: 30 }));
      assert.deepEqual(
        perVolume.map((p) => [p.build, p.key, p.value]),
        [["cuda", "volumeSize", "35"]],
      );
      assert.match(
        quotaProblems(needs, undefined, volume({ volumeTypeQuota: { volumes_ssd: "1" } }))[0]
          .message,
        /quota volumes_ssd: .* need 2 volumes of type ssd, but the project's quota is 1 volumes of type ssd/,
      );
    });
  });

  describe("component (Pulumi mocks): the cloud's answers, and nothing registered on failure", () => {
    const registered: string[] = [];
    let answers: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;
    beforeEach(() => {
      registered.length = 0;
      answers = {
        "openstack:compute/getFlavor:getFlavor": (i) => {
          if (i.name !== "general.v1.small")
            throw new Error(
              "Your query returned no results. Please change your search criteria and try again.",
            );
          return { id: "f1", name: i.name, vcpus: 2, ram: 4096 };
        },
        "openstack:networking/getNetwork:getNetwork": (i) => {
          if (i.name === "net" || i.networkId === NET_ID) return { id: NET_ID };
          throw new Error(
            "Your query returned no results. Please change your search criteria and try again.",
          );
        },
        "openstack:networking/getSecGroup:getSecGroup": (i) => {
          // By name only in the build's project (an admin sees every project's "default").
          if (i.name === "default" && i.tenantId === "p1") return { id: "sg1" };
          throw new Error(`No Security Group found with name: ${String(i.name)}`);
        },
        "openstack:images/getImage:getImage": (i) => ({
          id: `cloud-${String(i.name)}`,
          name: i.name,
          properties: {},
        }),
        "openstack:images/getImageIds:getImageIds": () => ({ ids: [] }),
        "openstack:blockstorage/getQuotasetV3:getQuotasetV3": () => ({
          volumes: 10,
          gigabytes: 1000,
          perVolumeGigabytes: -1,
          volumeTypeQuota: { volumes___DEFAULT__: "-1", volumes_ssd: "-1" },
        }),
        "openstack:compute/getLimitsV2:getLimitsV2": () => ({
          maxTotalInstances: 1,
          totalInstancesUsed: 0,
          maxTotalCores: 100,
          totalCoresUsed: 0,
          maxTotalRamSize: 100000,
          totalRamUsed: 0,
        }),
      };
      pulumi.runtime.setMocks(
        {
          newResource(args) {
            registered.push(args.type);
            return { id: `${args.name}-id`, state: args.inputs };
          },
          call(args) {
            const answer = answers[args.token];
            if (!answer) throw new Error(`unexpected invoke ${args.token}`);
            return answer(args.inputs);
          },
        },
        NS,
        "staging",
        true,
      );
    });

    const run = (settings: StackSettings) =>
      preflight({
        settings,
        inputs: buildInputs(settings, NS, "staging"),
        project: NS,
        stack: "staging",
        projectId: "p1",
        cloudLabel: "project staging",
        provider: new openstack.Provider("cloud", {}),
      });

    it("passes a valid stack and hands on the resolved source images", async () => {
      const result = await run(
        settingsFor(
          { RL9: { sourceImageName: "Rocky-9" } },
          { networks: ["net", NET_ID], securityGroups: ["default"] },
        ),
      );
      assert.deepEqual(result.sourceImageIds, { RL9: "cloud-Rocky-9" });
    });

    // (Mocked invokes lose the provider's error text, so "no such flavor" and
    // the like are tested for real in test/e2e/preflight.test.ts.)
    it("every problem in one RunError, each naming build, key and value; only the provider registered", async () => {
      answers["openstack:images/getImage:getImage"] = (i) => ({
        id: `cloud-${String(i.name)}`,
        name: i.name,
        properties: i.name === "Rocky-9-signed" ? { signature_verified: "False" } : {},
      });
      const settings = settingsFor(
        {
          RL9: { sourceImageName: "Rocky-9" },
          other: { sourceImageName: "Rocky-9-signed" },
        },
        { volumeType: "rbd" },
      );
      await assert.rejects(run(settings), (err: Error) => {
        assert.ok(err instanceof pulumi.RunError, String(err));
        assert.match(
          err.message,
          /^Preflight found 4 problems in the cloud \(project staging\); nothing was created/,
        );
        assert.match(
          err.message,
          /build other: slurm-image-builder:builds\.other\.sourceImageName = "Rocky-9-signed": the source image cloud-Rocky-9-signed has the property signature_verified/,
        );
        assert.match(
          err.message,
          /build RL9: slurm-image-builder:volumeType = "rbd": no volume type "rbd" is visible to this project; the cloud has: __DEFAULT__, ssd/,
        );
        assert.match(err.message, /build other: slurm-image-builder:volumeType = "rbd"/);
        // Two builds at once on a quota of one instance.
        assert.match(
          err.message,
          /quota instances: the builds that would run at once \(RL9, other\) need 2 instances/,
        );
        return true;
      });
      assert.deepEqual(registered, ["pulumi:providers:openstack"]);
    });

    it("a build whose image exists (same fingerprint) needs no quota", async () => {
      answers["openstack:images/getImageIds:getImageIds"] = (i) =>
        i.owner === "p1" && (i.properties as Record<string, string>)?.image_build_key === "RL9"
          ? { ids: ["img-RL9"] }
          : { ids: [] };
      const result = await run(
        settingsFor({ RL9: { sourceImageName: "Rocky-9" }, other: { sourceImageName: "Rocky-9" } }),
      );
      assert.deepEqual(result.existing, ["RL9"]);
    });

    it("a quota the project may not read is a warning, not a failure", async () => {
      answers["openstack:compute/getLimitsV2:getLimitsV2"] = () => {
        throw new Error("Error retrieving openstack_compute_limits_v2: Forbidden");
      };
      await run(
        settingsFor({ RL9: { sourceImageName: "Rocky-9" }, other: { sourceImageName: "Rocky-9" } }),
      );
    });
  });
});
