output "droplet_id" {
  description = "The ISP's droplet."
  value       = digitalocean_droplet.isp.id
}

output "droplet_size" {
  description = "The droplet size the tier maps to."
  value       = digitalocean_droplet.isp.size
}

output "droplet_region" {
  description = "The DigitalOcean region the platform region maps to."
  value       = digitalocean_droplet.isp.region
}

output "ipv4_address" {
  description = "The droplet's public IPv4 address, which the @ record points at."
  value       = digitalocean_droplet.isp.ipv4_address
}

output "volume_id" {
  description = "The ISP's data volume, mounted at /var/lib/dotmac."
  value       = digitalocean_volume.data.id
}

output "firewall_id" {
  description = "The ISP's firewall (80 and 443 in, everything out)."
  value       = digitalocean_firewall.isp.id
}

output "domain" {
  description = "The DigitalOcean domain of the ISP; delegate it to ns1-3.digitalocean.com."
  value       = digitalocean_domain.isp.id
}

output "url" {
  description = "Where the ISP's instance answers once DNS is delegated."
  value       = "https://${var.domain}"
}
