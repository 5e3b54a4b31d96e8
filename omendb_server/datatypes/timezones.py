"""Time zone resolution for the TimeZone setting and for zones written in literals.

Why two entry points: PostgreSQL reads ``SET TIME ZONE '+02'`` (a bare number of
hours, ISO sign: east is positive) differently from ``'UTC+3'`` / ``'-05:30'``
(POSIX strings, where the sign is inverted), while a ``+02`` *inside* a timestamp
literal is always ISO. Both resolve to ``tzinfo`` objects cached per spelling.
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from functools import lru_cache
import re
import zoneinfo

from omendb_server import errors

UTC = timezone.utc

_NUMBER_RE = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*", re.ASCII)
_POSIX_RE = re.compile(
    r"(?:[A-Za-z]{3,}|<[^>]+>)?([+-]?)([0-9]{1,2})(?::([0-9]{2})(?::([0-9]{2}))?)?", re.ASCII
)
_ISO_OFFSET_RE = re.compile(r"([+-])([0-9]{1,2})(?::?([0-9]{2})(?::?([0-9]{2}))?)?", re.ASCII)

# A few common abbreviations accepted in literals (PostgreSQL's "Default" set is larger).
_ABBREVIATIONS = {
    "utc": 0, "gmt": 0, "z": 0, "zulu": 0, "ut": 0,
    "est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
    "mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
    "cet": 3600, "cest": 7200, "eet": 7200, "eest": 3 * 3600, "wet": 0, "west": 3600,
    "bst": 3600, "ist": 19800, "jst": 9 * 3600, "msk": 3 * 3600,
}


def fixed_offset(seconds: int) -> tzinfo:
    return UTC if seconds == 0 else timezone(timedelta(seconds=seconds))


@lru_cache(maxsize=1)
def _zone_names_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def _zoneinfo(name: str) -> tzinfo | None:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    for candidate in (name, _zone_names_by_lower().get(name.lower())):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
                pass
    return None


@lru_cache(maxsize=256)
def session_zone(name: str) -> tzinfo:
    """The tzinfo for a TimeZone setting value; 22023 if PostgreSQL would reject it."""
    stripped = name.strip()
    if stripped.upper() in ("UTC", "GMT", "Z", "ETC/UTC", "UCT"):
        return UTC
    if _NUMBER_RE.fullmatch(stripped):
        return fixed_offset(round(float(stripped) * 3600))
    zone = _zoneinfo(stripped)
    if zone is not None:
        return zone
    m = _POSIX_RE.fullmatch(stripped)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
        return fixed_offset(-sign * secs)  # POSIX: positive means west of Greenwich
    raise errors.InvalidParameterValue(f'invalid value for parameter "TimeZone": "{name}"')


@lru_cache(maxsize=256)
def literal_zone(token: str) -> tzinfo:
    """The tzinfo for a zone written inside a timestamp literal ('+02', 'Z', 'Europe/Paris')."""
    m = _ISO_OFFSET_RE.fullmatch(token)
    if m:
        hours, minutes, seconds = int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0)
        if hours > 15 or minutes > 59 or seconds > 59:
            raise errors.DatetimeFieldOverflow(f'time zone displacement out of range: "{token}"')
        secs = hours * 3600 + minutes * 60 + seconds
        return fixed_offset(-secs if m.group(1) == "-" else secs)
    abbrev = _ABBREVIATIONS.get(token.lower())
    if abbrev is not None:
        return fixed_offset(abbrev)
    zone = _zoneinfo(token)
    if zone is None:
        raise errors.InvalidParameterValue(f'time zone "{token}" not recognized')
    return zone


def format_offset(offset: timedelta | None) -> str:
    """PostgreSQL's ISO offset suffix: '+00', '+05:30', '-08', '+00:09:21'."""
    total = int(offset.total_seconds()) if offset is not None else 0
    sign = "-" if total < 0 else "+"
    total = abs(total)
    hours, rem = divmod(total, 3600)
    minutes, seconds = divmod(rem, 60)
    out = f"{sign}{hours:02d}"
    if minutes or seconds:
        out += f":{minutes:02d}"
    if seconds:
        out += f":{seconds:02d}"
    return out
