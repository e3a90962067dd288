// The image-build lifecycle with the real `openstack` CLI against localcloud
// (its own Keystone and Glance), with real servers reached over ssh.
import { conformanceSuite } from "./suites/conformance";

conformanceSuite();
