"""The `aws` provider: an EC2 instance sized by tier, its security group, an S3 bucket for its
backups and a Route53 zone for the ISP's domain, all in the ISP's region and tagged with it.

Every resource is found again by a name or tag derived from the ISP (never by an id kept from an
earlier attempt), so each method can run again after a crash or a timeout and finds its own work:
a retried `provision` does not start a second instance. Configuration errors (credentials, quota,
a name owned by someone else, an invalid domain) fail at once with a reason; throttling and
connection errors are retried by the workflow.

The ISP framework the tenant is served by is reached through `serving` (in development and the
tests, the shared tenant-api behind the platform's gateway: a moto instance runs nothing), so the
onboarding's health check and routing work the same for every provider. The instance's user data
installs the framework on a real machine; see `infra/modules/aws-isp` for the same resources as
Terraform.
"""

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Tier
from provisioning.errors import ConfigurationError
from provisioning.onboarding.messages import Onboarding
from provisioning.providers.base import InstanceInfo, InstanceNotReady, user_data
from provisioning.providers.local import LocalProvider
from provisioning.providers.sizing import AWS_INSTANCE_TYPES

log = logging.getLogger(__name__)
T = TypeVar("T")

MANAGED_BY = "dotmac"
NONCURRENT_BACKUP_DAYS = 30  # as infra/modules/aws-isp
ALIVE = ["pending", "running", "stopping", "stopped"]
CONFIGURATION_ERRORS = {
    "AuthFailure",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "AccessDeniedException",
    "OptInRequired",
    "InstanceLimitExceeded",
    "VcpuLimitExceeded",
    "InsufficientInstanceCapacity",
    "InvalidAMIID.NotFound",
    "InvalidAMIID.Malformed",
    "InvalidDomainName",
    "InvalidInput",
    "TooManyHostedZones",
    "TooManyBuckets",
    "BucketAlreadyExists",
    "InvalidBucketName",
}


def names(onboarding: Onboarding) -> dict[str, str]:
    """The names every resource of the ISP is found by."""
    return {
        "instance": f"dotmac-isp-{onboarding.slug}",
        "security_group": f"dotmac-isp-{onboarding.slug}",
        "bucket": f"dotmac-isp-{onboarding.slug}-backups",
        "zone_reference": f"dotmac-isp-{onboarding.isp_id}",
    }


CALLS_AT_ONCE = 32


class AwsProvider:
    name = "aws"

    def __init__(
        self,
        *,
        serving: LocalProvider,
        image_id: str,
        endpoint_url: str | None = None,
        boot_wait_s: float = 60.0,
    ) -> None:
        self._serving = serving
        self._image_id = image_id
        self._endpoint_url = endpoint_url
        self._boot_wait_s = boot_wait_s
        self._clients: dict[tuple[str, str], Any] = {}
        self._config = Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            max_pool_connections=CALLS_AT_ONCE,
        )
        # boto3 blocks: its calls run on threads of their own, as many as onboardings may
        # make at once. On the loop's default executor (cores + 4 threads) a burst of
        # onboardings queued for threads while AWS answered.
        self._threads = ThreadPoolExecutor(CALLS_AT_ONCE, thread_name_prefix="aws")

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=self._config,
            )
        return self._clients[key]

    async def _call(self, what: str, call: Callable[[], T]) -> T:
        """Run a boto3 call off the event loop, sorting its errors into configuration errors
        (a person must act) and transient ones (the workflow retries)."""
        try:
            context = contextvars.copy_context()  # the trace goes on in the thread
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, partial(context.run, call)
            )
        except NoCredentialsError as error:
            raise ConfigurationError(
                f"AWS refused to {what}: no credentials are configured for the aws provider"
            ) from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in CONFIGURATION_ERRORS:
                message = error.response.get("Error", {}).get("Message", "")
                raise ConfigurationError(f"AWS refused to {what}: {code}: {message}") from error
            raise
        except BotoCoreError:
            raise

    # --- provision: security group, instance, backups bucket ------------------------------

    async def provision(self, onboarding: Onboarding) -> InstanceInfo:
        if not self._image_id:
            raise ConfigurationError(
                "the aws provider has no machine image: set PROVISIONING_AWS_IMAGE_ID to the "
                "AMI of the ISP framework"
            )
        ec2 = self._client("ec2", onboarding.region)
        group_id = await self._security_group(onboarding)
        instance = await self._find_instance(onboarding)
        if instance is None:
            tier = Tier(onboarding.tier)
            run = await self._call(
                "start the ISP's instance",
                lambda: ec2.run_instances(
                    ImageId=self._image_id,
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
                        {"ResourceType": "instance", "Tags": self._tags(onboarding)},
                        {"ResourceType": "volume", "Tags": self._tags(onboarding)},
                    ],
                ),
            )
            instance = run["Instances"][0]
        await self._bucket(onboarding)
        served = await self._serving.provision(onboarding)
        return InstanceInfo(
            host=served.host,
            url=served.url,
            detail=(
                f"EC2 {instance['InstanceId']} ({instance['InstanceType']}) in "
                f"{onboarding.region}, security group {group_id}, "
                f"backups in s3://{names(onboarding)['bucket']}"
            ),
        )

    def _tags(self, onboarding: Onboarding) -> list[dict[str, str]]:
        return [
            {"Key": "Name", "Value": names(onboarding)["instance"]},
            {"Key": "Tier", "Value": onboarding.tier},
            {"Key": "ISP", "Value": onboarding.isp_id},
            {"Key": "Region", "Value": onboarding.region},
            {"Key": "ManagedBy", "Value": MANAGED_BY},
        ]

    async def _find_instance(self, onboarding: Onboarding) -> dict[str, Any] | None:
        ec2 = self._client("ec2", onboarding.region)
        found = await self._call(
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

    async def _security_group(self, onboarding: Onboarding) -> str:
        ec2 = self._client("ec2", onboarding.region)
        name = names(onboarding)["security_group"]
        found = await self._call(
            "look up the ISP's security group",
            lambda: ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}]
            ),
        )
        if found["SecurityGroups"]:
            return str(found["SecurityGroups"][0]["GroupId"])
        created = await self._call(
            "create the ISP's security group",
            lambda: ec2.create_security_group(
                GroupName=name,
                Description=f"DotMac ISP {onboarding.slug}: HTTP and HTTPS in",
                TagSpecifications=[
                    {"ResourceType": "security-group", "Tags": self._tags(onboarding)}
                ],
            ),
        )
        group_id = str(created["GroupId"])
        await self._call(
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

    async def _bucket(self, onboarding: Onboarding) -> None:
        s3 = self._client("s3", onboarding.region)
        bucket = names(onboarding)["bucket"]
        where = (
            {}
            if onboarding.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": onboarding.region}}
        )
        try:
            await self._call(
                "create the ISP's backups bucket", lambda: s3.create_bucket(Bucket=bucket, **where)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
        await self._call(
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
        await self._call(
            "version the backups",
            lambda: s3.put_bucket_versioning(
                Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
            ),
        )
        await self._call(
            "encrypt the backups",
            lambda: s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            ),
        )
        await self._call(
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
        await self._call(
            "tag the backups bucket",
            lambda: s3.put_bucket_tagging(
                Bucket=bucket, Tagging={"TagSet": self._tags(onboarding)}
            ),
        )

    # --- deploy: the instance is up ----------------------------------------------------------

    async def deploy(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        await self._serving.deploy(onboarding, instance)
        return (
            f"EC2 {found['InstanceId']} is running at {found.get('PublicIpAddress', 'no IP')}; "
            "the ISP framework starts from its user data"
        )

    async def _running(self, onboarding: Onboarding) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._boot_wait_s
        while True:
            found = await self._find_instance(onboarding)
            if found is None:
                raise InstanceNotReady(f"no instance of {onboarding.slug} is alive")
            if found["State"]["Name"] == "running" and found.get("PublicIpAddress"):
                return found
            if loop.time() > deadline:
                raise InstanceNotReady(
                    f"EC2 {found['InstanceId']} is still {found['State']['Name']}"
                )
            await asyncio.sleep(1.0)

    # --- configure: DNS (and TLS, which Caddy on the instance obtains once DNS answers) -------

    async def configure(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        address = found["PublicIpAddress"]
        zone_id, nameservers = await self._zone(onboarding)
        route53 = self._client("route53", onboarding.region)
        await self._call(
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
                                "TTL": 300,
                                "ResourceRecords": [{"Value": address}],
                            },
                        }
                        for name in (onboarding.domain, f"www.{onboarding.domain}")
                    ],
                },
            ),
        )
        served = await self._serving.configure(onboarding, instance)
        return (
            f"{onboarding.domain} and www.{onboarding.domain} point at {address} (delegate the "
            f"domain to {', '.join(nameservers)}; the instance obtains its TLS certificate once "
            f"they answer). {served}"
        )

    async def _zone(self, onboarding: Onboarding) -> tuple[str, list[str]]:
        """The zone of the ISP's domain this provider made (found again by its reference)."""
        route53 = self._client("route53", onboarding.region)
        zone = await self._find_zone(onboarding)
        if zone is None:
            created = await self._call(
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
        detail = await self._call(
            "read the zone's name servers", lambda: route53.get_hosted_zone(Id=zone_id)
        )
        return zone_id, list(detail.get("DelegationSet", {}).get("NameServers", []))

    async def _find_zone(self, onboarding: Onboarding) -> dict[str, Any] | None:
        route53 = self._client("route53", onboarding.region)
        listed = await self._call(
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

    # --- validate -----------------------------------------------------------------------------

    async def validate(self, onboarding: Onboarding, instance: InstanceInfo) -> str:
        found = await self._running(onboarding)
        zone = await self._find_zone(onboarding)
        if zone is None:
            raise InstanceNotReady(f"no DNS zone for {onboarding.domain} yet")
        records = await self._records(zone["Id"], onboarding)
        if records.get(onboarding.domain) != [found["PublicIpAddress"]]:
            raise InstanceNotReady(
                f"{onboarding.domain} does not point at {found['PublicIpAddress']} yet"
            )
        return await self._serving.validate(onboarding, instance)

    async def _records(self, zone_id: str, onboarding: Onboarding) -> dict[str, list[str]]:
        route53 = self._client("route53", onboarding.region)
        listed = await self._call(
            "read the ISP's DNS records",
            lambda: route53.list_resource_record_sets(HostedZoneId=zone_id),
        )
        return {
            r["Name"].rstrip("."): [v["Value"] for v in r.get("ResourceRecords", [])]
            for r in listed["ResourceRecordSets"]
            if r["Type"] == "A"
        }

    # --- compensations ------------------------------------------------------------------------

    async def unconfigure(self, onboarding: Onboarding) -> None:
        """Delete the ISP's DNS records and the zone this provider made for them."""
        await self._serving.unconfigure(onboarding)
        zone = await self._find_zone(onboarding)
        if zone is None:
            return
        route53 = self._client("route53", onboarding.region)
        listed = await self._call(
            "read the ISP's DNS records",
            lambda: route53.list_resource_record_sets(HostedZoneId=zone["Id"]),
        )
        changes = [
            {"Action": "DELETE", "ResourceRecordSet": record}
            for record in listed["ResourceRecordSets"]
            if record["Type"] not in ("NS", "SOA")
        ]
        if changes:
            await self._call(
                "delete the ISP's DNS records",
                lambda: route53.change_resource_record_sets(
                    HostedZoneId=zone["Id"], ChangeBatch={"Changes": changes}
                ),
            )
        await self._call(
            "delete the ISP's DNS zone", lambda: route53.delete_hosted_zone(Id=zone["Id"])
        )

    async def deprovision(self, onboarding: Onboarding) -> None:
        """Terminate the instance, then delete its security group and the backups bucket."""
        ec2 = self._client("ec2", onboarding.region)
        instance = await self._find_instance(onboarding)
        if instance is not None:
            await self._call(
                "terminate the ISP's instance",
                lambda: ec2.terminate_instances(InstanceIds=[instance["InstanceId"]]),
            )
        found = await self._call(
            "look up the ISP's security group",
            lambda: ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [names(onboarding)["security_group"]]}]
            ),
        )
        for group in found["SecurityGroups"]:
            # Refused (DependencyViolation) while the terminating instance still holds it:
            # transient, so the compensation is retried until AWS lets it go.
            await self._call(
                "delete the ISP's security group",
                partial(ec2.delete_security_group, GroupId=group["GroupId"]),
            )
        await self._empty_and_delete_bucket(onboarding)

    async def _empty_and_delete_bucket(self, onboarding: Onboarding) -> None:
        s3 = self._client("s3", onboarding.region)
        bucket = names(onboarding)["bucket"]
        try:
            while True:
                listed = await self._call(
                    "list the backups", lambda: s3.list_object_versions(Bucket=bucket)
                )
                doomed = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
                ]
                if not doomed:
                    break
                await self._call(
                    "delete the backups",
                    partial(
                        s3.delete_objects,
                        Bucket=bucket,
                        Delete={"Objects": doomed[:1000], "Quiet": True},
                    ),
                )
            await self._call("delete the backups bucket", lambda: s3.delete_bucket(Bucket=bucket))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
                raise
