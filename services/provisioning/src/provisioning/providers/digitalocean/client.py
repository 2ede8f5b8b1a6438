"""python-digitalocean, adapted: every request gives up after REQUEST_TIMEOUT_S (the library
waits forever by default), keeps the HTTP status of an error, and runs off the event loop (its
calls block); and its errors, sorted. A token DigitalOcean refuses (401, 403) or a request it
cannot accept (400, 422: an unknown size, region or image, an invalid domain) needs a person
(`ConfigurationError`); throttling (429), DigitalOcean's own errors (5xx) and connection
errors are transient (`DigitalOceanUnavailable`), and the workflow retries the step.

python-digitalocean reads its end point from `DIGITALOCEAN_END_POINT` itself (the tests point it
at a fake)."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import digitalocean
import requests
from digitalocean.baseapi import (
    BaseAPI,
    DataReadError,
    EndPointError,
    JSONReadError,
    NotFoundError,
)

from provisioning.errors import ConfigurationError

T = TypeVar("T")

REQUEST_TIMEOUT_S = 30.0
REFUSED_TOKEN = {401, 403}
REFUSED_REQUEST = {400, 422}


class DigitalOceanUnavailable(Exception):
    """Transient: DigitalOcean is throttling, failing or out of reach; the step is retried."""


class DigitalOceanRefused(Exception):
    """DigitalOcean answered with an error. python-digitalocean raises the message alone; the
    HTTP status kept with it decides whether trying again can help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class _KeepsStatus(BaseAPI):
    """python-digitalocean's objects, made to keep the HTTP status of an error and to give up on
    a request after REQUEST_TIMEOUT_S."""

    _status: int | None = None

    def _BaseAPI__perform_request(self, *args: Any, **kwargs: Any) -> Any:
        # The library's private way out to HTTP: the one place the response's status is known.
        response = super()._BaseAPI__perform_request(*args, **kwargs)
        self._status = response.status_code
        return response

    def get_data(self, *args: Any, **kwargs: Any) -> Any:
        self._status = None
        try:
            return super().get_data(*args, **kwargs)
        # LookupError: the library fails to read an error document lacking `id` or `message`.
        except (DataReadError, JSONReadError, LookupError) as error:
            if self._status is None or self._status < 400:
                raise
            raise DigitalOceanRefused(self._status, str(error) or "no message") from error

    def get_timeout(self) -> float:
        return REQUEST_TIMEOUT_S


class Manager(_KeepsStatus, digitalocean.Manager):
    pass


class Droplet(_KeepsStatus, digitalocean.Droplet):
    pass


class Volume(_KeepsStatus, digitalocean.Volume):
    pass


class Firewall(_KeepsStatus, digitalocean.Firewall):
    pass


class Domain(_KeepsStatus, digitalocean.Domain):
    pass


class DigitalOceanClient:
    """The account the provider acts in, by its API token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def require_token(self) -> None:
        if not self._token:
            raise ConfigurationError(
                "the digitalocean provider has no API token: set PROVISIONING_DIGITALOCEAN_TOKEN"
            )

    def new(self, kind: Callable[..., T], **fields: Any) -> T:
        """One of the adapted objects above, acting with the token."""
        return kind(token=self._token, **fields)

    async def call(self, what: str, call: Callable[[], T]) -> T:
        """Run python-digitalocean calls off the event loop, sorting their errors into
        configuration errors (a person must act) and transient ones (the workflow retries);
        `what` says what was being done, for the reason a person reads."""
        try:
            return await asyncio.to_thread(call)
        except DigitalOceanRefused as error:
            if error.status in REFUSED_TOKEN:
                raise ConfigurationError(
                    f"DigitalOcean refused to {what}: it does not accept the token in "
                    f"PROVISIONING_DIGITALOCEAN_TOKEN ({error})"
                ) from error
            if error.status in REFUSED_REQUEST:
                raise ConfigurationError(f"DigitalOcean refused to {what}: {error}") from error
            raise DigitalOceanUnavailable(f"DigitalOcean could not {what}: {error}") from error
        except EndPointError as error:
            raise ConfigurationError(
                f"DIGITALOCEAN_END_POINT is not a URL, so nothing can {what}"
            ) from error
        except requests.RequestException as error:
            raise DigitalOceanUnavailable(
                f"DigitalOcean was out of reach to {what}: {error}"
            ) from error

    async def delete(self, what: str, call: Callable[[], object]) -> None:
        """`call`, which deletes something; done already if it is gone."""
        try:
            await self.call(what, call)
        except NotFoundError:
            pass

    async def destroy(self, what: str, kind: Callable[..., Any], resource_id: int | str) -> None:
        await self.delete(what, lambda: self.new(kind, id=resource_id).destroy())
