"""SNMPv3 (USM) reads through pysnmp, answering what `snmp.Agent` asks: aiosnmp speaks v1 and
v2c only. One SNMP engine per event loop serves every v3 device (engine ids and time windows
it discovers are kept there), with MIB lookups off: the poller wants numbers, not names."""

import weakref
from asyncio import AbstractEventLoop, get_running_loop
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB256_AES,
    USM_PRIV_NONE,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
)
from pysnmp.proto import errind, rfc1905

from network.polling.snmp import Agent, Malformed, Unreachable, User, Value

AUTH_PROTOCOLS = {
    "MD5": USM_AUTH_HMAC96_MD5,
    "SHA": USM_AUTH_HMAC96_SHA,
    "SHA-224": USM_AUTH_HMAC128_SHA224,
    "SHA-256": USM_AUTH_HMAC192_SHA256,
    "SHA-384": USM_AUTH_HMAC256_SHA384,
    "SHA-512": USM_AUTH_HMAC384_SHA512,
}
PRIVACY_PROTOCOLS = {
    "DES": USM_PRIV_CBC56_DES,
    "AES": USM_PRIV_CFB128_AES,
    "AES-192": USM_PRIV_CFB192_AES,
    "AES-256": USM_PRIV_CFB256_AES,
}
MAX_REPETITIONS = 25
_engines: "weakref.WeakKeyDictionary[AbstractEventLoop, SnmpEngine]" = weakref.WeakKeyDictionary()
_ABSENT = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)


def _engine() -> SnmpEngine:
    loop = get_running_loop()
    engine = _engines.get(loop)
    if engine is None:
        engine = _engines[loop] = SnmpEngine()
    return engine


def usm(user: User) -> UsmUserData:
    """The user as pysnmp takes it; an unknown protocol is Malformed (tenant-api refuses them,
    so one here came from elsewhere)."""
    try:
        auth = AUTH_PROTOCOLS[user.auth_protocol]
        privacy = PRIVACY_PROTOCOLS[user.privacy_protocol] if user.privacy_protocol else None
    except KeyError as unknown:
        raise Malformed(f"SNMPv3 protocol {unknown} is not one we speak") from None
    return UsmUserData(
        user.username,
        authKey=user.auth_key,
        privKey=user.privacy_key if privacy else None,
        authProtocol=auth,
        privProtocol=privacy or USM_PRIV_NONE,
    )


def _plain(value: Any) -> Value | None:
    if isinstance(value, _ABSENT):
        return None
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks...
        return int(value)
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, univ.OctetString):  # strings, IpAddress, Opaque
        return bytes(value)
    raise Malformed(f"an SNMP value of type {type(value).__name__}")


class _UserAgent:
    def __init__(self, engine: SnmpEngine, user: UsmUserData, target: UdpTransportTarget) -> None:
        self._engine, self._user, self._target = engine, user, target
        self._where = f"{target.transport_address[0]}:{target.transport_address[1]}"

    def _check(self, indication: Any, status: Any) -> None:
        if indication:
            if isinstance(indication, errind.RequestTimedOut):
                raise Unreachable(f"{self._where} did not answer")
            # unknown user, wrong key, unsupported security level: the device refused us, which
            # is, for a poller, not being able to read it
            raise Unreachable(f"{self._where} refused the SNMPv3 request: {indication}")
        if status and int(status) != 2:  # 2 is noSuchName: absent, not an error
            raise Malformed(f"{self._where} answered with error status {status.prettyPrint()}")

    async def get(self, oid: str) -> Value | None:
        indication, status, _, binds = await get_cmd(
            self._engine,
            self._user,
            self._target,
            ContextData(),
            ObjectType(ObjectIdentity(oid.lstrip("."))),
            lookupMib=False,
        )
        self._check(indication, status)
        return _plain(binds[0][1]) if binds else None

    async def walk(self, column: str) -> Sequence[tuple[str, Value]]:
        rows: list[tuple[str, Value]] = []
        async for indication, status, _, binds in bulk_walk_cmd(
            self._engine,
            self._user,
            self._target,
            ContextData(),
            0,
            MAX_REPETITIONS,
            ObjectType(ObjectIdentity(column.lstrip("."))),
            lookupMib=False,
            lexicographicMode=False,
        ):
            self._check(indication, status)
            for name, value in binds:
                plain = _plain(value)
                if plain is not None:
                    rows.append((str(name), plain))
        return rows


@asynccontextmanager
async def v3_agent(
    host: str, port: int, user: User, *, timeout_s: float, retries: int
) -> AsyncIterator[Agent]:
    try:
        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
    except (OSError, PySnmpError) as error:  # a name that does not resolve
        raise Unreachable(f"{host}:{port}: {error}") from None
    yield _UserAgent(_engine(), usm(user), target)
