"""tenant-api's event subscribers: licensing's announcements, recorded for the entitlement
store of every tenant-api process."""

from faststream.asgi import AsgiFastStream

from servicekit.serving import Role
from tenant_api.bootstrap import TenantApi

TITLE = "DotMac ISP framework"
DESCRIPTION = (
    "Tenant, customer, subscription, ticket, count, device and cancellation events out; "
    "licences in."
)


def create_stream(tenant_api: TenantApi) -> AsgiFastStream:
    return tenant_api.runtime.stream_app(title=TITLE, description=DESCRIPTION)


def role(tenant_api: TenantApi) -> Role:
    return Role(running=lambda: create_stream(tenant_api))
