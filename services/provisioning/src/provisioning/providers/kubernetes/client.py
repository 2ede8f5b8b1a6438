"""kubectl, run for the provider: the kubeconfig and timeouts on every run, the manifests on its
stdin, and its failures sorted into what a person must fix (`ConfigurationError`) and what the
workflow retries (`KubectlFailed`)."""

import asyncio
from pathlib import Path
from typing import Any

import yaml

from provisioning.errors import ConfigurationError


class _NoAliases(yaml.SafeDumper):
    """Writes a repeated object out again instead of as a YAML alias (`*id001`), which some
    tools reading manifests do not follow."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def manifests_yaml(manifests: list[dict[str, Any]]) -> str:
    """The manifests as one multi-document YAML stream, in order, as `kubectl apply -f -` reads
    them."""
    return yaml.dump_all(manifests, Dumper=_NoAliases, sort_keys=False)


class KubectlFailed(Exception):
    """Transient: the cluster did not answer, answered too late, or failed in a way retrying
    may cure; the step is retried."""


# Checked in this order: a quota refusal is also "Forbidden", and a connection refused while
# downloading the schema for client-side validation also says "validating".
_NEEDS_A_PERSON = (
    (("exceeded quota",), "the cluster's quota refused it; raise the quota or free capacity"),
    (
        ("(unauthorized)", "must be logged in", "x509:"),
        "the cluster did not accept the kubeconfig's credentials; renew them",
    ),
    (("(forbidden)", " forbidden"), "the kubeconfig's user lacks the rights; grant them"),
    (
        (
            " is invalid",
            "invalid value",
            "validationerror",
            "unknown field",
            "(badrequest)",
            "invalid configuration",
            "error loading config",
        ),
        "the cluster rejected the manifests as invalid",
    ),
    (
        ("exceeded its progress deadline",),
        "the pods never became ready; check the image and the pod events",
    ),
)


def kubectl_error(action: str, stderr: str) -> Exception:
    """The exception for a failed kubectl run: a ConfigurationError when a person must change
    something first, else a KubectlFailed that Temporal retries."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no error output"
    lowered = stderr.lower()
    for markers, advice in _NEEDS_A_PERSON:
        if any(marker in lowered for marker in markers):
            return ConfigurationError(f"{action} failed: {advice}: {last}")
    return KubectlFailed(f"{action} failed: {last}")


class Kubectl:
    def __init__(
        self, *, kubeconfig: str | Path | None, kubectl: str = "kubectl", request_timeout: float
    ) -> None:
        self._kubeconfig = Path(kubeconfig) if kubeconfig else None
        self._kubectl = kubectl
        self.request_timeout = request_timeout

    def require_kubeconfig(self) -> Path:
        if self._kubeconfig is None:
            raise ConfigurationError(
                "the kubernetes provider has no kubeconfig: set PROVISIONING_KUBECONFIG"
            )
        return self._kubeconfig

    async def run(
        self, action: str, args: list[str], *, deadline: float, stdin: str | None = None
    ) -> str:
        kubeconfig = self.require_kubeconfig()
        if not kubeconfig.is_file():
            raise ConfigurationError(
                f"the kubernetes provider's kubeconfig {kubeconfig} does not exist: "
                "fix PROVISIONING_KUBECONFIG"
            )
        command = [
            "--kubeconfig",
            str(kubeconfig),
            f"--request-timeout={self.request_timeout:g}s",
            *args,
        ]
        try:
            process = await asyncio.create_subprocess_exec(
                self._kubectl,
                *command,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError:
            raise ConfigurationError(
                f"{self._kubectl!r} was not found: install kubectl on the provisioning worker"
            ) from None
        try:
            async with asyncio.timeout(deadline):
                out, err = await process.communicate(stdin.encode() if stdin is not None else None)
        except TimeoutError:
            raise KubectlFailed(f"{action} took longer than {deadline:g} s") from None
        finally:
            if process.returncode is None:  # timed out or cancelled: leave no kubectl behind
                process.kill()
                await process.wait()
        if process.returncode != 0:
            raise kubectl_error(action, err.decode(errors="replace"))
        return out.decode(errors="replace")
