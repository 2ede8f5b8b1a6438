"""What registration's endpoints depend on, from its composition root (the app's lifespan
state)."""

from typing import Annotated

from fastapi import Depends, Request

from registration.bootstrap import Registration
from registration.config import Settings
from registration.deployments.watch import DeploymentWatch


async def get_registration(request: Request) -> Registration:
    registration: Registration = request.state.registration
    return registration


RegistrationDep = Annotated[Registration, Depends(get_registration)]


async def get_settings(registration: RegistrationDep) -> Settings:
    return registration.settings


async def get_watch(registration: RegistrationDep) -> DeploymentWatch:
    return registration.watch


SettingsDep = Annotated[Settings, Depends(get_settings)]
WatchDep = Annotated[DeploymentWatch, Depends(get_watch)]
