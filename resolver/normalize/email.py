"""Email addresses: clean, repair common domain typos, reject placeholders, key.

``normalize_email(raw)`` returns ``EmailResult(email_norm, email_key, reason)``:

* ``email_norm``: the cleaned address (lower case, no ``mailto:``, no display name).
* ``email_key``: a canonical key for matching: the ``+tag`` is dropped for every
  provider, and for gmail/googlemail the dots in the local part are dropped and
  googlemail becomes gmail (``J.Doe+x@googlemail.com`` -> ``jdoe@gmail.com``).
* ``reason``: None when cleaned or missing; ``"placeholder"`` or ``"invalid"``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from resolver.normalize._distinct import WorkerPool, as_text, over_distinct

EMAIL_COLUMNS = ("email_norm", "email_key", "email_reason")

_MAILTO = re.compile(r"^\s*mailto:\s*", re.IGNORECASE)
# 'Jane Doe <jane@x.com>' -> 'jane@x.com'
_ANGLE = re.compile(r"<([^<>]*)>")
# quotes, brackets and trailing separators pasted around an address: '"jane@x.com";'
_WRAP = re.compile(r"^[\s\"'(\[{<]+|[\s\"')\]}>;,.:]+$")
_SPACES = re.compile(r"\s+")
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
_VALID = re.compile(rf"^(?P<local>{_LOCAL})@(?P<domain>{_DOMAIN})$", re.ASCII)

_DOMAIN_TYPOS: dict[str, str] = {
    **dict.fromkeys(
        [
            "gmial.com",
            "gmai.com",
            "gamil.com",
            "gmal.com",
            "gmaill.com",
            "gmail.co",
            "gmail.cm",
            "gmail.con",
            "gmail.om",
            "gnail.com",
            "gmsil.com",
            "gmaul.com",
            "gmail.comm",
            "gmali.com",
            "gmail.c",
            "gmail.cmo",
            "gmil.com",
            "gmaik.com",
            "gmail.ocm",
            "g-mail.com",
            "gmail.net",
        ],
        "gmail.com",
    ),
    **dict.fromkeys(
        [
            "hotmial.com",
            "hotmai.com",
            "hotmal.com",
            "hotmil.com",
            "hotmail.co",
            "hotmail.con",
            "hotmaill.com",
            "hotamil.com",
            "homail.com",
            "hitmail.com",
            "hotmail.cm",
            "hotnail.com",
        ],
        "hotmail.com",
    ),
    **dict.fromkeys(
        [
            "yahooo.com",
            "yaho.com",
            "yahoo.co",
            "yahoo.con",
            "yhoo.com",
            "yaoo.com",
            "yahho.com",
            "yahoo.cm",
            "tahoo.com",
            "uahoo.com",
            "yahou.com",
        ],
        "yahoo.com",
    ),
    **dict.fromkeys(
        [
            "outlok.com",
            "outloo.com",
            "outlook.co",
            "outlook.con",
            "outllok.com",
            "otlook.com",
            "outlool.com",
            "putlook.com",
        ],
        "outlook.com",
    ),
    **dict.fromkeys(["aol.co", "aol.con", "aoll.com", "aol.cm"], "aol.com"),
    **dict.fromkeys(
        ["icloud.co", "icloud.con", "iclod.com", "icoud.com", "iclould.com"], "icloud.com"
    ),
    **dict.fromkeys(["comcast.com", "comcat.net", "comcast.ne"], "comcast.net"),
}

# whole values that mean "no email": 'n/a', 'none', 'unknown'
_PLACEHOLDER_VALUES = frozenset(
    [
        "n/a",
        "na",
        "n.a.",
        "none",
        "unknown",
        "null",
        "nil",
        "no",
        "no email",
        "noemail",
        "no-email",
        "no_email",
        "not provided",
        "declined",
        "refused",
        "-",
        "--",
        "x",
        "0",
        "?",
    ]
)
_PLACEHOLDER_LOCALS = frozenset(
    [
        "none",
        "noemail",
        "no-email",
        "no_email",
        "no.email",
        "nomail",
        "no",
        "na",
        "n.a",
        "null",
        "unknown",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "dontemail",
        "declined",
        "notprovided",
        "xxx",
        "asdf",
    ]
)
_PLACEHOLDER_DOMAINS = frozenset(
    [
        "none.com",
        "noemail.com",
        "no-email.com",
        "nomail.com",
        "test.com",
        "email.com",
        "na.com",
        "unknown.com",
        "null.com",
        "donotreply.com",
        "mailinator.com",
    ]
)
# example.com, example.org, anything.example, *.invalid, *.test (RFC 2606)
_RESERVED_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net)|example|invalid|test|localhost)$"
)
_GMAIL = frozenset(["gmail.com", "googlemail.com"])


class EmailResult(NamedTuple):
    email_norm: str | None
    email_key: str | None
    reason: str | None


_MISSING = EmailResult(None, None, None)


# a bare address: no 'mailto:', display name, brackets, quotes, spaces or trailing dot
_PLAIN = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9.-]*[A-Za-z]", re.ASCII)


def _clean(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return text.lower()  # the common case; the substitutions below change nothing
    text = _MAILTO.sub("", text.strip())
    angle = _ANGLE.search(text)
    if angle:
        text = angle.group(1)
    text = _MAILTO.sub("", text)
    text = _WRAP.sub("", text)
    # 'jane @ x.com' -> 'jane@x.com'
    return _SPACES.sub("", text).lower()


def normalize_email(raw: object) -> EmailResult:
    """Clean one email address; never raises.

    >>> normalize_email("Jane Doe <Jane.Doe+crm@GMIAL.com>")
    EmailResult(email_norm='jane.doe+crm@gmail.com', email_key='janedoe@gmail.com', reason=None)
    """
    text = as_text(raw)
    if text is None:
        return _MISSING
    if text.lower() in _PLACEHOLDER_VALUES:
        return EmailResult(None, None, "placeholder")
    text = _clean(text)
    if not text:
        return _MISSING
    if text in _PLACEHOLDER_VALUES:
        return EmailResult(None, None, "placeholder")
    match = _VALID.match(text)
    if match is None:
        return EmailResult(None, None, "invalid")
    local, domain = match.group("local"), match.group("domain")
    domain = _DOMAIN_TYPOS.get(domain, domain)
    if (
        local in _PLACEHOLDER_LOCALS
        or domain in _PLACEHOLDER_DOMAINS
        or _RESERVED_DOMAIN.search(domain)
        # 'test@test.com', 'x@x.com' (short local part equal to the domain label)
        or (len(local) <= 4 and domain.split(".", 1)[0] == local)
    ):
        return EmailResult(None, None, "placeholder")
    norm = f"{local}@{domain}"
    key_local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        # gmail ignores dots: 'j.doe@googlemail.com' -> 'jdoe@gmail.com'
        key_local = key_local.replace(".", "") or key_local
        domain = "gmail.com"
    return EmailResult(norm, f"{key_local}@{domain}", None)


def normalize_email_column(series: pd.Series, *, pool: WorkerPool | None = None) -> pd.DataFrame:
    """Column form over distinct values: columns email_norm, email_key, email_reason."""
    return over_distinct(series, normalize_email, EMAIL_COLUMNS, pool=pool)
