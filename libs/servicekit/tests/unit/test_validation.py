import pytest
from pydantic import TypeAdapter, ValidationError

from servicekit.validation import CountryCode, DomainName, Name, PhoneNumber

domain = TypeAdapter(DomainName)
name = TypeAdapter(Name)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("acme.example", "acme.example"),
        ("Acme.Example.", "acme.example"),
        ("a-b.c-d.co", "a-b.c-d.co"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ],
)
def test_domains_are_normalized(raw, clean):
    assert domain.validate_python(raw) == clean


@pytest.mark.parametrize(
    "bad",
    [
        "localhost",
        "-acme.example",
        "acme-.example",
        "ac me.example",
        "acme..example",
        "acme.123",
        "a" * 64 + ".example",
        ("a" * 60 + ".") * 5 + "com",
        "acme.example/path",
        "'; DROP TABLE isps; --.example",
        "<script>.example",
        "",
    ],
)
def test_malformed_domains_are_refused(bad):
    with pytest.raises(ValidationError):
        domain.validate_python(bad)


def test_names_are_trimmed_and_bounded():
    assert name.validate_python("  Acme Fiber ") == "Acme Fiber"
    for bad in ["", "   ", "x" * 201, "Acme\x00Fiber", "Acme\u202eFiber", "line\nbreak"]:
        with pytest.raises(ValidationError):
            name.validate_python(bad)


def test_country_codes_and_phone_numbers():
    assert TypeAdapter(CountryCode).validate_python("us") == "US"
    for bad in ["USA", "U", "1A"]:
        with pytest.raises(ValidationError):
            TypeAdapter(CountryCode).validate_python(bad)
    assert TypeAdapter(PhoneNumber).validate_python("+15550100") == "+15550100"
    for bad in ["5550100", "+0555", "+1 555 0100", "+1555010012345678"]:
        with pytest.raises(ValidationError):
            TypeAdapter(PhoneNumber).validate_python(bad)


@pytest.mark.parametrize(
    "kept",
    [
        "Zoë Ångström",
        "Łódź 東京 القاهرة",
        "O'Brien & Sons",
        "Straße\u00a0Nord",  # a no-break space: a separator Python calls unprintable, kept
        "Studio \u0378",  # an unassigned code point: not refused either
    ],
)
def test_printable_names_are_kept_whatever_their_script(kept):
    assert name.validate_python(kept) == kept


@pytest.mark.parametrize(
    "hostile",
    [
        "Acme\u200bFiber",  # zero-width space (format)
        "Acme\ufeffFiber",  # byte order mark (format)
        "Acme\x7fFiber",  # DEL (control)
        "Acme\ue000Fiber",  # private use
        "Acme\u2066Fiber\u2069",  # bidi isolates (format)
    ],
)
def test_invisible_and_control_characters_are_refused(hostile):
    with pytest.raises(ValidationError, match="control or invisible"):
        name.validate_python(hostile)
