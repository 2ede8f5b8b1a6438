variable "isp_id" {
  description = "The ISP's id (a UUID, as registration issued it); tagged on the droplet and volume as isp-<isp_id>."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", var.isp_id))
    error_message = "isp_id must be a lowercase UUID such as 0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d2e."
  }
}

variable "slug" {
  description = "The ISP's DNS-safe short name (as registration issued it); resources are named dotmac-isp-<slug>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", var.slug))
    error_message = "slug must be 1-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

variable "tier" {
  description = "The ISP's tier: sizes the droplet and its volume (DESIGN.md §4)."
  type        = string

  validation {
    condition     = contains(["free", "basic", "premium", "enterprise"], var.tier)
    error_message = "tier must be one of free, basic, premium, enterprise."
  }
}

variable "region" {
  description = "The platform region (an AWS name, as registration takes it); mapped to a DigitalOcean region by local.regions."
  type        = string

  validation {
    # DigitalOcean has no datacentre in São Paulo or Tokyo: sa-east-1 and ap-northeast-1 cannot
    # be placed there.
    condition = contains([
      "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-2",
      "ap-southeast-1", "ap-southeast-2",
    ], var.region)
    error_message = "region must be a platform region DigitalOcean serves: us-east-1, us-west-2, eu-west-1, eu-central-1, eu-west-2, ap-southeast-1, ap-southeast-2 (not sa-east-1 or ap-northeast-1)."
  }
}

variable "domain" {
  description = "The ISP's domain, e.g. acme.example: gets a DigitalOcean domain with an A record at @."
  type        = string

  validation {
    # The rules registration applies (lowercase labels of letters, digits and inner hyphens; an
    # alphabetic or punycode top-level label), so a domain it accepted is accepted here.
    condition = length(var.domain) <= 253 && can(regex(
      "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$", var.domain
    ))
    error_message = "domain must be a lowercase fully qualified domain name such as acme.example, without a trailing dot."
  }
}

variable "platform_url" {
  description = "Where the ISP framework reaches the DotMac platform, e.g. https://platform.dotmac.example."
  type        = string

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.platform_url))
    error_message = "platform_url must be an http(s) URL without spaces."
  }
}

variable "image" {
  description = "Droplet image slug; the provisioning service's PROVISIONING_DIGITALOCEAN_IMAGE."
  type        = string
  default     = "ubuntu-24-04-x64"
}

variable "framework_image" {
  description = "Container image of the ISP framework the droplet runs (the same image the kubernetes provider deploys)."
  type        = string
  default     = "dotmac/isp-framework:latest"

  validation {
    condition     = can(regex("^[^\\s]+$", var.framework_image))
    error_message = "framework_image must be an image reference without spaces."
  }
}

variable "ssh_keys" {
  description = "IDs or fingerprints of SSH keys installed on the droplet. The firewall lets no SSH in: reach the droplet through the DigitalOcean console."
  type        = list(string)
  default     = []
}

variable "vpc_uuid" {
  description = "VPC of the droplet; null for the region's default VPC."
  type        = string
  default     = null
}
