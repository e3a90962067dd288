# The Packer side of `npm run bench` (scripts/bench.ts): a volume-backed image
# build with the same inputs and the same builder and provisioner settings as
# the Slurm appliance's packer/openstack.pkr.hcl (see the Packer variable table
# in README.md), written for this project. One difference: the appliance reads
# the checkout's commit with the `git` plugin, which the Go module proxy here
# does not serve; the commit is the variable `git_commit` instead.
#
#   PACKER_LOG=1 packer build -var-file=<vars> bench/packer/openstack.pkr.hcl
#
# The plugins come from `npm run tools` (PACKER_PLUGIN_PATH), never from a registry.

packer {
  required_plugins {
    openstack = {
      source  = "github.com/hashicorp/openstack"
      version = ">= 1.0.0"
    }
    ansible = {
      source  = "github.com/hashicorp/ansible"
      version = ">= 1.1.1"
    }
  }
}

# --- The appliance checkout and its environment (`activate` exports them as
# APPLIANCES_REPO_ROOT / APPLIANCES_ENVIRONMENT_ROOT).

variable "repo_root" {
  type        = string
  description = "Root of the appliance checkout (ansible/fatimage.yml, packer/openhpc_extravars.yml)."
}

variable "environment_root" {
  type        = string
  description = "The active appliance environment (its ansible.cfg names the inventories)."
}

variable "git_commit" {
  type        = string
  description = "Commit of the appliance checkout (stands in for the appliance's git-commit data source)."
}

# --- The build VM.

variable "networks" {
  type        = list(string)
  description = "Network ids for the build VM."
}

variable "flavor" {
  type = string
}

variable "source_image_name" {
  type        = string
  default     = null
  description = "Start from the image with this name; or set source_image."
}

variable "source_image" {
  type        = string
  default     = null
  description = "Start from the image with this id; or set source_image_name."
}

variable "security_groups" {
  type    = list(string)
  default = []
}

variable "floating_ip_network" {
  type    = string
  default = null
}

variable "floating_ip" {
  type    = string
  default = null
}

variable "use_blockstorage_volume" {
  type    = bool
  default = true
}

variable "volume_type" {
  type    = string
  default = null
}

variable "volume_size" {
  type        = number
  default     = 20
  description = "GB; the size of the image."
}

# --- SSH to the build VM.

variable "ssh_username" {
  type    = string
  default = "rocky"
}

variable "ssh_private_key_file" {
  type    = string
  default = null
}

variable "ssh_keypair_name" {
  type    = string
  default = null
}

variable "ssh_bastion_host" {
  type    = string
  default = null
}

variable "ssh_bastion_username" {
  type    = string
  default = null
}

variable "ssh_bastion_private_key_file" {
  type    = string
  default = null
}

variable "ssh_debug_public_key" {
  type        = string
  default     = null
  description = "One more public key for the default user, through cloud-init user data."
}

# --- The image.

variable "image_name" {
  type    = string
  default = "openhpc"
}

variable "image_name_version" {
  type        = string
  default     = "auto"
  description = "Suffix of the image name; auto: -YYMMDD-hhmm-<first 8 characters of git_commit>."
}

variable "image_disk_format" {
  type    = string
  default = "raw"
}

variable "image_visibility" {
  type    = string
  default = "private"
}

variable "metadata" {
  type    = map(string)
  default = {}
}

variable "inventory_groups" {
  type        = string
  default     = ""
  description = "Comma-separated groups for the build VM besides builder."
}

variable "manifest_output_path" {
  type    = string
  default = "packer-manifest.json"
}

locals {
  name_suffix = (
    var.image_name_version != "auto" ? var.image_name_version :
    "-${formatdate("YYMMDD-hhmm", timestamp())}-${substr(var.git_commit, 0, 8)}"
  )
  full_name    = "${var.image_name}${local.name_suffix}"
  extra_groups = var.inventory_groups == "" ? [] : split(",", var.inventory_groups)
  debug_user_data = var.ssh_debug_public_key == null ? null : join("\n", [
    "#cloud-config",
    "ssh_authorized_keys:",
    "  - ${var.ssh_debug_public_key}",
    "",
  ])
}

source "openstack" "builder" {
  flavor   = var.flavor
  networks = var.networks

  source_image      = var.source_image
  source_image_name = var.source_image_name

  # Volume-backed: the builder boots from a Cinder volume made from the
  # source image, and that volume is uploaded as the image.
  use_blockstorage_volume = var.use_blockstorage_volume
  volume_name             = local.full_name
  volume_type             = var.volume_type
  volume_size             = var.volume_size

  instance_metadata   = { ansible_init_disable = "true" }
  metadata            = var.metadata
  security_groups     = var.security_groups
  floating_ip_network = var.floating_ip_network
  floating_ip         = var.floating_ip
  user_data           = local.debug_user_data

  communicator                 = "ssh"
  ssh_timeout                  = "20m"
  ssh_username                 = var.ssh_username
  ssh_private_key_file         = var.ssh_private_key_file
  ssh_keypair_name             = var.ssh_keypair_name
  ssh_bastion_host             = var.ssh_bastion_host
  ssh_bastion_username         = var.ssh_bastion_username
  ssh_bastion_private_key_file = var.ssh_bastion_private_key_file

  image_disk_format = var.image_disk_format
  image_visibility  = var.image_visibility
}

build {
  source "source.openstack.builder" {
    image_name = local.full_name
  }

  provisioner "ansible" {
    playbook_file       = "${var.repo_root}/ansible/fatimage.yml"
    groups              = concat(["builder"], local.extra_groups)
    use_proxy           = false
    keep_inventory_file = true
    extra_arguments = [
      "--limit", "builder",
      # The environment's own inventories, as `activate` + ANSIBLE_CONFIG give them.
      "-i", "${path.root}/environment-inventory.sh",
      "-vv",
      "-e", "@${var.repo_root}/packer/openhpc_extravars.yml",
    ]
  }

  post-processor "manifest" {
    output      = var.manifest_output_path
    custom_data = { source = source.name }
  }
}
