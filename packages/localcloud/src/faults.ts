// Fault injection: failing calls, latency, and stuck or broken resources.

export interface FailRule {
  /** HTTP method, or undefined for any. */
  method?: string;
  /** Regular expression (source) matched against the request path. */
  path: string;
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  message?: string;
}

export interface LatencyRule {
  method?: string;
  path?: string;
  ms: number;
  /** How many matching requests are delayed (default: all, until cleared). */
  times?: number;
}

/** Resources chosen by id, or by name (regular expression source) when created later. */
export interface Target {
  id?: string;
  name?: string;
}

export interface FaultSpec {
  kind:
    | "fail"
    | "latency"
    | "serverError"
    | "volumeError"
    | "imageStuckSaving"
    | "sshRefuse"
    | "signatureVerified"
    | "expireTokens"
    | "revokeTokens";
  [k: string]: unknown;
}

export class Faults {
  fails: (FailRule & { remaining: number })[] = [];
  latencies: (LatencyRule & { remaining: number })[] = [];
  serverErrors: Target[] = [];
  volumeErrors: Target[] = [];
  stuckImages: Target[] = [];

  /** Hooks the cloud installs for faults that act on live resources. */
  hooks: {
    serverToError(id: string): void;
    volumeToError(id: string): void;
    refuseSsh(id: string | undefined, ms: number): void;
    setSignatureVerified(imageId: string): void;
    expireTokens(): void;
    revokeTokens(): void;
    clearRefusals(): void;
  } = {
    serverToError: () => {},
    volumeToError: () => {},
    refuseSsh: () => {},
    setSignatureVerified: () => {},
    expireTokens: () => {},
    revokeTokens: () => {},
    clearRefusals: () => {},
  };

  /** Fail `times` requests matching method and path with `status`. */
  fail(rule: FailRule): void {
    this.fails.push({ ...rule, method: rule.method?.toUpperCase(), remaining: rule.times ?? 1 });
  }

  /** Delay matching requests by `ms`. */
  latency(rule: LatencyRule): void {
    this.latencies.push({
      ...rule,
      method: rule.method?.toUpperCase(),
      remaining: rule.times ?? Infinity,
    });
  }

  /** An existing server (by id) goes to ERROR now, or the next one created whose name matches does. */
  serverError(target: Target): void {
    if (target.id) this.hooks.serverToError(target.id);
    else this.serverErrors.push(target);
  }

  /** An existing volume goes to `error` now, or the next one created whose name matches does. */
  volumeError(target: Target): void {
    if (target.id) this.hooks.volumeToError(target.id);
    else this.volumeErrors.push(target);
  }

  /** Images (by id, or by name when created later) stay in `saving` after an upload. */
  imageStuckSaving(target: Target): void {
    this.stuckImages.push(target);
  }

  /** SSH connections to a server (or all servers) are refused for `seconds`. */
  sshRefuse(serverId: string | undefined, seconds: number): void {
    this.hooks.refuseSsh(serverId, seconds * 1000);
  }

  /** The image gets the `signature_verified` property (then volumes from it fail, as OpenStack bug 1823445). */
  signatureVerified(imageId: string): void {
    this.hooks.setSignatureVerified(imageId);
  }

  /** Every token issued so far is expired. */
  expireTokens(): void {
    this.hooks.expireTokens();
  }

  /** Every token issued so far is revoked (unknown from now on: 401). */
  revokeTokens(): void {
    this.hooks.revokeTokens();
  }

  clear(): void {
    this.fails = [];
    this.latencies = [];
    this.serverErrors = [];
    this.volumeErrors = [];
    this.stuckImages = [];
    this.hooks.clearRefusals();
  }

  /** Applies a fault given as JSON (the admin endpoint). */
  apply(spec: FaultSpec): void {
    const s = spec as Record<string, unknown>;
    const str = (k: string) => (typeof s[k] === "string" ? (s[k] as string) : undefined);
    const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : undefined);
    const target = (): Target => ({ id: str("id"), name: str("name") });
    switch (spec.kind) {
      case "fail":
        return this.fail({
          method: str("method"),
          path: str("path") ?? ".*",
          status: num("status") ?? 500,
          times: num("times"),
          message: str("message"),
        });
      case "latency":
        return this.latency({
          method: str("method"),
          path: str("path"),
          ms: num("ms") ?? 1000,
          times: num("times"),
        });
      case "serverError":
        return this.serverError(target());
      case "volumeError":
        return this.volumeError(target());
      case "imageStuckSaving":
        return this.imageStuckSaving(target());
      case "sshRefuse":
        return this.sshRefuse(str("id"), num("seconds") ?? 10);
      case "signatureVerified":
        return this.signatureVerified(str("id") ?? "");
      case "expireTokens":
        return this.expireTokens();
      case "revokeTokens":
        return this.revokeTokens();
      default:
        throw new Error(`unknown fault kind ${String(spec.kind)}`);
    }
  }

  /** The failure for this request, if a rule matches (consumes one). */
  takeFailure(method: string, path: string): FailRule | undefined {
    const rule = this.fails.find(
      (r) => r.remaining > 0 && (!r.method || r.method === method) && new RegExp(r.path).test(path),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return rule;
  }

  takeLatency(method: string, path: string): number {
    let ms = 0;
    for (const r of this.latencies) {
      if (
        r.remaining > 0 &&
        (!r.method || r.method === method) &&
        (!r.path || new RegExp(r.path).test(path))
      ) {
        r.remaining--;
        ms += r.ms;
      }
    }
    return ms;
  }

  /** Whether a newly created resource matches a pending target (consumes it). */
  static takeTarget(list: Target[], id: string, name: string | null): boolean {
    const i = list.findIndex(
      (t) => (t.id && t.id === id) || (!t.id && new RegExp(t.name ?? ".*").test(name ?? "")),
    );
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  static matches(list: Target[], id: string, name: string | null): boolean {
    return list.some(
      (t) => (t.id && t.id === id) || (!t.id && new RegExp(t.name ?? ".*").test(name ?? "")),
    );
  }
}
