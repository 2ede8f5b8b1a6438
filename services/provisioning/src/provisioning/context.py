"""What provisioning's subscribers take from the broker's context, set by its bootstrap."""

from typing import Annotated

from temporalio.client import Client

from servicekit.stream import ContextValue

Temporal = Annotated[Client, ContextValue("temporal")]
"""The client the worker of this process polls with (so a start is eager)."""
TaskQueue = Annotated[str, ContextValue("task_queue")]
GraceSeconds = Annotated[float, ContextValue("offboarding_grace_s")]
