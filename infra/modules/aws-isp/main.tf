# One ISP on AWS: the resources the provisioning service's `aws` provider creates at onboarding
# (services/provisioning/src/provisioning/providers/aws.py), named and tagged the same way, so an
# ISP built by either can be recognised by the other's names.

locals {
  # The same tables as provisioning.providers.sizing.AWS_INSTANCE_TYPES and the storage of
  # dotmac_contracts.capacity.TIER_RESOURCES (1TB = 1000GB); tests/deploy/test_infra.py keeps them
  # equal.
  instance_types = {
    free       = "t3.small"
    basic      = "t3.medium"
    premium    = "t3.large"
    enterprise = "m6i.xlarge"
  }

  storage_gb = {
    free       = 10
    basic      = 50
    premium    = 200
    enterprise = 1000
  }

  name = "dotmac-isp-${var.slug}"

  tags = {
    Name      = local.name
    Tier      = var.tier
    ISP       = var.isp_id
    Region    = var.region
    ManagedBy = "dotmac"
  }
}

data "aws_region" "current" {}

resource "aws_security_group" "isp" {
  name        = local.name
  description = "DotMac ISP ${var.slug}: HTTP and HTTPS in"
  vpc_id      = var.vpc_id
  tags        = local.tags

  # Inline rules are authoritative: a rule added by hand outside Terraform is removed on the next
  # apply, so the group stays "80 and 443 in, nothing else".
  ingress {
    description      = "HTTP (redirects to HTTPS; answers the ACME challenge)"
    protocol         = "tcp"
    from_port        = 80
    to_port          = 80
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  ingress {
    description      = "HTTPS"
    protocol         = "tcp"
    from_port        = 443
    to_port          = 443
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  egress {
    description      = "Everything out (packages, the container image, the platform)"
    protocol         = "-1"
    from_port        = 0
    to_port          = 0
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  lifecycle {
    precondition {
      condition     = (var.vpc_id == null) == (var.subnet_id == null)
      error_message = "Set vpc_id and subnet_id together (or neither, for the default VPC)."
    }
  }
}

resource "aws_instance" "isp" {
  ami                         = var.image_id
  instance_type               = local.instance_types[var.tier]
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.isp.id]
  associate_public_ip_address = true

  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    isp_id          = var.isp_id
    slug            = var.slug
    tier            = var.tier
    domain          = var.domain
    hostnames       = [var.domain, "www.${var.domain}"]
    platform_url    = var.platform_url
    framework_image = var.framework_image
    data_device     = "" # the root volume holds the data
  })

  root_block_device {
    volume_type           = "gp3"
    volume_size           = local.storage_gb[var.tier]
    encrypted             = true
    delete_on_termination = true
  }

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  tags        = local.tags
  volume_tags = local.tags

  lifecycle {
    # The provisioning service places the ISP in var.region; a provider for another region
    # would build it elsewhere under the same tags.
    precondition {
      condition     = data.aws_region.current.name == var.region
      error_message = "The aws provider passed to this module must be configured for var.region."
    }

    # Cloud-init runs the user data once, at first boot: a change to the template would only
    # restart the running ISP without effect, so it applies to instances built from now on.
    ignore_changes = [user_data]
  }
}

resource "aws_s3_bucket" "backups" {
  bucket = "${local.name}-backups"
  tags   = local.tags
}

resource "aws_s3_bucket_public_access_block" "backups" {
  bucket                  = aws_s3_bucket.backups.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    id     = "expire-noncurrent-backups"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.backup_noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # A lifecycle rule on noncurrent versions needs versioning switched on first.
  depends_on = [aws_s3_bucket_versioning.backups]
}

resource "aws_route53_zone" "isp" {
  name = var.domain
  # The provisioning service finds the zone it made again by this comment.
  comment = "DotMac ISP ${var.isp_id}"
  tags    = local.tags
}

resource "aws_route53_record" "isp" {
  for_each = {
    apex = var.domain
    www  = "www.${var.domain}"
  }

  zone_id = aws_route53_zone.isp.zone_id
  name    = each.value
  type    = "A"
  ttl     = 300
  # The instance's public IP: it changes if the instance is stopped and started, and the next
  # apply (or the provisioning service's configure step) points the records at the new one.
  records = [aws_instance.isp.public_ip]
}
