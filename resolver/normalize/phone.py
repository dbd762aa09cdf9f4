"""Phone numbers: E.164, extension, national digits (the blocking key), reason.

``normalize_phone(raw, region="US", area_code=None)`` returns
``PhoneResult(phone_e164, phone_ext, phone_digits, reason)``; reason is None when
parsed or missing, ``"placeholder"`` (000-000-0000, 555-555-5555, 123-456-7890,
one repeated digit, the fictional 555-01xx range) or ``"invalid"``.

``phone_e164`` is only set for a valid number. ``phone_digits`` keeps the
national digits of any value with a plausible number of digits (7 to 15), valid
or not: an unassigned area code or a 7-digit local number still matches the same
digits elsewhere. A leading ``1`` of an 11-digit number is the NANP country code
and is dropped; a number written with ``+`` drops its country code. Placeholders
keep no digits (they identify nobody). ``area_code`` (a contract's
``parse.phone_area_code``) is put in front of a 7-digit local number first.

The common North American shapes ("(312) 555-1234", "312.555.1234",
"+1 312 555 1234", "13125551234") take a fast path that validates with the
same phonenumbers metadata regexes, region by region, in the order
phonenumbers itself uses; everything else goes through ``phonenumbers.parse``
(~40 µs a call). ``tests/normalize/test_phone.py`` checks the two paths agree.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial
from typing import NamedTuple

import pandas as pd
import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from resolver.normalize._distinct import WorkerPool, as_text, over_distinct

PHONE_COLUMNS = ("phone_e164", "phone_ext", "phone_digits", "phone_reason")

# '312-555-1234 x12', '... ext. 12', '... extension 12', '... #12'
_EXT = re.compile(
    r"\s*[,;]?\s*(?:e?xt?\.?|extn?\.?|extension|#)\s*[:.]?\s*(\d{1,7})\s*$", re.IGNORECASE
)
# '(312) 555-1234', '+1 312.555.1234', '1-312-555-1234', '3125551234'
_NANP_SHAPE = re.compile(
    r"^(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})$", re.ASCII
)
_NON_DIGIT = re.compile(r"\D")
_EXT_CHARS = frozenset("xX#tTnN")
_SEQUENTIAL = frozenset(
    ["1234567890", "0123456789", "9876543210", "0987654321", "1234567", "123456"]
)
_NANP_REGIONS = COUNTRY_CODE_TO_REGION_CODE[1]
MIN_DIGITS, MAX_DIGITS = 7, 15  # a plausible national number, valid or not


class PhoneResult(NamedTuple):
    phone_e164: str | None
    phone_ext: str | None
    phone_digits: str | None
    reason: str | None


_MISSING = PhoneResult(None, None, None, None)


def _desc_regex(desc: object, length: int) -> str | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    lengths = desc.possible_length or ()
    if lengths and lengths != (-1,) and length not in lengths:
        return None
    return desc.national_number_pattern


@lru_cache(maxsize=1)
def _nanp_validators() -> list[tuple[re.Pattern[str] | None, re.Pattern[str], re.Pattern[str]]]:
    """Per NANP region, in phonenumbers' order: (leading digits, general, any type)."""
    out = []
    for region in _NANP_REGIONS:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
        if md is None:
            continue
        general = _desc_regex(md.general_desc, 10)
        types = [
            _desc_regex(getattr(md, name), 10)
            for name in (
                "premium_rate",
                "toll_free",
                "shared_cost",
                "voip",
                "personal_number",
                "pager",
                "uan",
                "voicemail",
                "fixed_line",
                "mobile",
            )
        ]
        types = [t for t in types if t]
        leading = re.compile(md.leading_digits) if md.leading_digits else None
        out.append(
            (
                leading,
                re.compile(f"(?:{general})" if general else "(?!)"),
                re.compile("|".join(f"(?:{t})" for t in types) if types else "(?!)"),
            )
        )
    return out


def _nanp_valid(nsn: str) -> bool:
    """phonenumbers.is_valid_number for a 10-digit +1 number, without parsing."""
    for leading, general, types in _nanp_validators():
        ok = general.fullmatch(nsn) is not None and types.fullmatch(nsn) is not None
        if leading is not None:
            if leading.match(nsn):
                return ok
        elif ok:
            return True
    return False


def _is_placeholder(digits: str, nanp: bool) -> bool:
    if len(set(digits)) == 1 or digits in _SEQUENTIAL:
        # '000-000-0000', '5555555555', '123-456-7890'
        return True
    if nanp and len(digits) == 10:
        # '1234567890' as area+exchange+line; the fictional '555-0100'..'555-0199'
        return digits[3:6] == "555" and digits[6:8] == "01"
    return False


def _split_ext(text: str) -> tuple[str, str | None]:
    if _EXT_CHARS.isdisjoint(text):
        return text, None  # no 'x', 'ext', 'extension' or '#': skip the regex
    match = _EXT.search(text)
    if match and match.start() > 0:
        return text[: match.start()], match.group(1)
    return text, None


def _fast(main: str, region: str) -> tuple[str, str | None] | None:
    """(nsn, reason) for a plain NANP shape under a NANP default region, else None."""
    if region not in _NANP_REGIONS:
        return None
    match = _NANP_SHAPE.match(main)
    if match is None:
        return None
    nsn = "".join(match.groups())
    if _is_placeholder(nsn, True):
        return nsn, "placeholder"
    return nsn, (None if _nanp_valid(nsn) else "invalid")


def _slow(main: str, region: str) -> tuple[str, int, str | None, str | None]:
    """(nsn, country code, extension, reason) through phonenumbers."""
    digits = _NON_DIGIT.sub("", main)
    try:
        number = phonenumbers.parse(main, region)
    except Exception:  # NumberParseException, or anything odd from exotic unicode
        if digits and _is_placeholder(digits[-10:] if len(digits) >= 10 else digits, False):
            return "", 0, None, "placeholder"
        return "", 0, None, "invalid"
    nsn = phonenumbers.national_significant_number(number)
    cc = number.country_code
    if nsn and _is_placeholder(nsn, cc == 1):
        return nsn, cc, number.extension, "placeholder"
    if not phonenumbers.is_valid_number(number):
        return nsn, cc, number.extension, "invalid"
    return nsn, cc, number.extension, None


def _kept_digits(main: str, nsn: str) -> str | None:
    """The national digits of a number phonenumbers does not call valid, or None.

    ``nsn`` is phonenumbers' reading (used for a number written with '+', whose
    country code it removed); otherwise the value's own digits, less the NANP
    country code '1' of an 11-digit number.
    """
    if main.startswith("+"):
        digits = nsn
    else:
        digits = _NON_DIGIT.sub("", main)
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or not digits.isascii():
        return None
    if _is_placeholder(digits, len(digits) == 10):
        return None
    return digits


def _with_area_code(main: str, area_code: str | None) -> str:
    """'246-1501' with area code '310' -> '3102461501'; anything else unchanged."""
    if not area_code or main.startswith("+"):
        return main
    digits = _NON_DIGIT.sub("", main)
    if len(digits) == MIN_DIGITS and digits.isascii() and not _is_placeholder(digits, False):
        return area_code + digits
    return main


def normalize_phone(raw: object, region: str = "US", area_code: str | None = None) -> PhoneResult:
    """Normalize one phone number; never raises.

    >>> normalize_phone("(312) 555-1234 ext. 12")
    PhoneResult(phone_e164='+13125551234', phone_ext='12', phone_digits='3125551234', reason=None)
    >>> normalize_phone("246-1501", area_code="310").phone_e164
    '+13102461501'
    """
    text = as_text(raw)
    if text is None:
        return _MISSING
    main, ext = _split_ext(text)
    main = _with_area_code(main.strip(), area_code)
    fast = _fast(main, region)
    if fast is not None:
        nsn, reason = fast
        if reason == "placeholder":
            return PhoneResult(None, None, None, reason)
        if reason:
            return PhoneResult(None, ext, nsn, reason)
        return PhoneResult(f"+1{nsn}", ext, nsn, None)
    nsn, cc, parsed_ext, reason = _slow(main, region)
    if reason == "placeholder":
        return PhoneResult(None, None, None, reason)
    if reason:
        digits = _kept_digits(main, nsn)
        return PhoneResult(None, (ext or parsed_ext or None) if digits else None, digits, reason)
    return PhoneResult(f"+{cc}{nsn}", ext or parsed_ext or None, nsn, None)


def normalize_phone_column(
    series: pd.Series,
    *,
    region: str = "US",
    area_code: str | None = None,
    pool: WorkerPool | None = None,
) -> pd.DataFrame:
    """Column form over distinct values: phone_e164, phone_ext, phone_digits, phone_reason."""
    fn = partial(normalize_phone, region=region, area_code=area_code)
    return over_distinct(series, fn, PHONE_COLUMNS, pool=pool)
