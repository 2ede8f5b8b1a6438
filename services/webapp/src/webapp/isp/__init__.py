"""An ISP's admin pages, on its own host (`<slug>.<tenant base domain>`). Every call goes to the
platform's APIs on the signed-in person's behalf, with the token their session holds, so
tenant-api's roles, plugins and isolation decide what they see; a page the tier lacks shows
the upgrade path."""

from fastapi import APIRouter

from webapp.isp import (
    access,
    account,
    billing,
    customers,
    devices,
    payments,
    people,
    tickets,
    webhooks,
)
from webapp.isp.dashboard import dashboard

router = APIRouter(include_in_schema=False)
for pages in (access, customers, billing, payments, tickets, devices, people, webhooks, account):
    router.include_router(pages.router)

__all__ = ["dashboard", "router"]
