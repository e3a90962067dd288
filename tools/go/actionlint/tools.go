//go:build tools

// Package tools pins the upstream main package that `npm run tools` builds
// from this module (actionlint); it is never compiled on its own.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
