// @slurm-image-builder/localcloud: an OpenStack-API-compatible cloud on one machine.
//
//   import { startLocalCloud } from "@slurm-image-builder/localcloud";
//   const cloud = await startLocalCloud({ stateDir, port: 0 });
//
// Test helpers (openstack CLI, ssh, REST client): "@slurm-image-builder/localcloud/testing".
export { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "./localCloud";
export { BASE_IMAGE_NAME } from "./baseImage";
export { DEFAULT_USER, DEFAULT_USER_PROPERTY } from "./nova";
export type { RequestRecord } from "./http";
export type { FailRule, FaultSpec, Faults, LatencyRule, Target } from "./faults";
export type { Token } from "./keystone";
export type { QuotaLimits, QuotaOverrides, Quotas } from "./quotas";
