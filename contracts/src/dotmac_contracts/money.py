"""Money as the platform carries it: integer minor units of an ISO 4217 currency. Billing's
arithmetic and every page that shows or takes an amount agree on how many digits a currency's
minor unit has."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_UNIT_DIGITS = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 currencies whose minor unit is not a hundredth (the rest have two digits)."""


def minor_units_per_major(currency: str) -> int:
    """How many minor units make one major unit of `currency`: 100 for USD, 1 for JPY."""
    return 10 ** MINOR_UNIT_DIGITS.get(currency, 2)


def to_minor_units(amount: str, currency: str) -> int:
    """An amount a person wrote ("49.90", "1,200") as minor units of `currency`. Raises
    ValueError for what is not an amount, or has more decimals than the currency."""
    text = amount.strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not value.is_finite() or abs(value) >= 10**12:
        raise ValueError("not an amount")
    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise ValueError(f"at most {digits} decimals in {currency}")
    return int((value * minor_units_per_major(currency)).to_integral_value(ROUND_HALF_UP))


def to_major_units(minor: int, currency: str) -> str:
    """Minor units as the amount a person reads, without the currency: 4990 USD is "49.90"."""
    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    return f"{Decimal(minor).scaleb(-digits):,.{digits}f}"
