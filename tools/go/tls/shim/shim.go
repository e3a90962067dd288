// Package shim exposes the Terraform TLS provider to the Pulumi bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	tlsprovider "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the Terraform TLS provider (plugin framework).
func NewProvider() provider.Provider { return tlsprovider.New() }
