// The same suites against the real Keystone and Glance (Debian's packages) behind
// localcloud (`realServices`): where they answer differently from localcloud's own,
// these fail. Skipped when the packages are not installed.
import { missingRealServices } from "../src/real";
import { conformanceSuite } from "./suites/conformance";
import { identitySuite } from "./suites/identity";
import { imageSharingCliSuite, imageSharingRestSuite } from "./suites/imageSharing";

const missing = missingRealServices();
if (missing) {
  describe("localcloud with the real Keystone and Glance", () => {
    it("needs the packages", function () {
      console.warn(`skipping the real-services suites: ${missing}`);
      this.skip();
    });
  });
} else {
  identitySuite({ realServices: true });
  imageSharingRestSuite({ realServices: true });
  imageSharingCliSuite({ realServices: true });
  conformanceSuite({ realServices: true });
}
