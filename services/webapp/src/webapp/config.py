from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEBAPP_", extra="ignore")

    port: int = 8108
    session_hours: float = Field(
        default=12.0, gt=0, description="A sign-in lasts this long without use, at most"
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over https only (the chart sets it; the dev "
        "stack serves http on 127.0.0.1, where browsers keep Secure cookies anyway)",
    )
    temporal_ui_url: str = Field(
        default="http://127.0.0.1:8233",
        description="The Temporal Web UI, where the operator console links each ISP's "
        "onboarding workflow",
    )
