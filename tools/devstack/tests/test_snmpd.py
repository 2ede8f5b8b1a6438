"""Debian's net-snmp, unpacked by devstack: the real snmpd answers this machine's interfaces,
storage and processor load over v2c (aiosnmp) and to an SNMPv3 authPriv user (pysnmp), and
stays silent to a community or key it does not know; the real snmptrap reaches a UDP socket."""

import asyncio
import os
import socket
import time

import aiosnmp
import pytest
from aiosnmp.message import SnmpV2TrapMessage
from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC192_SHA256,
    USM_PRIV_CFB128_AES,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
)

from devstack.ports import free_udp_port
from devstack.snmp import Snmpd, SnmpTrapFailed, SnmpV3User, send_trap

pytestmark = pytest.mark.integration

SYS_UPTIME = ".1.3.6.1.2.1.1.3.0"
IF_DESCR = ".1.3.6.1.2.1.2.2.1.2"
IF_HC_IN_OCTETS = ".1.3.6.1.2.1.31.1.1.1.6"
HR_STORAGE_TYPE = ".1.3.6.1.2.1.25.2.3.1.2"
HR_STORAGE_SIZE = ".1.3.6.1.2.1.25.2.3.1.5"
HR_STORAGE_RAM = ".1.3.6.1.2.1.25.2.1.2"
HR_PROCESSOR_LOAD = ".1.3.6.1.2.1.25.3.3.1.2"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
COMMUNITY = "dotmac-ro"
USER = SnmpV3User("dotmac-v3", auth_key="auth-key-0001", privacy_key="priv-key-0001")


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    snmpd = Snmpd(free_udp_port(), tmp_path_factory.mktemp("snmpd"), community=COMMUNITY, user=USER)
    snmpd.start()
    snmpd.started_at = time.monotonic()
    try:
        snmpd.wait_ready(timeout=60)
        yield snmpd
    finally:
        snmpd.stop()


def v2c(agent: Snmpd, community: str = COMMUNITY, **options) -> aiosnmp.Snmp:
    return aiosnmp.Snmp(
        host="127.0.0.1", port=agent.udp_port, community=community, timeout=2, **options
    )


async def v3_get(agent: Snmpd, oid: str, user: SnmpV3User = USER):
    return await get_cmd(
        SnmpEngine(),
        UsmUserData(
            user.username,
            authKey=user.auth_key,
            privKey=user.privacy_key,
            authProtocol=USM_AUTH_HMAC192_SHA256,
            privProtocol=USM_PRIV_CFB128_AES,
        ),
        await UdpTransportTarget.create(("127.0.0.1", agent.udp_port), timeout=2, retries=0),
        ContextData(),
        ObjectType(ObjectIdentity(oid)),
    )


async def test_snmpd_answers_its_uptime_and_the_machine_s_interfaces_over_v2c(agent):
    async with v2c(agent) as snmp:
        [uptime] = await snmp.get(SYS_UPTIME)
        names = [r.value for r in await snmp.bulk_walk(IF_DESCR)]
        octets = await snmp.bulk_walk(IF_HC_IN_OCTETS)
    assert isinstance(uptime.value, int) and uptime.value >= 0
    assert b"lo" in names
    assert len(octets) == len(names)


async def test_snmpd_answers_the_machine_s_storage(agent):
    async with v2c(agent) as snmp:
        types = {r.oid.rsplit(".", 1)[1]: r.value for r in await snmp.bulk_walk(HR_STORAGE_TYPE)}
        sizes = {r.oid.rsplit(".", 1)[1]: r.value for r in await snmp.bulk_walk(HR_STORAGE_SIZE)}
    [ram] = [index for index, kind in types.items() if "." + kind.lstrip(".") == HR_STORAGE_RAM]
    assert sizes[ram] > 0


async def test_snmpd_answers_a_v3_authpriv_user_and_refuses_a_wrong_key(agent):
    error, status, _, varbinds = await v3_get(agent, SYS_UPTIME)
    assert error is None and not status
    [(_, uptime)] = varbinds
    assert int(uptime) >= 0

    wrong = SnmpV3User(USER.username, auth_key="not-the-key", privacy_key=USER.privacy_key)
    error, _, _, _ = await v3_get(agent, SYS_UPTIME, wrong)
    assert error is not None


async def test_snmpd_stays_silent_to_a_community_it_does_not_know(agent):
    async with v2c(agent, community="public", retries=0) as snmp:
        with pytest.raises(aiosnmp.exceptions.SnmpTimeoutError):
            await snmp.get(SYS_UPTIME)


async def test_snmpd_answers_processor_load_once_it_has_a_minute_of_samples(agent):
    loads = []
    async with v2c(agent) as snmp:
        while time.monotonic() - agent.started_at < 120:
            # before that, aiosnmp's walk of the empty column gives the column's "no such
            # instance" (None)
            walked = await snmp.bulk_walk(HR_PROCESSOR_LOAD)
            loads = [r.value for r in walked if isinstance(r.value, int)]
            if loads:
                break
            await asyncio.sleep(2)
    assert len(loads) == os.cpu_count()
    assert all(0 <= load <= 100 for load in loads)


def test_snmptrap_reaches_a_udp_listener():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(10)
        port = listener.getsockname()[1]
        send_trap(port, "traps", LINK_DOWN, [("1.3.6.1.2.1.2.2.1.1.2", "i", 2)])
        datagram, _ = listener.recvfrom(65535)
    trap = SnmpV2TrapMessage.decode(datagram)
    assert trap is not None and trap.community == "traps"
    varbinds = {v.oid: v.value for v in trap.data.varbinds}
    assert varbinds[".1.3.6.1.6.3.1.1.4.1.0"] == f".{LINK_DOWN}"  # snmpTrapOID
    assert varbinds[".1.3.6.1.2.1.2.2.1.1.2"] == 2


def test_snmptrap_reports_what_it_cannot_send():
    with pytest.raises(SnmpTrapFailed, match="snmptrap"):
        send_trap(free_udp_port(), "traps", LINK_DOWN, [("1.3.6.1.2.1.2.2.1.1.2", "z", 2)])
