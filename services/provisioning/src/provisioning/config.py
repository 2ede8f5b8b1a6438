from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROVISIONING_", extra="ignore")

    port: int = 8103
    task_queue: str = Field(default="provisioning-onboarding", description="Temporal task queue")
    run_worker: bool = Field(
        default=True, description="Run the onboarding Temporal worker in this process"
    )
    run_consumers: bool = Field(
        default=True, description="Consume events (and so start onboardings) in this process"
    )
