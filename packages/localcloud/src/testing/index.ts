// Helpers for tests that run against localcloud (this package's own tests, and the end-to-end
// tests of the project using it): `import { ... } from "@slurm-image-builder/localcloud/testing"`.
export { leftovers, listeners, missingPrerequisites } from "./hostChecks";
export { Osc, openstackCli } from "./openstackCli";
export { Rest, tinyImage, uploadImage, urlOf, type RestResponse } from "./rest";
export { makeKey, ssh, type TestKey } from "./ssh";
export { waitFor } from "./waitFor";
export { startRecordingProxy, type RecordingProxy } from "./proxy";
export { missingRealServices } from "../real";
