//go:build tools

// Package tools pins the upstream main package that `npm run tools` builds
// from this module (the OpenStack provider for OpenTofu,
// terraform-provider-openstack); it is never compiled on its own.
package tools

import _ "github.com/terraform-provider-openstack/terraform-provider-openstack/v3"
