"""Onboarding on the aws provider, against moto's AWS APIs: an ISP registered in the region the
platform places on AWS gets its instance, security group, backups bucket and DNS zone and goes
active; a failure injected at every step leaves nothing behind in AWS, the database, tenant-api
or the gateway; and a worker killed in the middle finishes the onboarding exactly once."""

import asyncio
import os
import signal
import time
import uuid
from typing import Any

import boto3
import pytest

from dotmac_contracts.vocabulary import DeploymentStep
from provisioning.providers.aws import AwsProvider

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def ec2(platform):
    return boto3.client("ec2", region_name=platform.aws_region, **_keys(platform))


def route53(platform):
    return boto3.client("route53", region_name=platform.aws_region, **_keys(platform))


def s3(platform):
    return boto3.client("s3", region_name=platform.aws_region, **_keys(platform))


def _keys(platform) -> dict[str, str]:
    env = platform.aws.client_environment()
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }


def alive_instances(platform, isp_id: str) -> list[dict[str, Any]]:
    found = ec2(platform).describe_instances(
        Filters=[
            {"Name": "tag:ISP", "Values": [isp_id]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )
    return [i for r in found["Reservations"] for i in r["Instances"]]


def security_groups(platform, slug: str) -> list[dict[str, Any]]:
    return ec2(platform).describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"dotmac-isp-{slug}"]}]
    )["SecurityGroups"]


def buckets(platform, slug: str) -> list[str]:
    return [
        b["Name"]
        for b in s3(platform).list_buckets()["Buckets"]
        if b["Name"] == f"dotmac-isp-{slug}-backups"
    ]


def zones(platform, domain: str) -> list[dict[str, Any]]:
    listed = route53(platform).list_hosted_zones_by_name(DNSName=domain)["HostedZones"]
    return [z for z in listed if z["Name"].rstrip(".") == domain]


def a_records(platform, zone_id: str) -> dict[str, list[str]]:
    listed = route53(platform).list_resource_record_sets(HostedZoneId=zone_id)
    return {
        r["Name"].rstrip("."): [v["Value"] for v in r["ResourceRecords"]]
        for r in listed["ResourceRecordSets"]
        if r["Type"] == "A"
    }


def on_aws(platform, name: str) -> dict:
    return platform.registration(name, region=platform.aws_region)


async def test_an_isp_placed_on_aws_gets_its_instance_dns_and_backups_and_goes_active(
    platform, http
):
    body = on_aws(platform, "Harbour Fiber")
    body["tier"] = "premium"
    accepted = (await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)).json()
    status = await platform.wait_for_state(
        http, platform.gateway_url + accepted["status_url"], {"active", "rolled_back"}
    )
    assert status["state"] == "active", status["error"]
    assert status["provider"] == "aws"
    assert [s["status"] for s in status["steps"]] == ["completed"] * len(DeploymentStep)
    isp_id, slug, domain = accepted["isp_id"], accepted["slug"], body["domain"]

    [instance] = alive_instances(platform, isp_id)
    assert instance["InstanceType"] == "t3.large"  # the premium size
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags == {
        "Name": f"dotmac-isp-{slug}",
        "Tier": "premium",
        "ISP": isp_id,
        "Region": platform.aws_region,
        "ManagedBy": "dotmac",
    }
    [group] = security_groups(platform, slug)
    assert [group["GroupId"]] == [g["GroupId"] for g in instance["SecurityGroups"]]
    assert sorted(p["FromPort"] for p in group["IpPermissions"]) == [80, 443]
    assert buckets(platform, slug) == [f"dotmac-isp-{slug}-backups"]
    versioning = s3(platform).get_bucket_versioning(Bucket=f"dotmac-isp-{slug}-backups")
    assert versioning["Status"] == "Enabled"
    encryption = s3(platform).get_bucket_encryption(Bucket=f"dotmac-isp-{slug}-backups")
    [rule] = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    [zone] = zones(platform, domain)
    records = a_records(platform, zone["Id"])
    assert records == {
        domain: [instance["PublicIpAddress"]],
        f"www.{domain}": [instance["PublicIpAddress"]],
    }
    configuring = next(s for s in status["steps"] if s["name"] == "configuring")
    assert instance["PublicIpAddress"] in configuring["detail"]
    # The tenant answers through the gateway, like any other.
    health = await http.get(
        f"{platform.gateway_url}/api/v1/tenant/health", headers={"Host": f"{slug}.localhost"}
    )
    assert health.status_code == 200 and health.json()["tenant_id"] == isp_id


async def test_a_region_placed_on_aws_is_refused_for_eu_data_outside_the_eu(platform, http):
    body = platform.registration("Resident Fiber")
    body["data_residency"] = "eu"
    refused = await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)
    assert refused.status_code == 422
    assert "us-east-1" in refused.text and "eu-west-1" in refused.text
    body["region"] = platform.aws_region
    accepted = await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)
    assert accepted.status_code == 202, accepted.text


# --- A failure at every step, on a worker of this test's own --------------------------------


@pytest.mark.parametrize("step", [s.value for s in DeploymentStep])
async def test_a_failure_at_any_step_is_rolled_back_leaving_nothing_behind(platform, faults, step):
    os.environ.update(platform.aws.client_environment())
    onboarding = faults.onboarding(provider="aws", region=platform.aws_region)
    await faults.fail_at(
        step,
        onboarding,
        lambda serving: AwsProvider(serving=serving, image_id=platform.aws_image, boot_wait_s=5),
    )
    # Nothing is left in AWS (`fail_at` checked the gateway, tenant-api and provisioning).
    assert alive_instances(platform, onboarding.isp_id) == []
    assert security_groups(platform, onboarding.slug) == []
    assert buckets(platform, onboarding.slug) == []
    assert zones(platform, onboarding.domain) == []


# --- The worker killed in the middle --------------------------------------------------------


async def test_a_worker_killed_mid_onboarding_finishes_it_exactly_once_when_restarted(
    platform, http
):
    worker = platform.processes["provisioning"]
    body = on_aws(platform, "Phoenix Fiber")
    owner = f"owner-{uuid.uuid4().hex[:8]}@phoenix.example"
    body["contacts"]["primary"] = {"name": "Pat", "email": owner}
    accepted = (await http.post(f"{platform.gateway_url}/api/v1/isp/register", json=body)).json()
    url = platform.gateway_url + accepted["status_url"]
    killed_in = None
    for _ in range(1000):
        state = (await http.get(url)).json()["state"]
        if state != "registered":
            killed_in = state
            os.kill(worker.pid, signal.SIGKILL)
            break
        await asyncio.sleep(0.005)
    assert killed_in is not None
    assert killed_in not in ("active", "failed", "rolled_back"), "killed too late to prove it"
    await asyncio.to_thread(_wait_dead, worker)
    worker.start()
    await asyncio.to_thread(worker.wait_ready, 60)

    status = await platform.wait_for_state(http, url, {"active", "rolled_back"}, timeout=60)
    assert status["state"] == "active", status
    isp_id, slug, domain = accepted["isp_id"], accepted["slug"], body["domain"]
    assert len(alive_instances(platform, isp_id)) == 1
    assert len(security_groups(platform, slug)) == 1
    [zone] = zones(platform, domain)
    assert len(a_records(platform, zone["Id"])[domain]) == 1
    for _ in range(100):
        welcomes = [m for m in platform.mail.messages() if m["To"] == owner]
        if welcomes:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a second welcome, if any, would have arrived by now
    assert len([m for m in platform.mail.messages() if m["To"] == owner]) == 1


def _wait_dead(process) -> None:
    for _ in range(200):
        if not process.is_running():
            return
        time.sleep(0.05)
    raise AssertionError("the killed worker is still running")
