// Keystone for a project member, against localcloud's own Keystone.
import { identitySuite } from "./suites/identity";

identitySuite();
