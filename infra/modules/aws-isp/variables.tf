variable "isp_id" {
  description = "The ISP's id (a UUID, as registration issued it); tagged on every resource as ISP."
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
    # 40 characters at most, as registration makes them; it keeps the bucket name within 63.
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$", var.slug))
    error_message = "slug must be 1-40 lowercase letters, digits or hyphens, not starting or ending with a hyphen."
  }
}

variable "tier" {
  description = "The ISP's tier: sizes the instance and its disk (DESIGN.md §4)."
  type        = string

  validation {
    condition     = contains(["free", "basic", "premium", "enterprise"], var.tier)
    error_message = "tier must be one of free, basic, premium, enterprise."
  }
}

variable "region" {
  description = "The platform region the ISP is placed in; it must be the region of the aws provider passed to this module."
  type        = string

  validation {
    condition = contains([
      "us-east-1", "us-west-2", "sa-east-1", "eu-west-1", "eu-central-1", "eu-west-2",
      "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
    ], var.region)
    error_message = "region must be one of the platform's regions: us-east-1, us-west-2, sa-east-1, eu-west-1, eu-central-1, eu-west-2, ap-southeast-1, ap-southeast-2, ap-northeast-1."
  }
}

variable "domain" {
  description = "The ISP's domain, e.g. acme.example: gets a hosted zone with A records at the apex and www."
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

variable "image_id" {
  description = "AMI the instance starts from (an Ubuntu 24.04 or the ISP framework image); the provisioning service's PROVISIONING_AWS_IMAGE_ID."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.image_id))
    error_message = "image_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "framework_image" {
  description = "Container image of the ISP framework the instance runs (the same image the kubernetes provider deploys)."
  type        = string
  default     = "dotmac/isp-framework:latest"

  validation {
    condition     = can(regex("^[^\\s]+$", var.framework_image))
    error_message = "framework_image must be an image reference without spaces."
  }
}

variable "vpc_id" {
  description = "VPC of the security group; null for the region's default VPC. Set together with subnet_id."
  type        = string
  default     = null
}

variable "subnet_id" {
  description = "Public subnet of the instance; null for a default subnet of the default VPC. Set together with vpc_id."
  type        = string
  default     = null
}

variable "backup_noncurrent_days" {
  description = "Days an overwritten or deleted backup is kept before the bucket expires it."
  type        = number
  default     = 30

  validation {
    condition     = var.backup_noncurrent_days >= 1 && floor(var.backup_noncurrent_days) == var.backup_noncurrent_days
    error_message = "backup_noncurrent_days must be a whole number of days, at least 1."
  }
}
