from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from servicekit.validation import Kept, Label, Name
from tenant_api.listing import Page

Secret = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
"""Printable ASCII without spaces: what SNMP agents accept as communities and keys."""
Key = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[\x21-\x7e]+$")]
Port = Annotated[int, Field(ge=1, le=65535)]


class DeviceRole(StrEnum):
    ROUTER = "router"
    SWITCH = "switch"
    OLT = "olt"
    ACCESS_POINT = "access_point"
    FIREWALL = "firewall"
    SERVER = "server"
    OTHER = "other"


class SnmpCommunity(BaseModel):
    """SNMP v1 or v2c: a community string."""

    model_config = ConfigDict(extra="forbid")

    version: Literal["v1", "v2c"]
    port: Port = 161
    community: Secret


class SnmpUser(BaseModel):
    """SNMP v3: a user with an authentication key and, optionally, a privacy key."""

    model_config = ConfigDict(extra="forbid")

    version: Literal["v3"]
    port: Port = 161
    username: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]
    auth_protocol: Literal["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"]
    auth_key: Key
    privacy_protocol: Literal["DES", "AES", "AES-192", "AES-256"] | None = None
    privacy_key: Key | None = None

    @model_validator(mode="after")
    def _privacy_needs_both(self) -> "SnmpUser":
        if (self.privacy_protocol is None) != (self.privacy_key is None):
            raise ValueError("privacy_protocol and privacy_key go together")
        return self


Snmp = Annotated[SnmpCommunity | SnmpUser, Field(discriminator="version")]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "core-rtr-01",
                    "vendor": "MikroTik",
                    "model": "CCR2004-16G-2S+",
                    "role": "router",
                    "management_ip": "10.20.0.1",
                    "site": "Springfield POP",
                    "snmp": {"version": "v2c", "community": "n0t-public"},
                }
            ]
        },
    )

    name: Name
    vendor: Label
    model: Label
    role: DeviceRole = DeviceRole.OTHER
    management_ip: IPv4Address | IPv6Address
    site: Label
    snmp: Snmp


class DeviceUpdate(BaseModel):
    """Only the fields sent change; `snmp`, when sent, replaces the device's SNMP access."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"site": "Shelbyville POP"}]}
    )

    name: Kept[Name] = None
    vendor: Kept[Label] = None
    model: Kept[Label] = None
    role: Kept[DeviceRole] = None
    management_ip: Kept[IPv4Address | IPv6Address] = None
    site: Kept[Label] = None
    snmp: Kept[Snmp] = None


class SnmpRead(BaseModel):
    version: Literal["v1", "v2c", "v3"]
    port: int
    username: str | None
    auth_protocol: str | None
    privacy_protocol: str | None
    secrets_stored: bool = Field(
        default=True, description="the community or keys are kept sealed and never shown"
    )


class DeviceRead(BaseModel):
    id: UUID
    name: str
    vendor: str
    model: str
    role: DeviceRole
    management_ip: str
    site: str
    snmp: SnmpRead
    created_at: datetime
    updated_at: datetime


DevicePage = Page[DeviceRead]
