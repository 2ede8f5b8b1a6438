"""Amounts as people write them, as minor units, and back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dotmac_contracts.money import to_major_units, to_minor_units


@pytest.mark.parametrize(
    ("written", "currency", "minor"),
    [("49.90", "USD", 4990), ("1,200", "JPY", 1200), ("0.005", "KWD", 5), (" 7 ", "EUR", 700)],
)
def test_amounts_as_written(written: str, currency: str, minor: int) -> None:
    assert to_minor_units(written, currency) == minor


@pytest.mark.parametrize("written", ["1.234", "abc", "", "nan", "-inf", "1e3000", "0x10"])
def test_what_is_not_an_amount_is_refused(written: str) -> None:
    with pytest.raises(ValueError):
        to_minor_units(written, "USD")


def test_a_yen_has_no_cents() -> None:
    with pytest.raises(ValueError, match="0 decimals"):
        to_minor_units("1.50", "JPY")


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["USD", "JPY", "KWD"]))
def test_what_is_shown_reads_back_as_the_same_amount(minor: int, currency: str) -> None:
    assert to_minor_units(to_major_units(minor, currency), currency) == minor
