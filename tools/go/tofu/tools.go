//go:build tools

// Package tools pins the upstream main package that `npm run tools` builds
// from this module (the OpenTofu CLI, tofu); it is never compiled on its own.
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"
