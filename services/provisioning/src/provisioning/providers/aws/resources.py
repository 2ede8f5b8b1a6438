"""Each of an ISP's AWS resources, found again by a name or tag derived from the ISP (never by an
id kept from an earlier attempt) or made: so a retried step finds its own work, and a retried
`provision` does not start a second instance."""

from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.aws.client import AwsClient, error_code
from provisioning.providers.base import user_data
from provisioning.providers.sizing import AWS_INSTANCE_TYPES

MANAGED_BY = "dotmac"
NONCURRENT_BACKUP_DAYS = 30  # as infra/modules/aws-isp
ALIVE = ["pending", "running", "stopping", "stopped"]
RECORD_TTL = 300


def names(onboarding: Onboarding) -> dict[str, str]:
    """The names every resource of the ISP is found by."""
    return {
        "instance": f"dotmac-isp-{onboarding.slug}",
        "security_group": f"dotmac-isp-{onboarding.slug}",
        "bucket": f"dotmac-isp-{onboarding.slug}-backups",
        "zone_reference": f"dotmac-isp-{onboarding.isp_id}",
    }


def tags(onboarding: Onboarding) -> list[dict[str, str]]:
    return [
        {"Key": "Name", "Value": names(onboarding)["instance"]},
        {"Key": "Tier", "Value": onboarding.tier},
        {"Key": "ISP", "Value": onboarding.isp_id},
        {"Key": "Region", "Value": onboarding.region},
        {"Key": "ManagedBy", "Value": MANAGED_BY},
    ]


class AwsResources:
    def __init__(self, client: AwsClient, *, image_id: str) -> None:
        self._client = client
        self.image_id = image_id

    # --- instance ----------------------------------------------------------------------------

    async def instance(self, onboarding: Onboarding) -> dict[str, Any] | None:
        """The ISP's instance that is alive (not terminated), if any."""
        ec2 = self._client.service("ec2", onboarding.region)
        found = await self._client.call(
            "look up the ISP's instance",
            lambda: ec2.describe_instances(
                Filters=[
                    {"Name": "tag:ISP", "Values": [onboarding.isp_id]},
                    {"Name": "instance-state-name", "Values": ALIVE},
                ]
            ),
        )
        instances = [i for r in found["Reservations"] for i in r["Instances"]]
        return instances[0] if instances else None

    async def start_instance(self, onboarding: Onboarding, group_id: str) -> dict[str, Any]:
        """The ISP's instance, started if none is alive."""
        found = await self.instance(onboarding)
        if found is not None:
            return found
        ec2 = self._client.service("ec2", onboarding.region)
        tier = Tier(onboarding.tier)
        run = await self._client.call(
            "start the ISP's instance",
            lambda: ec2.run_instances(
                ImageId=self.image_id,
                InstanceType=AWS_INSTANCE_TYPES[tier],
                MinCount=1,
                MaxCount=1,
                SecurityGroupIds=[group_id],
                UserData=user_data(onboarding),
                BlockDeviceMappings=[
                    {
                        "DeviceName": "/dev/xvda",
                        "Ebs": {
                            "VolumeSize": TIER_RESOURCES[tier].storage_gb,
                            "VolumeType": "gp3",
                            "Encrypted": True,
                            "DeleteOnTermination": True,
                        },
                    }
                ],
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": tags(onboarding)},
                    {"ResourceType": "volume", "Tags": tags(onboarding)},
                ],
            ),
        )
        return dict(run["Instances"][0])

    async def terminate_instance(self, onboarding: Onboarding) -> None:
        instance = await self.instance(onboarding)
        if instance is not None:
            ec2 = self._client.service("ec2", onboarding.region)
            await self._client.call(
                "terminate the ISP's instance",
                lambda: ec2.terminate_instances(InstanceIds=[instance["InstanceId"]]),
            )

    # --- security group ----------------------------------------------------------------------

    async def security_groups(self, onboarding: Onboarding) -> list[dict[str, Any]]:
        ec2 = self._client.service("ec2", onboarding.region)
        name = names(onboarding)["security_group"]
        found = await self._client.call(
            "look up the ISP's security group",
            lambda: ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}]
            ),
        )
        return list(found["SecurityGroups"])

    async def security_group(self, onboarding: Onboarding) -> str:
        """The id of the ISP's security group (HTTP and HTTPS in), made if it has none."""
        found = await self.security_groups(onboarding)
        if found:
            return str(found[0]["GroupId"])
        ec2 = self._client.service("ec2", onboarding.region)
        created = await self._client.call(
            "create the ISP's security group",
            lambda: ec2.create_security_group(
                GroupName=names(onboarding)["security_group"],
                Description=f"DotMac ISP {onboarding.slug}: HTTP and HTTPS in",
                TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(onboarding)}],
            ),
        )
        group_id = str(created["GroupId"])
        await self._client.call(
            "open HTTP and HTTPS on the ISP's security group",
            lambda: ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                        "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                    }
                    for port in (80, 443)
                ],
            ),
        )
        return group_id

    async def delete_security_groups(self, onboarding: Onboarding) -> None:
        ec2 = self._client.service("ec2", onboarding.region)
        for group in await self.security_groups(onboarding):
            # Refused (DependencyViolation) while the terminating instance still holds it:
            # transient, so the compensation is retried until AWS lets it go.
            await self._client.call(
                "delete the ISP's security group",
                partial(ec2.delete_security_group, GroupId=group["GroupId"]),
            )

    # --- backups bucket ----------------------------------------------------------------------

    async def bucket(self, onboarding: Onboarding) -> None:
        """The ISP's backups bucket: private, versioned, encrypted, replaced versions expired."""
        call = self._client.call
        s3 = self._client.service("s3", onboarding.region)
        bucket = names(onboarding)["bucket"]
        where = (
            {}
            if onboarding.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": onboarding.region}}
        )
        try:
            await call(
                "create the ISP's backups bucket", lambda: s3.create_bucket(Bucket=bucket, **where)
            )
        except ClientError as error:
            if error_code(error) != "BucketAlreadyOwnedByYou":
                raise
        await call(
            "keep the backups private",
            lambda: s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            ),
        )
        await call(
            "version the backups",
            lambda: s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            ),
        )
        await call(
            "encrypt the backups",
            lambda: s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            ),
        )
        await call(
            "expire replaced backups",
            lambda: s3.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "expire-noncurrent-backups",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "NoncurrentVersionExpiration": {
                                "NoncurrentDays": NONCURRENT_BACKUP_DAYS
                            },
                        }
                    ]
                },
            ),
        )
        await call(
            "tag the backups bucket",
            lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(onboarding)}),
        )

    async def delete_bucket(self, onboarding: Onboarding) -> None:
        """Empty the backups bucket (every version) and delete it; done if it is gone."""
        s3 = self._client.service("s3", onboarding.region)
        bucket = names(onboarding)["bucket"]
        try:
            while True:
                listed = await self._client.call(
                    "list the backups", lambda: s3.list_object_versions(Bucket=bucket)
                )
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
                ]
                if not doomed:
                    break
                await self._client.call(
                    "delete the backups",
                    partial(
                        s3.delete_objects,
                        Bucket=bucket,
                        Delete={"Objects": doomed[:1000], "Quiet": True},
                    ),
                )
            await self._client.call(
                "delete the backups bucket", lambda: s3.delete_bucket(Bucket=bucket)
            )
        except ClientError as error:
            if error_code(error) != "NoSuchBucket":
                raise

    # --- DNS zone ----------------------------------------------------------------------------

    async def zone(self, onboarding: Onboarding) -> dict[str, Any] | None:
        """The zone of the ISP's domain this provider made (found again by its comment)."""
        route53 = self._client.service("route53", onboarding.region)
        listed = await self._client.call(
            "look up the ISP's DNS zone",
            lambda: route53.list_hosted_zones_by_name(DNSName=onboarding.domain),
        )
        for zone in listed["HostedZones"]:
            if (
                zone["Name"].rstrip(".") == onboarding.domain
                and zone.get("Config", {}).get("Comment", "") == f"DotMac ISP {onboarding.isp_id}"
            ):
                return dict(zone)
        return None

    async def claim_zone(self, onboarding: Onboarding) -> tuple[str, list[str]]:
        """The id and name servers of the ISP's zone, made if it has none."""
        route53 = self._client.service("route53", onboarding.region)
        zone = await self.zone(onboarding)
        if zone is None:
            created = await self._client.call(
                f"create a DNS zone for {onboarding.domain}",
                lambda: route53.create_hosted_zone(
                    Name=onboarding.domain,
                    CallerReference=names(onboarding)["zone_reference"],
                    HostedZoneConfig={
                        "Comment": f"DotMac ISP {onboarding.isp_id}",
                        "PrivateZone": False,
                    },
                ),
            )
            zone = created["HostedZone"]
        zone_id = zone["Id"]
        detail = await self._client.call(
            "read the zone's name servers", lambda: route53.get_hosted_zone(Id=zone_id)
        )
        return zone_id, list(detail.get("DelegationSet", {}).get("NameServers", []))

    async def point(self, onboarding: Onboarding, zone_id: str, address: str) -> None:
        """The ISP's domain and its www. at `address` (A records, upserted)."""
        route53 = self._client.service("route53", onboarding.region)
        await self._client.call(
            f"point {onboarding.domain} at the instance",
            lambda: route53.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={
                    "Comment": f"DotMac ISP {onboarding.isp_id}",
                    "Changes": [
                        {
                            "Action": "UPSERT",
                            "ResourceRecordSet": {
                                "Name": name,
                                "Type": "A",
                                "TTL": RECORD_TTL,
                                "ResourceRecords": [{"Value": address}],
                            },
                        }
                        for name in (onboarding.domain, f"www.{onboarding.domain}")
                    ],
                },
            ),
        )

    async def addresses(self, onboarding: Onboarding, zone_id: str) -> dict[str, list[str]]:
        """Each name's A records in the zone."""
        return {
            record["Name"].rstrip("."): [v["Value"] for v in record.get("ResourceRecords", [])]
            for record in await self._record_sets(onboarding, zone_id)
            if record["Type"] == "A"
        }

    async def _record_sets(self, onboarding: Onboarding, zone_id: str) -> list[dict[str, Any]]:
        route53 = self._client.service("route53", onboarding.region)
        listed = await self._client.call(
            "read the ISP's DNS records",
            lambda: route53.list_resource_record_sets(HostedZoneId=zone_id),
        )
        return list(listed["ResourceRecordSets"])

    async def delete_zone(self, onboarding: Onboarding) -> None:
        """Delete the ISP's DNS records and the zone this provider made for them."""
        zone = await self.zone(onboarding)
        if zone is None:
            return
        route53 = self._client.service("route53", onboarding.region)
        changes = [
            {"Action": "DELETE", "ResourceRecordSet": record}
            for record in await self._record_sets(onboarding, zone["Id"])
            if record["Type"] not in ("NS", "SOA")
        ]
        if changes:
            await self._client.call(
                "delete the ISP's DNS records",
                lambda: route53.change_resource_record_sets(
                    HostedZoneId=zone["Id"], ChangeBatch={"Changes": changes}
                ),
            )
        await self._client.call(
            "delete the ISP's DNS zone", lambda: route53.delete_hosted_zone(Id=zone["Id"])
        )
