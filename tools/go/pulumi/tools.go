//go:build tools

// Package tools pins the upstream main packages that `npm run tools` builds
// from this module; it is never compiled on its own.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
