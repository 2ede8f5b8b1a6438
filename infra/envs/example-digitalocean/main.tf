# Four example ISPs on DigitalOcean, one per tier, built with modules/digitalocean-isp. Copy this
# directory for a real environment and replace the ids, slugs and domains with the ones
# registration issued.
#
# The provider reads its token from DIGITALOCEAN_TOKEN; none belongs in this file.
#
# Keep the state remote and locked for anything real, e.g. in a DigitalOcean Space through the S3
# backend (Spaces has no locking: run applies from one place, or keep the state in S3 instead):
#
#   terraform {
#     backend "s3" {
#       bucket                      = "dotmac-terraform-state"
#       key                         = "isps/digitalocean.tfstate"
#       region                      = "us-east-1"
#       endpoints                   = { s3 = "https://fra1.digitaloceanspaces.com" }
#       skip_credentials_validation = true
#       skip_region_validation      = true
#       skip_requesting_account_id  = true
#       skip_s3_checksum            = true
#     }
#   }

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.0"
    }
  }
}

# Unlike AWS, one DigitalOcean provider serves every region: the module picks the droplet's
# region from the ISP's platform region.
provider "digitalocean" {}

variable "platform_url" {
  description = "Where the ISP frameworks reach the DotMac platform."
  type        = string
  default     = "https://platform.dotmac.example"
}

variable "ssh_keys" {
  description = "SSH key ids or fingerprints to install on every droplet."
  type        = list(string)
  default     = []
}

module "isp_free" {
  source = "../../modules/digitalocean-isp"

  isp_id       = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a01"
  slug         = "hudson-valley-net"
  tier         = "free"
  region       = "us-east-1" # nyc3
  domain       = "hudson-valley-net.example"
  platform_url = var.platform_url
  ssh_keys     = var.ssh_keys
}

module "isp_basic" {
  source = "../../modules/digitalocean-isp"

  isp_id       = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a02"
  slug         = "thames-link"
  tier         = "basic"
  region       = "eu-west-2" # lon1
  domain       = "thames-link.example"
  platform_url = var.platform_url
  ssh_keys     = var.ssh_keys
}

module "isp_premium" {
  source = "../../modules/digitalocean-isp"

  isp_id       = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a03"
  slug         = "rhein-glasfaser"
  tier         = "premium"
  region       = "eu-central-1" # fra1
  domain       = "rhein-glasfaser.example"
  platform_url = var.platform_url
  ssh_keys     = var.ssh_keys
}

module "isp_enterprise" {
  source = "../../modules/digitalocean-isp"

  isp_id          = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a04"
  slug            = "harbour-city-telecom"
  tier            = "enterprise"
  region          = "ap-southeast-2" # syd1
  domain          = "harbour-city-telecom.example"
  platform_url    = var.platform_url
  ssh_keys        = var.ssh_keys
  framework_image = "registry.example.com/dotmac/isp-framework:1.4.2"
}

locals {
  isps = {
    "hudson-valley-net"    = module.isp_free
    "thames-link"          = module.isp_basic
    "rhein-glasfaser"      = module.isp_premium
    "harbour-city-telecom" = module.isp_enterprise
  }
}

output "isps" {
  description = "Per ISP: its droplet, region and address."
  value = {
    for slug, isp in local.isps : slug => {
      droplet_id     = isp.droplet_id
      droplet_size   = isp.droplet_size
      droplet_region = isp.droplet_region
      ipv4_address   = isp.ipv4_address
      url            = isp.url
    }
  }
}
