"""What provisioning's subscribers take from the broker's context, set by its bootstrap."""

from typing import Annotated

from faststream import Context
from temporalio.client import Client

Temporal = Annotated[Client, Context("temporal")]
"""The client the worker of this process polls with (so a start is eager)."""
TaskQueue = Annotated[str, Context("task_queue")]
GraceSeconds = Annotated[float, Context("offboarding_grace_s")]
