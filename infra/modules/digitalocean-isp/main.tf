# One ISP on DigitalOcean: a droplet sized by tier in the DigitalOcean region of the ISP's platform
# region, a volume sized by the tier's storage, a firewall letting HTTP and HTTPS in, and a domain
# for the ISP with an A record at @ pointing at the droplet.

locals {
  # The same tables as provisioning.providers.sizing.DIGITALOCEAN_SIZES and DIGITALOCEAN_REGIONS
  # and the storage of dotmac_contracts.capacity.TIER_RESOURCES (1TB = 1000GB);
  # tests/deploy/test_infra.py keeps them equal.
  droplet_sizes = {
    free       = "s-1vcpu-2gb"
    basic      = "s-2vcpu-4gb"
    premium    = "s-4vcpu-8gb"
    enterprise = "s-8vcpu-16gb"
  }

  regions = {
    "us-east-1"      = "nyc3"
    "us-west-2"      = "sfo3"
    "eu-west-1"      = "ams3"
    "eu-central-1"   = "fra1"
    "eu-west-2"      = "lon1"
    "ap-southeast-1" = "sgp1"
    "ap-southeast-2" = "syd1"
  }

  storage_gb = {
    free       = 10
    basic      = 50
    premium    = 200
    enterprise = 1000
  }

  name        = "dotmac-isp-${var.slug}"
  volume_name = "${local.name}-data"
  # The droplet's and volume's tags are created by DigitalOcean on first use; they are not
  # resources here, since "dotmac" is shared by every ISP and must outlive any one of them.
  tags = ["dotmac", "isp-${var.isp_id}", "tier-${var.tier}"]
}

resource "digitalocean_volume" "data" {
  name                    = local.volume_name
  region                  = local.regions[var.region]
  size                    = local.storage_gb[var.tier]
  initial_filesystem_type = "ext4"
  description             = "DotMac ISP ${var.slug}: data (/var/lib/dotmac)"
  tags                    = local.tags
}

resource "digitalocean_droplet" "isp" {
  name       = local.name
  size       = local.droplet_sizes[var.tier]
  region     = local.regions[var.region]
  image      = var.image
  vpc_uuid   = var.vpc_uuid
  ssh_keys   = var.ssh_keys
  ipv6       = true
  monitoring = true
  # Attached at creation (not by a volume attachment afterwards), so cloud-init finds the volume
  # at first boot and mounts it.
  volume_ids = [digitalocean_volume.data.id]
  tags       = local.tags

  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    isp_id          = var.isp_id
    slug            = var.slug
    tier            = var.tier
    domain          = var.domain
    hostnames       = [var.domain]
    platform_url    = var.platform_url
    framework_image = var.framework_image
    data_device     = "/dev/disk/by-id/scsi-0DO_Volume_${local.volume_name}"
  })

  lifecycle {
    # DigitalOcean replaces a droplet whose user data changes, yet cloud-init runs it only at
    # first boot: a template change applies to droplets built from now on, not by rebuilding
    # running ISPs.
    ignore_changes = [user_data]
  }
}

resource "digitalocean_firewall" "isp" {
  name        = local.name
  droplet_ids = [digitalocean_droplet.isp.id]

  inbound_rule {
    protocol         = "tcp"
    port_range       = "80"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }

  inbound_rule {
    protocol         = "tcp"
    port_range       = "443"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "tcp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "udp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }

  outbound_rule {
    protocol              = "icmp"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
}

resource "digitalocean_domain" "isp" {
  name = var.domain
}

resource "digitalocean_record" "apex" {
  domain = digitalocean_domain.isp.id
  type   = "A"
  name   = "@"
  value  = digitalocean_droplet.isp.ipv4_address
  ttl    = 300
}
