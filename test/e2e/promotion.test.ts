/**
 * Staging → production, for real (issue 7), on localcloud's own Keystone and
 * Glance: the steps are in suites/promotion.ts (realservices.test.ts runs them
 * against the real ones).
 */
import { promotionSuite } from "./suites/promotion";

promotionSuite();
