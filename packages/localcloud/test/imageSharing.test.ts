// Glance behaviour that promoting an image relies on, against localcloud's own Glance.
import { imageSharingCliSuite, imageSharingRestSuite } from "./suites/imageSharing";

imageSharingRestSuite();
imageSharingCliSuite();
