from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NETWORK_", extra="ignore")

    port: int = 8105
    poll_interval_s: float = Field(
        default=60.0, ge=1.0, description="How often each device is read (tests go lower)"
    )
    poll_concurrency: int = Field(default=200, ge=1, description="Readings under way at once")
    snmp_timeout_s: float = Field(default=2.0, gt=0, description="Per SNMP request")
    trap_host: str = Field(default="127.0.0.1", description="Where the trap receiver listens")
    trap_port: int = Field(
        default=1162,
        ge=0,
        le=65535,
        description="UDP port of the trap receiver (162 needs privileges; devices send to "
        "whatever the ISP configures). 0: no trap receiver",
    )
    alert_hold_down_s: float = Field(
        default=180.0,
        ge=0,
        description="How long an alert's condition must stay away before the alert clears "
        "(a condition back sooner counts on the same alert)",
    )
