"""The `chart` fixture: deploy/helm/dotmac linted and rendered by the helm binary the suite
extracts (devstack.helm), for test_helm_chart.py and test_compose.py. Renders are cached per
argument list for the session: several tests read the same manifests."""

import base64
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.helm import helm_binary

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "dotmac"
PRODUCTION_VALUES = Path(__file__).with_name("values-production.yaml")
RELEASE = "acme"
NAMESPACE = "dotmac-platform"


@dataclass(frozen=True)
class SecretRef:
    secret: str
    key: str
    optional: bool


@dataclass(frozen=True)
class Environment:
    """What one container's environment is made of: values from ConfigMaps (through envFrom),
    Secret keys (through env), and other envFrom sources the chart does not own."""

    settings: dict[str, str]
    secrets: dict[str, SecretRef]
    other_sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def names(self) -> set[str]:
        return set(self.settings) | set(self.secrets)


@dataclass(frozen=True)
class Rendered:
    """The objects `helm template` printed, parsed."""

    documents: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]

    def named(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((d for d in self.of_kind(kind) if d["metadata"]["name"] == name), None)

    def component(self, kind: str, component: str) -> list[dict[str, Any]]:
        return [
            d
            for d in self.of_kind(kind)
            if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
        ]

    def secret_values(self) -> dict[str, str]:
        """Every Secret's every value, decoded, as `<secret>/<key>` -> value."""
        values = {}
        for secret in self.of_kind("Secret"):
            for key, encoded in (secret.get("data") or {}).items():
                name = f"{secret['metadata']['name']}/{key}"
                values[name] = base64.b64decode(encoded).decode()
            for key, value in (secret.get("stringData") or {}).items():
                values[f"{secret['metadata']['name']}/{key}"] = value
        return values

    def environment(self, container: dict[str, Any]) -> Environment:
        settings: dict[str, str] = {}
        secrets: dict[str, SecretRef] = {}
        other: list[dict[str, Any]] = []
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                config_map = self.named("ConfigMap", source["configMapRef"]["name"])
                assert config_map is not None, f"envFrom names a missing ConfigMap: {source}"
                settings.update(config_map.get("data") or {})
            else:
                other.append(source)
        for variable in container.get("env", []):
            if "value" in variable:
                settings[variable["name"]] = variable["value"]
                continue
            ref = variable["valueFrom"]["secretKeyRef"]
            secrets[variable["name"]] = SecretRef(
                ref["name"], ref["key"], bool(ref.get("optional", False))
            )
        return Environment(settings, secrets, other)


class Chart:
    """deploy/helm/dotmac, rendered and linted by the helm the suite extracts."""

    path = CHART
    production_values = PRODUCTION_VALUES
    release = RELEASE
    namespace = NAMESPACE

    def __init__(self) -> None:
        self._renders: dict[tuple[str, ...], Rendered] = {}
        self._helm: Path | None = None

    def name(self, component: str) -> str:
        """The name the chart gives a component's objects: <release>-dotmac-<component>."""
        return f"{RELEASE}-dotmac-{component}"

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        if self._helm is None:
            self._helm = helm_binary()
        return subprocess.run(
            [str(self._helm), *args], capture_output=True, text=True, timeout=60, check=False
        )

    def template(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)

    def lint(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.helm("lint", "--strict", str(CHART), "--namespace", NAMESPACE, *args)

    def render(self, *args: str) -> Rendered:
        """`helm template` with these extra arguments (`-f`, `--set`...), parsed; cached."""
        if args not in self._renders:
            result = self.template(*args)
            assert result.returncode == 0, (
                f"helm template {' '.join(args)} failed:\n{result.stderr}"
            )
            documents = [d for d in yaml.safe_load_all(result.stdout) if d]
            self._renders[args] = Rendered(documents)
        return self._renders[args]

    def production(self, *args: str) -> Rendered:
        return self.render("-f", str(PRODUCTION_VALUES), *args)


@pytest.fixture(scope="session")
def chart() -> Chart:
    return Chart()
