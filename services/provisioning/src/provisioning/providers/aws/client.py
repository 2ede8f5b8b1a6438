"""boto3, adapted: one client per service and region, kept; every blocking call run on threads
of the provider's own; errors sorted. Credentials AWS refuses, quotas, a name owned by someone
else or an invalid domain need a person (`ConfigurationError`); throttling and connection
errors are left as they are, and the workflow retries the step."""

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from provisioning.errors import ConfigurationError

T = TypeVar("T")

CALLS_AT_ONCE = 32
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


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class AwsClient:
    def __init__(self, *, endpoint_url: str | None = None) -> None:
        self._endpoint_url = endpoint_url
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

    def service(self, name: str, region: str) -> Any:
        """The boto3 client of `name` (ec2, s3, route53) in `region`."""
        key = (name, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                name,  # type: ignore[call-overload]
                region_name=region,
                endpoint_url=self._endpoint_url,
                config=self._config,
            )
        return self._clients[key]

    async def call(self, what: str, call: Callable[[], T]) -> T:
        """Run a boto3 call off the event loop, sorting its errors into configuration errors
        (a person must act) and transient ones (the workflow retries); `what` says what was
        being done, for the reason a person reads."""
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
            code = error_code(error)
            if code in CONFIGURATION_ERRORS:
                message = error.response.get("Error", {}).get("Message", "")
                raise ConfigurationError(f"AWS refused to {what}: {code}: {message}") from error
            raise
        except BotoCoreError:
            raise
