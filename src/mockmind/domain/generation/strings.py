"""Strings and formats: text for a flat's formats (dates, emails, uuids...), for what a
field's name hints at (names, prices, skus...), for its patterns, or words fitted to length."""

from __future__ import annotations

import base64
import ipaddress
import math
import re
import string
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from mockmind.domain.generation.draws import Rng
from mockmind.domain.generation.faker_pools import FAKER_METHODS, FakerPools
from mockmind.domain.generation.flattening import Flat
from mockmind.domain.generation.formats import format_ok
from mockmind.domain.generation.patterns import matching_text, search
from mockmind.domain.generation.vocabulary import (
    CURRENCIES,
    EPOCH_1950,
    EPOCH_2005,
    EPOCH_2020,
    EPOCH_2026,
    FILE_EXTENSIONS,
    LANGUAGES,
    NUMERIC_HINTS,
    PASSWORD_SYMBOLS,
    STATUSES,
)


class TextMaker:
    """Makes the strings of one generator, from its Faker pools and each value's ``Draws``."""

    def __init__(self, pools: FakerPools) -> None:
        self._pools = pools

    def text(self, flat: Flat, rng: Rng, hint: str | None, excluded: Callable[[Any], bool]) -> str:
        """A string that satisfies ``flat`` (when one can be made) and that ``excluded`` does
        not rule out: a formatted value, else one the field's hint suggests, else a match of
        its patterns, else words cut or padded to length."""
        made: list[str] = []
        for fmt in flat.formats:
            formatted = self._formatted(fmt, rng, hint)
            if formatted is not None and _fits(formatted, flat, excluded):
                return formatted
            if formatted is not None:
                made.append(formatted)
        if hint is not None:
            hinted = self._hinted_text(hint, rng)
            if hinted is not None and _fits(hinted, flat, excluded):
                return hinted
        if flat.patterns:
            fits = partial(_fits, flat=flat, excluded=excluded)
            matched = matching_text(rng, flat.patterns, flat.min_len, fits, prefixes=made)
            if matched is not None:
                return matched
        return _fit_length(self._lorem(rng), flat.min_len, flat.max_len, rng, self._pools.words())

    def _lorem(self, rng: Rng) -> str:
        words = self._pools.words()
        return " ".join(words[rng.randrange(len(words))] for _ in range(rng.randint(1, 3)))

    def _sentence(self, rng: Rng, low: int, high: int) -> str:
        words = self._pools.words()
        text = " ".join(words[rng.randrange(len(words))] for _ in range(rng.randint(low, high)))
        return text[:1].upper() + text[1:] + "."

    def _formatted(self, fmt: str, rng: Rng, hint: str | None) -> str | None:
        match fmt:
            case "date":
                return _date_text(rng, hint)
            case "date-time":
                return _datetime_text(rng, hint)
            case "time":
                return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
            case "email" | "idn-email":
                return self._email(rng)
            case "uuid":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case "uri" | "url" | "iri":
                return self._url(rng, image=hint == "image")
            case "uri-reference" | "iri-reference":
                return "/" + self._slug(rng)
            case "hostname" | "idn-hostname":
                return self._pools.pick("domain", rng)
            case "ipv4":
                return _ipv4(rng)
            case "ipv6":
                return str(ipaddress.IPv6Address(rng.getrandbits(128)))
            case "byte":
                return base64.b64encode(self._lorem(rng).encode()).decode("ascii")
            case "binary":
                return f"{rng.getrandbits(64):016x}"
            case "password":
                return _password(rng)
            case "duration":
                return f"P{rng.randint(1, 30)}D"
            case "regex":
                return "^[a-z0-9-]+$"
            case "json-pointer":
                return "/" + self._slug(rng).replace("-", "/")
            case "uri-template":
                return f"https://{self._pools.pick('domain', rng)}/items/{{id}}"
        return None

    def _hinted_text(self, hint: str, rng: Rng) -> str | None:
        pools = self._pools
        match hint:
            case "id":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case "email":
                return self._email(rng)
            case "full_name":
                return f"{pools.pick('first_name', rng)} {pools.pick('last_name', rng)}"
            case "username":
                first = _ascii_word(pools.pick("first_name", rng))
                last = _ascii_word(pools.pick("last_name", rng))
                return f"{first}{last[:1]}{rng.randint(1, 99)}" if rng.random() < 0.5 else last
            case "text":
                return self._sentence(rng, 6, 14)
            case "url":
                return self._url(rng, image=False)
            case "image":
                return self._url(rng, image=True)
            case "datetime":
                return _datetime_text(rng, hint)
            case "date" | "birthdate":
                return _date_text(rng, hint)
            case "status":
                return STATUSES[rng.randrange(len(STATUSES))]
            case "currency":
                return CURRENCIES[rng.randrange(len(CURRENCIES))]
            case "color":
                return f"#{rng.getrandbits(24):06x}"
            case "sku":
                letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
                return f"{letters}-{rng.randint(10_000, 99_999)}"
            case "slug":
                return self._slug(rng)
            case "token":
                return f"{rng.getrandbits(160):040x}"
            case "password":
                return _password(rng)
            case "ip":
                return _ipv4(rng)
            case "hostname":
                return pools.pick("domain", rng)
            case "version":
                return f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 30)}"
            case "language":
                return LANGUAGES[rng.randrange(len(LANGUAGES))]
            case "filename":
                words = pools.words()
                stem = "_".join(words[rng.randrange(len(words))] for _ in range(2))
                return f"{stem}.{FILE_EXTENSIONS[rng.randrange(len(FILE_EXTENSIONS))]}"
            case "flag":
                return None
        if hint in FAKER_METHODS:
            return pools.pick(hint, rng)
        if hint in NUMERIC_HINTS:
            low, high, step = NUMERIC_HINTS[hint]
            units = rng.randint(math.ceil(low / step), math.floor(high / step))
            value = units * step
            return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
        return None

    def _email(self, rng: Rng) -> str:
        first = _ascii_word(self._pools.pick("first_name", rng))
        last = _ascii_word(self._pools.pick("last_name", rng))
        local = (
            f"{first}.{last}" if rng.random() < 0.6 else f"{first[:1]}{last}{rng.randint(1, 99)}"
        )
        return f"{local}@{self._pools.pick('email_domain', rng)}"

    def _url(self, rng: Rng, *, image: bool) -> str:
        words = self._pools.words()
        word = words[rng.randrange(len(words))]
        if image:
            return f"https://picsum.photos/seed/{word}{rng.randint(1, 999)}/640/480"
        return f"https://www.{self._pools.pick('domain', rng)}/{word}"

    def _slug(self, rng: Rng) -> str:
        words = self._pools.words()
        return "-".join(words[rng.randrange(len(words))] for _ in range(rng.randint(2, 4)))


def _fit_length(text: str, low: int, high: int | None, rng: Rng, words: Sequence[str]) -> str:
    while len(text) < low:
        text += " " + words[rng.randrange(len(words))]
    if high is not None and len(text) > high:
        text = text[:high].rstrip()
    if len(text) < low:
        text += "x" * (low - len(text))
    return text


def _date_text(rng: Rng, hint: str | None) -> str:
    if hint == "birthdate":
        start, days = date(1950, 1, 1), 55 * 365
    else:
        start, days = date(2020, 1, 1), 6 * 365
    return (start + timedelta(days=rng.randrange(days))).isoformat()


def _datetime_text(rng: Rng, hint: str | None) -> str:
    low, high = (EPOCH_1950, EPOCH_2005) if hint == "birthdate" else (EPOCH_2020, EPOCH_2026)
    moment = datetime.fromtimestamp(rng.randrange(low, high), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ipv4(rng: Rng) -> str:
    first = rng.choice((23, 34, 52, 64, 81, 104, 142, 151, 172, 185, 203, 212))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _password(rng: Rng) -> str:
    chars = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
        rng.choice(PASSWORD_SYMBOLS),
    ]
    alphabet = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
    chars += [rng.choice(alphabet) for _ in range(rng.randint(8, 12))]
    rng.shuffle(chars)
    return "".join(chars)


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower()) or "user"


def _fits(text: str, flat: Flat, excluded: Callable[[Any], bool]) -> bool:
    """Whether ``text`` satisfies ``flat`` and ``excluded`` does not rule it out. A function of
    the module, not a closure made per value: a closure over the flat's bounds cost a cell each
    on every string drawn, most of which are checked once or not at all."""
    high = flat.max_len
    if len(text) < flat.min_len or (high is not None and len(text) > high):
        return False
    if not all(search(p, text) for p in flat.patterns):
        return False
    return all(format_ok(f, text) for f in flat.formats) and not excluded(text)
