"""Parsing of date/time literals in the forms PostgreSQL clients commonly send.

Why a small staged parser rather than ``datetime.fromisoformat``: PostgreSQL accepts
'2020-01-02T03:04:05+02', '01/02/2020' (DateStyle order), 'Jan 2 2020',
'2020-01-02 03:04:05 America/New_York', '… BC', 'epoch' and so on, and reports
syntax errors (22007) separately from out-of-range fields (22008). This covers the
common subset; PostgreSQL's full ParseDateTime/DecodeDateTime grammar is far larger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
import re
from typing import Any

from omendb_server.datatypes import far_dates as fd
from omendb_server.datatypes.timezones import literal_zone

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_WORD = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", re.ASCII)

_ERA_RE = re.compile(r"\s+(bc|ad)$|(?<=\d)(bc|ad)$", re.ASCII)
_NUM_DATE_RE = re.compile(r"(\d+)([-/.])(\d+)\2(\d+)", re.ASCII)
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?!\d)", re.ASCII)
_NAMED_DATE_RES = (
    (re.compile(_MONTH_WORD + r"[ -]+(\d{1,2})(?:st|nd|rd|th)?,?[ -]+(\d+)", re.ASCII), (1, 2, 3)),  # Jan 2 2020
    (re.compile(r"(\d{1,2})[ -]+" + _MONTH_WORD + r",?[ -]+(\d+)", re.ASCII), (2, 1, 3)),  # 2 Jan 2020
    (re.compile(r"(\d{3,})[ -]+" + _MONTH_WORD + r"[ -]+(\d{1,2})", re.ASCII), (2, 3, 1)),  # 2020 Jan 2
)
_TIME_RE = re.compile(
    r"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:[.,](\d*))?(?:\s*(am|pm|a\.m\.|p\.m\.)(?![a-z]))?", re.ASCII
)
_COMPACT_TIME_RE = re.compile(r"(\d{2})(\d{2})(\d{2})?(?:[.,](\d*))?", re.ASCII)
_ZONE_RE = re.compile(r"z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?|[a-z][a-z0-9_/+-]*", re.ASCII | re.IGNORECASE)

SPECIALS = frozenset({"epoch", "infinity", "-infinity", "now", "today", "tomorrow", "yesterday", "allballs"})


@dataclass
class Parsed:
    """Fields found in a literal; ``None`` means the part was absent."""

    ymd: tuple[int, int, int] | None = None
    bc: bool = False
    clock: tuple[int, int, int, int] | None = None  # hour, minute, second, microsecond
    zone: tzinfo | None = None
    special: str | None = None


class FieldOverflow(Exception):
    """Raised inside the parser; the codec turns it into 22008 quoting the whole input."""


def _year(token: str) -> int:
    y = int(token)
    if len(token) == 2:  # PostgreSQL maps two-digit years to 1970..2069
        y += 2000 if y < 70 else 1900
    return y


def _order(datestyle: str) -> str:
    style = datestyle.upper()
    for order in ("DMY", "YMD", "MDY"):
        if order in style:
            return order
    return "DMY" if "EURO" in style or "GERMAN" in style else "MDY"


def _parse_date(s: str, datestyle: str) -> tuple[tuple[int, int, int] | None, str]:
    s = _WEEKDAY.sub("", s, count=1) if _WEEKDAY.match(s) else s
    m = _NUM_DATE_RE.match(s)
    if m:
        a, b, c = m.group(1), m.group(3), m.group(4)
        if len(a) >= 3:
            ymd = (int(a), int(b), int(c))
        else:
            order = _order(datestyle)
            if order == "YMD":
                ymd = (_year(a), int(b), int(c))
            elif order == "DMY":
                ymd = (_year(c), int(b), int(a))
            else:
                ymd = (_year(c), int(a), int(b))
        return ymd, s[m.end():]
    m = _COMPACT_DATE_RE.match(s)
    if m:
        return (int(m.group(1)), int(m.group(2)), int(m.group(3))), s[m.end():]
    for regex, (mi, di, yi) in _NAMED_DATE_RES:
        m = regex.match(s)
        if m:
            month = _MONTHS[m.group(mi)[:4] if m.group(mi).startswith("sept") else m.group(mi)[:3]]
            return (_year(m.group(yi)), month, int(m.group(di))), s[m.end():]
    return None, s


def _micro(fraction: str | None) -> int:
    if not fraction:
        return 0
    return round(int(fraction) / 10 ** (len(fraction) - 6)) if len(fraction) > 6 else int(fraction.ljust(6, "0"))


def _parse_time(s: str, compact_ok: bool) -> tuple[tuple[int, int, int, int] | None, str]:
    m = _TIME_RE.match(s)
    if m:
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if m.group(3) is None and m.group(4) is not None:  # 'MM:SS.fff', as PostgreSQL reads it
            hour, minute, second = 0, hour, minute
        ampm = m.group(5)
        if ampm:
            if hour < 1 or hour > 12:
                raise FieldOverflow
            hour = hour % 12 + (12 if ampm.startswith("p") else 0)
        return (hour, minute, second, _micro(m.group(4))), s[m.end():]
    if compact_ok:
        m = _COMPACT_TIME_RE.match(s)
        if m:
            return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), _micro(m.group(4))), s[m.end():]
    return None, s


def parse(text: str, datestyle: str) -> Parsed:
    """Split ``text`` into date, time, zone and era; raises ValueError on bad syntax."""
    s = text.strip().lower()
    if not s.isascii():
        raise ValueError(text)
    if s in SPECIALS:
        return Parsed(special=s)
    out = Parsed()
    m = _ERA_RE.search(s)
    if m:
        out.bc = (m.group(1) or m.group(2)) == "bc"
        s = s[: m.start()].rstrip()
    out.ymd, rest = _parse_date(s, datestyle)
    if out.ymd is not None:
        if rest.startswith("t") and rest[1:2].isdigit():
            rest = rest[1:]
            out.clock, rest = _parse_time(rest, compact_ok=True)
            if out.clock is None:
                raise ValueError(text)
        else:
            rest = rest.lstrip()
            out.clock, rest = _parse_time(rest, compact_ok=False)
    else:
        out.clock, rest = _parse_time(s, compact_ok=False)
        if out.clock is None:
            raise ValueError(text)
    rest = rest.strip()
    if rest:
        if _ZONE_RE.fullmatch(rest) is None:
            raise ValueError(text)
        # Recover the original spelling: zone names are case-sensitive files.
        start = text.lower().rfind(rest)
        out.zone = literal_zone(text[start : start + len(rest)] if start >= 0 else rest)
    return out


def build_date(parsed: Parsed) -> Any:
    """A ``date``, or a ``FarDate`` for BC dates and years after 9999."""
    if parsed.ymd is None:
        raise ValueError("no date")
    year, month, day = parsed.ymd
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= 31:
        raise FieldOverflow
    if parsed.bc or year > 9999:
        if parsed.bc:
            year = 1 - year  # astronomical: 1 BC is year 0
        try:
            days = fd.ymd_days(year, month, day)
        except ValueError:
            raise FieldOverflow from None
        return fd.date_from_days(days)
    try:
        return date(year, month, day)
    except ValueError:
        raise FieldOverflow from None


def clock_delta(clock: tuple[int, int, int, int]) -> timedelta:
    """Time of day as a timedelta; PostgreSQL allows 24:00:00 and a leap second 60."""
    hour, minute, second, micro = clock
    if hour > 24 or minute > 59 or second > 60 or (hour == 24 and (minute or second or micro)):
        raise FieldOverflow
    return timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micro)


def build_naive(parsed: Parsed) -> Any:
    """A naive ``datetime``, or a ``FarTimestamp`` beyond Python's range."""
    day = build_date(parsed)
    clock = clock_delta(parsed.clock) if parsed.clock is not None else timedelta(0)
    if type(day) is date:
        try:
            return datetime.combine(day, datetime.min.time()) + clock
        except OverflowError:  # 9999-12-31 24:00:00
            pass
    days = fd.date_days(day)
    if not fd.DATETIME_MIN_JULIAN <= days + fd.POSTGRES_EPOCH_JDATE < fd.TIMESTAMP_END_JULIAN:
        raise OverflowError("timestamp out of range")
    micros = days * fd.USECS_PER_DAY + clock // timedelta(microseconds=1)
    return fd.timestamp_from_micros(micros, False)
