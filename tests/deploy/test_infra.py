"""The Terraform modules in infra/ build what the provisioning service's providers build: the same
machine sizes, regions and disk sizes per tier (read from the tables the service uses), the same
names and tags, and only the inputs the platform itself accepts.

Terraform cannot download providers here, so the modules' behaviour is checked offline: the .tf
files are parsed with python-hcl2, and Terraform evaluates a stand-in of each module (its
variables, locals, and the machine's tags and user data, without the cloud resources), which needs
no provider. `terraform validate` of the examples runs where TF_PLUGIN_CACHE_DIR holds the
providers.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from dotmac_contracts.capacity import TIER_RESOURCES
from dotmac_contracts.vocabulary import Region, Tier
from provisioning.providers.sizing import (
    AWS_INSTANCE_TYPES,
    DIGITALOCEAN_REGIONS,
    DIGITALOCEAN_SIZES,
)

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MODULES = INFRA / "modules"
AWS = MODULES / "aws-isp"
DIGITALOCEAN = MODULES / "digitalocean-isp"
TEMPLATE = "templates/cloud-init.yaml.tftpl"
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None, reason="terraform is not on PATH (the image normally has it)"
)

ISP_ID = "0b6c1d7e-5f3a-4c2b-9d8e-7f6a5b4c3d2e"
PLATFORM_URL = "https://platform.dotmac.example"
VALID = {
    "aws-isp": {
        "isp_id": ISP_ID,
        "slug": "acme-fiber",
        "tier": "basic",
        "region": "eu-west-1",
        "domain": "acme-fiber.example",
        "platform_url": PLATFORM_URL,
        "image_id": "ami-0123456789abcdef0",
    },
    "digitalocean-isp": {
        "isp_id": ISP_ID,
        "slug": "acme-fiber",
        "tier": "basic",
        "region": "eu-west-1",
        "domain": "acme-fiber.example",
        "platform_url": PLATFORM_URL,
    },
}
MACHINE = {"aws-isp": "aws_instance", "digitalocean-isp": "digitalocean_droplet"}
REGIONS = {
    "aws-isp": {region.value for region in Region},
    "digitalocean-isp": {region.value for region in DIGITALOCEAN_REGIONS},
}
STORAGE_GB = {tier.value: resources.storage_gb for tier, resources in TIER_RESOURCES.items()}
ANYWHERE = {"0.0.0.0/0", "::/0"}


# --- reading the modules -------------------------------------------------------------------------

PLAIN = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


def parse(path: Path) -> dict[str, Any]:
    with path.open() as file:
        return hcl2.load(file, serialization_options=PLAIN)


def blocks(module: Path, kind: str) -> list[dict[str, Any]]:
    """Every top-level block of one kind (resource, variable, locals...) in the module's files."""
    return [block for tf in sorted(module.glob("*.tf")) for block in parse(tf).get(kind, [])]


def local_values(module: Path) -> dict[str, Any]:
    return {name: value for block in blocks(module, "locals") for name, value in block.items()}


def resource(module: Path, kind: str, name: str) -> dict[str, Any]:
    found = [
        block[kind][name] for block in blocks(module, "resource") if name in block.get(kind, {})
    ]
    assert len(found) == 1, f"{module.name} should declare one {kind}.{name}, found {len(found)}"
    return found[0]


def validation_list(module: Path, variable: str) -> list[str]:
    """The literal list a variable's `contains([...], var.x)` validation accepts."""
    (declared,) = [block[variable] for block in blocks(module, "variable") if variable in block]
    for rule in declared.get("validation", []):
        found = re.search(rf"contains\(\[(.*?)\],\s*var\.{variable}\)", rule["condition"], re.S)
        if found:
            return json.loads(f"[{found.group(1).rstrip().rstrip(',')}]")
    raise AssertionError(f"{module.name}: var.{variable} has no contains([...]) validation")


def tf_files() -> list[Path]:
    return sorted(INFRA.rglob("*.tf"))


# --- running Terraform offline -------------------------------------------------------------------


def terraform(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    # The validate test passes the cache as -plugin-dir; left set too, Terraform would try to
    # install the cached provider into the cache ("to itself") and fail.
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return subprocess.run(
        [TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def stand_in(module: Path, where: Path) -> Path:
    """The module without its cloud resources: its variables (verbatim) and locals, with the tags
    and user data of its machine as outputs. Terraform evaluates it with no provider."""
    where.mkdir()
    shutil.copy(module / "variables.tf", where)
    shutil.copytree(module / "templates", where / "templates")
    with (module / "main.tf").open() as file:
        main = hcl2.load(file)  # the round-trip form, which hcl2.dumps writes back
    machine = f'"{MACHINE[module.name]}"'
    (body,) = [block[machine]['"isp"'] for block in main["resource"] if machine in block]
    outputs = [
        {f'"{name}"': {"value": body[name], "__is_block__": True}} for name in ("tags", "user_data")
    ]
    (where / "main.tf").write_text(hcl2.dumps({"locals": main["locals"], "output": outputs}))
    return where


def hcl_call(label: str, inputs: dict[str, str]) -> str:
    arguments = "".join(f"  {name} = {json.dumps(value)}\n" for name, value in inputs.items())
    return f'module "{label}" {{\n  source = "./module"\n{arguments}}}\n'


def plan_errors(
    module: Path, tmp_path: Path, calls: dict[str, dict[str, str]]
) -> set[tuple[str, str]]:
    """Plan one call of the stand-in per case; the (case, variable) pairs Terraform refused."""
    stand_in(module, tmp_path / "module")
    (tmp_path / "main.tf").write_text(
        "".join(hcl_call(label, inputs) for label, inputs in calls.items())
    )
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    plan = terraform("plan", "-input=false", "-lock=false", "-no-color", "-json", cwd=tmp_path)
    refused, other = set(), []
    for line in plan.stdout.splitlines():
        message = json.loads(line)
        diagnostic = message.get("diagnostic", {})
        if diagnostic.get("severity") != "error":
            continue
        snippet = diagnostic.get("snippet", {})
        label = re.fullmatch(r'module "(\w+)"', snippet.get("context", ""))
        variable = re.match(r"\s*(\w+)\s*=", snippet.get("code", ""))
        if diagnostic["summary"] == "Invalid value for variable" and label and variable:
            refused.add((label.group(1), variable.group(1)))
        else:
            other.append(f"{diagnostic['summary']}: {diagnostic.get('detail', '')}")
    assert not other, "\n".join(other)
    return refused


# --- the files -----------------------------------------------------------------------------------


def test_the_modules_and_examples_are_all_there():
    expected = [
        f"modules/{name}/{file}"
        for name in ("aws-isp", "digitalocean-isp")
        for file in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", TEMPLATE)
    ] + ["envs/example-aws/main.tf", "envs/example-digitalocean/main.tf", "README.md"]
    assert [path for path in expected if not (INFRA / path).is_file()] == []


@pytest.mark.parametrize("path", tf_files(), ids=lambda path: str(path.relative_to(INFRA)))
def test_every_tf_file_parses(path):
    assert parse(path), f"{path} is empty"


@needs_terraform
def test_terraform_fmt_leaves_infra_unchanged():
    result = terraform("fmt", "-check", "-recursive", "-diff", "-no-color", "infra/", cwd=ROOT)
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infra/`:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize(
    ("module", "provider", "version"),
    [(AWS, "hashicorp/aws", "~> 5.0"), (DIGITALOCEAN, "digitalocean/digitalocean", "~> 2.0")],
    ids=["aws", "digitalocean"],
)
def test_the_provider_is_pinned_to_its_major_version(module, provider, version):
    (versions,) = parse(module / "versions.tf")["terraform"]
    pinned = {
        spec["source"]: spec["version"] for spec in versions["required_providers"][0].values()
    }
    assert pinned == {provider: version}


def test_the_two_modules_install_the_framework_the_same_way():
    assert (AWS / TEMPLATE).read_text() == (DIGITALOCEAN / TEMPLATE).read_text()


# --- the tables are the provisioning service's ---------------------------------------------------


def test_aws_instance_types_are_the_provisioning_services():
    expected = {tier.value: AWS_INSTANCE_TYPES[tier] for tier in Tier}
    assert local_values(AWS)["instance_types"] == expected


def test_digitalocean_sizes_are_the_provisioning_services():
    expected = {tier.value: DIGITALOCEAN_SIZES[tier] for tier in Tier}
    assert local_values(DIGITALOCEAN)["droplet_sizes"] == expected


def test_digitalocean_regions_are_the_provisioning_services():
    expected = {region.value: slug for region, slug in DIGITALOCEAN_REGIONS.items()}
    assert local_values(DIGITALOCEAN)["regions"] == expected


@pytest.mark.parametrize("module", [AWS, DIGITALOCEAN], ids=["aws", "digitalocean"])
def test_storage_is_the_tiers_storage(module):
    assert set(STORAGE_GB) == {tier.value for tier in Tier}
    assert local_values(module)["storage_gb"] == STORAGE_GB


def test_the_aws_tables_size_the_instance_and_its_disk():
    instance = resource(AWS, "aws_instance", "isp")
    assert instance["instance_type"] == "${local.instance_types[var.tier]}"
    (disk,) = instance["root_block_device"]
    assert (disk["volume_type"], disk["volume_size"]) == ("gp3", "${local.storage_gb[var.tier]}")


def test_the_digitalocean_tables_size_and_place_the_droplet_and_its_volume():
    droplet = resource(DIGITALOCEAN, "digitalocean_droplet", "isp")
    volume = resource(DIGITALOCEAN, "digitalocean_volume", "data")
    assert droplet["size"] == "${local.droplet_sizes[var.tier]}"
    assert droplet["region"] == volume["region"] == "${local.regions[var.region]}"
    assert volume["size"] == "${local.storage_gb[var.tier]}"
    assert droplet["volume_ids"] == ["${digitalocean_volume.data.id}"]


# --- inputs: exactly what the platform accepts ---------------------------------------------------


@pytest.mark.parametrize("module", [AWS, DIGITALOCEAN], ids=["aws", "digitalocean"])
def test_the_tier_validation_lists_exactly_the_tiers(module):
    assert validation_list(module, "tier") == [tier.value for tier in Tier]


@pytest.mark.parametrize("module", [AWS, DIGITALOCEAN], ids=["aws", "digitalocean"])
def test_the_region_validation_lists_exactly_the_regions_served(module):
    listed = validation_list(module, "region")
    assert sorted(listed) == sorted(REGIONS[module.name])
    assert len(listed) == len(set(listed))


DOMAINS = {
    "acme-fiber.example": True,
    "isp.acme.co.uk": True,
    "xn--bcher-kva.example": True,
    "isp.xn--p1ai": True,
    "Acme.example": False,
    "acme.example.": False,
    "acme": False,
    "-acme.example": False,
    "acme-.example": False,
    "acme.123": False,
    "acme..example": False,
    "acme fiber.example": False,
}


@needs_terraform
@pytest.mark.parametrize("module", [AWS, DIGITALOCEAN], ids=["aws", "digitalocean"])
def test_terraform_accepts_exactly_the_tiers_regions_and_domains_the_platform_does(
    module, tmp_path
):
    valid = VALID[module.name]
    candidates = {
        "tier": [tier.value for tier in Tier] + ["gold", "Free", "", "basic "],
        "region": [region.value for region in Region] + ["us-east-2", "US-EAST-1", "nyc3"],
        "domain": list(DOMAINS),
    }
    cases = {
        f"{variable}_{index}": (variable, value)
        for variable, values in candidates.items()
        for index, value in enumerate(values)
    }
    calls = {label: {**valid, variable: value} for label, (variable, value) in cases.items()}
    refused = plan_errors(module, tmp_path, calls)

    assert {variable for _, variable in refused} <= set(candidates), refused
    accepted = {
        variable: {
            value
            for label, (v, value) in cases.items()
            if v == variable and (label, v) not in refused
        }
        for variable in candidates
    }
    assert accepted["tier"] == {tier.value for tier in Tier}
    assert accepted["region"] == REGIONS[module.name]
    assert accepted["domain"] == {domain for domain, ok in DOMAINS.items() if ok}


# --- what the machine gets: tags and user data ---------------------------------------------------


def test_the_aws_instance_carries_the_providers_tags():
    instance = resource(AWS, "aws_instance", "isp")
    values = local_values(AWS)
    assert instance["tags"] == instance["volume_tags"] == "${local.tags}"
    assert values["name"] == "dotmac-isp-${var.slug}"
    assert values["tags"] == {
        "Name": "${local.name}",
        "Tier": "${var.tier}",
        "ISP": "${var.isp_id}",
        "Region": "${var.region}",
        "ManagedBy": "dotmac",
    }


def test_the_droplet_carries_the_dotmac_isp_and_tier_tags():
    droplet = resource(DIGITALOCEAN, "digitalocean_droplet", "isp")
    assert droplet["tags"] == "${local.tags}"
    assert local_values(DIGITALOCEAN)["tags"] == ["dotmac", "isp-${var.isp_id}", "tier-${var.tier}"]


@needs_terraform
@pytest.mark.parametrize("module", [AWS, DIGITALOCEAN], ids=["aws", "digitalocean"])
def test_the_machine_installs_and_starts_the_framework_for_its_tenant(module, tmp_path):
    inputs = {**VALID[module.name], "tier": "premium"}
    stand_in(module, tmp_path / "module")
    outputs = "".join(
        f'output "{name}" {{\n  value = module.isp.{name}\n}}\n' for name in ("tags", "user_data")
    )
    (tmp_path / "main.tf").write_text(hcl_call("isp", inputs) + outputs)
    assert terraform("init", "-backend=false", "-input=false", cwd=tmp_path).returncode == 0
    applied = terraform(
        "apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", cwd=tmp_path
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    shown = terraform("output", "-json", cwd=tmp_path)
    values = {name: output["value"] for name, output in json.loads(shown.stdout).items()}

    user_data = values["user_data"]
    assert user_data.startswith("#cloud-config\n")
    config = yaml.safe_load(user_data)
    files = {entry["path"]: entry["content"] for entry in config["write_files"]}
    assert files["/etc/dotmac/isp.env"].splitlines() == [
        f"TENANT_ID={ISP_ID}",
        "ISP_NAME=acme-fiber",
        "PLUGIN_TIER=premium",
        "ISP_DOMAIN=acme-fiber.example",
        f"PLATFORM_URL={PLATFORM_URL}",
    ]
    assert "docker.io" in config["packages"]
    assert (
        "dotmac/isp-framework:latest" in files["/etc/systemd/system/dotmac-isp-framework.service"]
    )
    assert [
        "systemctl",
        "enable",
        "--now",
        "dotmac-isp-framework.service",
        "dotmac-isp-proxy.service",
    ] in config["runcmd"]

    if module == AWS:
        assert values["tags"] == {
            "Name": "dotmac-isp-acme-fiber",
            "Tier": "premium",
            "ISP": ISP_ID,
            "Region": "eu-west-1",
            "ManagedBy": "dotmac",
        }
        assert "acme-fiber.example, www.acme-fiber.example {" in files["/etc/dotmac/Caddyfile"]
        assert "mounts" not in config  # the root volume holds the data
    else:
        assert values["tags"] == ["dotmac", f"isp-{ISP_ID}", "tier-premium"]
        (mount,) = config["mounts"]
        assert mount[:2] == [
            "/dev/disk/by-id/scsi-0DO_Volume_dotmac-isp-acme-fiber-data",
            "/var/lib/dotmac",
        ]


# --- network and storage -------------------------------------------------------------------------


def test_the_security_group_lets_only_http_and_https_in_and_everything_out():
    group = resource(AWS, "aws_security_group", "isp")
    assert group["name"] == "${local.name}"
    inbound = {(rule["protocol"], rule["from_port"], rule["to_port"]) for rule in group["ingress"]}
    assert inbound == {("tcp", 80, 80), ("tcp", 443, 443)}
    for rule in group["ingress"] + group["egress"]:
        assert set(rule["cidr_blocks"] + rule["ipv6_cidr_blocks"]) == ANYWHERE
    ((egress),) = group["egress"]
    assert (egress["protocol"], egress["from_port"], egress["to_port"]) == ("-1", 0, 0)
    assert resource(AWS, "aws_instance", "isp")["vpc_security_group_ids"] == [
        "${aws_security_group.isp.id}"
    ]


def test_the_digitalocean_firewall_lets_only_http_and_https_in():
    firewall = resource(DIGITALOCEAN, "digitalocean_firewall", "isp")
    assert firewall["droplet_ids"] == ["${digitalocean_droplet.isp.id}"]
    assert {(rule["protocol"], rule["port_range"]) for rule in firewall["inbound_rule"]} == {
        ("tcp", "80"),
        ("tcp", "443"),
    }
    assert all(set(rule["source_addresses"]) == ANYWHERE for rule in firewall["inbound_rule"])
    assert {rule["protocol"] for rule in firewall["outbound_rule"]} == {"tcp", "udp", "icmp"}


def test_the_backups_bucket_is_private_versioned_encrypted_and_expires_old_versions():
    bucket = resource(AWS, "aws_s3_bucket", "backups")
    assert bucket["bucket"] == "${local.name}-backups"
    blocked = resource(AWS, "aws_s3_bucket_public_access_block", "backups")
    for setting in (
        "block_public_acls",
        "ignore_public_acls",
        "block_public_policy",
        "restrict_public_buckets",
    ):
        assert blocked[setting] is True, setting
    (versioning,) = resource(AWS, "aws_s3_bucket_versioning", "backups")["versioning_configuration"]
    assert versioning["status"] == "Enabled"
    (encryption,) = resource(AWS, "aws_s3_bucket_server_side_encryption_configuration", "backups")[
        "rule"
    ]
    assert encryption["apply_server_side_encryption_by_default"][0]["sse_algorithm"] in {
        "AES256",
        "aws:kms",
    }
    rules = resource(AWS, "aws_s3_bucket_lifecycle_configuration", "backups")["rule"]
    assert any(
        rule["status"] == "Enabled" and rule.get("noncurrent_version_expiration") for rule in rules
    )
    for configured in ("aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning"):
        assert resource(AWS, configured, "backups")["bucket"] == "${aws_s3_bucket.backups.id}"


def test_the_domain_and_www_point_at_the_aws_instance():
    zone = resource(AWS, "aws_route53_zone", "isp")
    assert zone["name"] == "${var.domain}"
    assert zone["comment"] == "DotMac ISP ${var.isp_id}"  # how the provisioning service finds it
    records = resource(AWS, "aws_route53_record", "isp")
    assert sorted(records["for_each"].values()) == ["${var.domain}", "www.${var.domain}"]
    assert (records["name"], records["type"]) == ("${each.value}", "A")
    assert records["records"] == ["${aws_instance.isp.public_ip}"]


def test_the_domain_points_at_the_droplet():
    assert resource(DIGITALOCEAN, "digitalocean_domain", "isp")["name"] == "${var.domain}"
    record = resource(DIGITALOCEAN, "digitalocean_record", "apex")
    assert record["domain"] == "${digitalocean_domain.isp.id}"
    assert (record["type"], record["name"]) == ("A", "@")
    assert record["value"] == "${digitalocean_droplet.isp.ipv4_address}"


# --- terraform validate, where the providers are at hand -----------------------------------------

PROVIDERS = {
    "example-aws": "hashicorp/aws/5.*",
    "example-digitalocean": "digitalocean/digitalocean/2.*",
}
"""Where each example's provider lies in a plugin cache, under registry.terraform.io/."""
PLUGIN_DIRS = (Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins")
"""Where a machine keeps provider plugins when TF_PLUGIN_CACHE_DIR does not say."""


@needs_terraform
@pytest.mark.parametrize("example", sorted(PROVIDERS))
def test_terraform_validates_the_example(example, tmp_path):
    """Validating an example validates the module it calls, with the provider's schema."""
    cache = os.environ.get("TF_PLUGIN_CACHE_DIR") or next(
        (str(d) for d in PLUGIN_DIRS if d.is_dir()), None
    )
    if not cache:
        pytest.skip(
            "no provider plugins at hand (TF_PLUGIN_CACHE_DIR, or one of "
            f"{', '.join(map(str, PLUGIN_DIRS))}): terraform validate needs them, and they "
            "cannot be downloaded here"
        )
    if not list(
        Path(cache).glob(f"registry.terraform.io/{PROVIDERS[example]}/*/terraform-provider-*")
    ):
        pytest.skip(f"TF_PLUGIN_CACHE_DIR={cache} has no {PROVIDERS[example]} provider")
    shutil.copytree(INFRA, tmp_path / "infra", ignore=shutil.ignore_patterns(".terraform*"))
    here = tmp_path / "infra" / "envs" / example
    init = terraform(
        "init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={cache}", cwd=here
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validated = terraform("validate", "-json", "-no-color", cwd=here, timeout=120)
    report = json.loads(validated.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
