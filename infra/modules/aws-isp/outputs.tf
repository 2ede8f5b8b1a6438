output "instance_id" {
  description = "The ISP's EC2 instance."
  value       = aws_instance.isp.id
}

output "instance_type" {
  description = "The instance type the tier maps to."
  value       = aws_instance.isp.instance_type
}

output "public_ip" {
  description = "The instance's public IPv4 address, which the apex and www records point at."
  value       = aws_instance.isp.public_ip
}

output "security_group_id" {
  description = "The ISP's security group (80 and 443 in, everything out)."
  value       = aws_security_group.isp.id
}

output "backups_bucket" {
  description = "The S3 bucket for the ISP's backups."
  value       = aws_s3_bucket.backups.bucket
}

output "zone_id" {
  description = "The Route53 hosted zone of the ISP's domain."
  value       = aws_route53_zone.isp.zone_id
}

output "name_servers" {
  description = "Delegate the ISP's domain to these name servers; the instance obtains its TLS certificate once they answer."
  value       = aws_route53_zone.isp.name_servers
}

output "url" {
  description = "Where the ISP's instance answers once DNS is delegated."
  value       = "https://${var.domain}"
}
