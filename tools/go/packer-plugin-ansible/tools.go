//go:build tools

// Package tools pins the upstream main package that `npm run tools -- --with
// packer` builds from this module (Packer's Ansible provisioner plugin); it is never compiled on its own.
package tools

import _ "github.com/hashicorp/packer-plugin-ansible"
