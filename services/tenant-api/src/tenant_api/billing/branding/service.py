"""The ISP's details and branding on its documents. A logo is checked to be what it says (a
PNG or JPEG of sane dimensions, decoded in full) and stored re-encoded as PNG, so whatever
else the uploaded file carried (metadata, a second file appended) is not kept or served."""

import io
import warnings
from datetime import datetime
from uuid import UUID

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.problems import UnprocessableContent
from tenant_api.billing.branding import repository
from tenant_api.billing.branding.schemas import BrandingRead, BrandingUpdate, IssuerUpdate
from tenant_api.billing.documents.layout import Brand
from tenant_api.models import BillingBranding

LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 2000
"""Pixels: bigger images are refused before they are decoded."""
LOGO_STORED_SIZE = (600, 200)
"""A logo is shrunk to fit this box: it prints at most 16 mm high."""


def read(branding: BillingBranding | None, *, white_label: bool) -> BrandingRead:
    return BrandingRead(
        legal_name=branding.legal_name if branding else None,
        address=branding.address if branding else None,
        tax_number=branding.tax_number if branding else None,
        display_name=branding.display_name if branding else None,
        accent_colour=branding.accent_colour if branding else None,
        footer=branding.footer if branding else None,
        logo_media_type=branding.logo_media_type if branding and branding.logo else None,
        white_label=white_label,
    )


async def get(session: AsyncSession, *, white_label: bool) -> BrandingRead:
    return read(await repository.get(session), white_label=white_label)


async def set_issuer(
    session: AsyncSession, tenant_id: UUID, change: IssuerUpdate, *, now: datetime
) -> BillingBranding:
    branding = await repository.ensure(session, tenant_id, now)
    branding.legal_name, branding.address = change.legal_name, change.address
    branding.tax_number, branding.updated_at = change.tax_number, now
    await session.flush()
    return branding


async def set_branding(
    session: AsyncSession, tenant_id: UUID, change: BrandingUpdate, *, now: datetime
) -> BillingBranding:
    branding = await repository.ensure(session, tenant_id, now)
    branding.display_name, branding.footer = change.display_name, change.footer
    branding.accent_colour = change.accent_colour.lower() if change.accent_colour else None
    branding.updated_at = now
    await session.flush()
    return branding


async def set_logo(
    session: AsyncSession, tenant_id: UUID, data: bytes, media_type: str, *, now: datetime
) -> BillingBranding:
    stored = checked_logo(data, media_type)
    branding = await repository.ensure(session, tenant_id, now)
    branding.logo, branding.logo_media_type, branding.updated_at = stored, "image/png", now
    await session.flush()
    return branding


async def drop_logo(session: AsyncSession, tenant_id: UUID, *, now: datetime) -> BillingBranding:
    branding = await repository.ensure(session, tenant_id, now)
    branding.logo, branding.logo_media_type, branding.updated_at = None, None, now
    await session.flush()
    return branding


def checked_logo(data: bytes, media_type: str) -> bytes:
    """The logo re-encoded as PNG, or 422 saying what is wrong with the file."""
    expected = LOGO_TYPES.get(media_type)
    if expected is None:
        raise UnprocessableContent("A logo is a PNG or a JPEG image.", field="logo")
    if not data:
        raise UnprocessableContent("The logo file is empty.", field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise UnprocessableContent(f"A logo is at most {LOGO_MAX_BYTES // 1024} KiB.", field="logo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE or not width or not height:
                    raise UnprocessableContent(
                        f"A logo is at most {LOGO_MAX_SIDE} pixels wide and high "
                        f"(this one is {width} x {height}).",
                        field="logo",
                    )
                image.load()
                shown = image.convert("RGBA")
    except UnprocessableContent:
        raise
    except Exception:  # Pillow's many ways of saying the file is not an image it can read
        raise UnprocessableContent(
            f"The file is not a readable {expected} image.", field="logo"
        ) from None
    shown.thumbnail(LOGO_STORED_SIZE)
    out = io.BytesIO()
    shown.save(out, format="PNG", optimize=True)
    return out.getvalue()


def brand(branding: BillingBranding | None, tenant_name: str, *, white_label: bool) -> Brand:
    """How a document presents the ISP: with white_label its own name, colour, footer and
    logo, else the default layout with its legal details."""
    legal = (branding.legal_name if branding else None) or tenant_name
    address = tuple(branding.address.split("\n")) if branding and branding.address else ()
    tax_number = branding.tax_number if branding else None
    if not white_label or branding is None:
        return Brand(name=legal, address=address, tax_number=tax_number)
    accent = branding.accent_colour
    return Brand(
        name=branding.display_name or legal,
        address=address,
        tax_number=tax_number,
        accent=tuple(int(accent[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[arg-type]
        if accent
        else Brand.accent,
        footer=branding.footer,
        logo=branding.logo,
    )
