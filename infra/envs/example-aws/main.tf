# Four example ISPs on AWS, one per tier, built with modules/aws-isp. Copy this directory for a
# real environment and replace the ids, slugs and domains with the ones registration issued.
#
# Credentials come from the usual AWS environment (AWS_PROFILE, or the instance role of the
# machine running Terraform); none belong in this file.
#
# Keep the state remote and locked for anything real, e.g. an S3 backend (Terraform >= 1.10
# locks with use_lockfile; older versions use a DynamoDB table):
#
#   terraform {
#     backend "s3" {
#       bucket       = "dotmac-terraform-state"
#       key          = "isps/aws.tfstate"
#       region       = "us-east-1"
#       encrypt      = true
#       use_lockfile = true
#     }
#   }

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

# One provider per region an ISP is placed in: the module builds in its provider's region and
# checks that it is the ISP's region.
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
}

variable "image_id" {
  description = "AMI the ISP instances start from (Ubuntu 24.04 or the ISP framework image) in us-east-1."
  type        = string
}

variable "image_id_eu_west_1" {
  description = "The same image in eu-west-1 (AMI ids differ between regions)."
  type        = string
}

variable "platform_url" {
  description = "Where the ISP frameworks reach the DotMac platform."
  type        = string
  default     = "https://platform.dotmac.example"
}

module "isp_free" {
  source = "../../modules/aws-isp"

  isp_id       = "0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d21"
  slug         = "prairie-wireless"
  tier         = "free"
  region       = "us-east-1"
  domain       = "prairie-wireless.example"
  image_id     = var.image_id
  platform_url = var.platform_url
}

module "isp_basic" {
  source = "../../modules/aws-isp"

  isp_id       = "0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d22"
  slug         = "acme-fiber"
  tier         = "basic"
  region       = "us-east-1"
  domain       = "acme-fiber.example"
  image_id     = var.image_id
  platform_url = var.platform_url
}

module "isp_premium" {
  source    = "../../modules/aws-isp"
  providers = { aws = aws.eu_west_1 }

  isp_id       = "0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d23"
  slug         = "liffey-broadband"
  tier         = "premium"
  region       = "eu-west-1"
  domain       = "liffey-broadband.example"
  image_id     = var.image_id_eu_west_1
  platform_url = var.platform_url
}

module "isp_enterprise" {
  source    = "../../modules/aws-isp"
  providers = { aws = aws.eu_west_1 }

  isp_id                 = "0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d24"
  slug                   = "atlantic-telecom"
  tier                   = "enterprise"
  region                 = "eu-west-1"
  domain                 = "atlantic-telecom.example"
  image_id               = var.image_id_eu_west_1
  platform_url           = var.platform_url
  framework_image        = "registry.example.com/dotmac/isp-framework:1.4.2"
  backup_noncurrent_days = 90
}

locals {
  isps = {
    "prairie-wireless" = module.isp_free
    "acme-fiber"       = module.isp_basic
    "liffey-broadband" = module.isp_premium
    "atlantic-telecom" = module.isp_enterprise
  }
}

output "isps" {
  description = "Per ISP: its instance, address, backups bucket and the name servers to delegate its domain to."
  value = {
    for slug, isp in local.isps : slug => {
      instance_id    = isp.instance_id
      instance_type  = isp.instance_type
      public_ip      = isp.public_ip
      backups_bucket = isp.backups_bucket
      name_servers   = isp.name_servers
      url            = isp.url
    }
  }
}
