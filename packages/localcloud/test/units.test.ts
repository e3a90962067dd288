// localcloud's pure parts: mirror discovery, cloud-init helpers, routing, error formats, fault rules.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { debianMirror } from "../src/baseImage";
import { hostnameFor, parseCloudConfig } from "../src/cloudInit";
import { Faults } from "../src/faults";
import { Router, errorReply } from "../src/http";

describe("localcloud units", () => {
  describe("debianMirror", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "localcloud-apt-"));
      mkdirSync(join(dir, "sources.list.d"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("reads the bookworm URI of a deb822 .sources file, not the security suite", () => {
      writeFileSync(
        join(dir, "sources.list.d", "debian.sources"),
        "Types: deb\nURIs: http://security.invalid/debian-security\nSuites: bookworm-security\n\n" +
          "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n",
      );
      assert.equal(
        debianMirror(join(dir, "sources.list.d"), join(dir, "none")),
        "http://mirror.invalid/debian",
      );
    });

    it("reads one-line sources.list entries, with options", () => {
      writeFileSync(
        join(dir, "sources.list"),
        "# comment\ndeb [arch=amd64] http://other.invalid/debian bookworm main\n",
      );
      assert.equal(
        debianMirror(join(dir, "sources.list.d"), join(dir, "sources.list")),
        "http://other.invalid/debian",
      );
    });

    it("fails clearly when no bookworm source is configured", () => {
      assert.throws(
        () => debianMirror(join(dir, "sources.list.d"), join(dir, "none")),
        /no Debian bookworm mirror/,
      );
    });
  });

  it("derives host names as nova does, and reads #cloud-config keys", () => {
    assert.equal(hostnameFor("Builder VM_01.x"), "builder-vm-01-x");
    assert.equal(hostnameFor("!!!"), "localhost");
    assert.deepEqual(
      parseCloudConfig("#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAA k\n")
        .ssh_authorized_keys,
      ["ssh-ed25519 AAAA k"],
    );
    assert.deepEqual(parseCloudConfig("#!/bin/sh\necho hi\n"), {});
    assert.deepEqual(parseCloudConfig(null), {});
  });

  it("routes by method and path with parameters, listing allowed methods", () => {
    const r = new Router();
    r.add("compute", "GET", "/compute/v2.1/servers/:id", () => ({ status: 200 }));
    assert.deepEqual(r.match("GET", "/compute/v2.1/servers/abc").params, { id: "abc" });
    assert.deepEqual(r.match("PATCH", "/compute/v2.1/servers/abc").methods, ["GET"]);
    assert.equal(r.match("GET", "/compute/v2.1/servers/abc/extra").route, undefined);
  });

  it("renders errors in each service's format", () => {
    assert.deepEqual(errorReply("compute", 409, "busy").body, {
      conflictingRequest: { code: 409, message: "busy" },
    });
    assert.deepEqual(errorReply("volume", 400, "bad").body, {
      badRequest: { code: 400, message: "bad" },
    });
    assert.deepEqual(errorReply("network", 404, "gone", "PortNotFound").body, {
      NeutronError: { type: "PortNotFound", message: "gone", detail: "" },
    });
    assert.deepEqual(errorReply("compute", 401, "x").body, {
      error: {
        code: 401,
        title: "Unauthorized",
        message: "The request you have made requires authentication.",
      },
    });
    const html = errorReply("image", 403, "no", undefined, "");
    assert.match(String(html.body), /<h1>403 Forbidden<\/h1>/);
  });

  it("consumes fail rules and targets", () => {
    const f = new Faults();
    f.fail({ method: "get", path: "^/image/", status: 500, times: 2 });
    assert.equal(f.takeFailure("POST", "/image/v2/images"), undefined);
    assert.equal(f.takeFailure("GET", "/image/v2/images")?.status, 500);
    assert.equal(f.takeFailure("GET", "/image/v2/images")?.status, 500);
    assert.equal(f.takeFailure("GET", "/image/v2/images"), undefined);
    f.latency({ path: "servers", ms: 100, times: 1 });
    assert.equal(f.takeLatency("GET", "/compute/v2.1/servers"), 100);
    assert.equal(f.takeLatency("GET", "/compute/v2.1/servers"), 0);
    const targets = [{ name: "^builder" }];
    assert.equal(Faults.takeTarget(targets, "id1", "other"), false);
    assert.equal(Faults.takeTarget(targets, "id2", "builder-1"), true);
    assert.deepEqual(targets, []);
    assert.throws(() => f.apply({ kind: "nonsense" as "fail" }), /unknown fault kind/);
  });
});
