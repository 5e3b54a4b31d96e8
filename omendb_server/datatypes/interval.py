"""interval: the ``Interval`` value type and its codec.

Why three separate fields and not a ``timedelta``: PostgreSQL keeps months, days
and microseconds apart ('1 mon' is not 30 days, '1 day' is not 24 hours across a
DST change), and equality/ordering, output and the binary format all depend on it.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary

_WIRE = struct.Struct(">qii")
_USECS_PER_HOUR = 3_600_000_000
_USECS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Interval:
    """A PostgreSQL interval: calendar months, days and clock microseconds, independently signed."""

    months: int = 0
    days: int = 0
    microseconds: int = 0

    def __neg__(self) -> Interval:
        return Interval(-self.months, -self.days, -self.microseconds)

    def __add__(self, other: Interval) -> Interval:
        if not isinstance(other, Interval):
            return NotImplemented
        return Interval(self.months + other.months, self.days + other.days,
                        self.microseconds + other.microseconds)

    def __sub__(self, other: Interval) -> Interval:
        if not isinstance(other, Interval):
            return NotImplemented
        return Interval(self.months - other.months, self.days - other.days,
                        self.microseconds - other.microseconds)

    def sort_key(self) -> int:
        """PostgreSQL's interval_cmp_value: a month counts 30 days, a day 24 hours."""
        return (self.months * 30 + self.days) * _USECS_PER_DAY + self.microseconds

    def __eq__(self, other: object) -> bool:
        # '1 day' = '24 hours' and '1 mon' = '30 days' in PostgreSQL (interval_eq).
        if not isinstance(other, Interval):
            return NotImplemented
        return self.sort_key() == other.sort_key()

    def __hash__(self) -> int:
        return hash(self.sort_key())

    def __lt__(self, other: Interval) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Interval) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: Interval) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: Interval) -> bool:
        return self.sort_key() >= other.sort_key()


def _trunc_divmod(value: int, unit: int) -> tuple[int, int]:
    """C-style division (truncating toward zero), as PostgreSQL's interval2tm does."""
    q = abs(value) // unit
    q = -q if value < 0 else q
    return q, value - q * unit


def _seconds_text(micros: int) -> str:
    """Absolute seconds with fraction trimmed of trailing zeros ('06', '06.5')."""
    sec, frac = divmod(abs(micros), 1_000_000)
    return f"{sec:02d}" + ("." + f"{frac:06d}".rstrip("0") if frac else "")


def _split(iv: Interval) -> tuple[int, int, int, int, int, int]:
    years, mons = _trunc_divmod(iv.months, 12)
    hours, rest = _trunc_divmod(iv.microseconds, _USECS_PER_HOUR)
    minutes, micros = _trunc_divmod(rest, 60_000_000)
    return years, mons, iv.days, hours, minutes, micros


def format_postgres(iv: Interval) -> str:
    years, mons, days, hours, minutes, micros = _split(iv)
    parts: list[str] = []
    is_before = False
    for value, unit in ((years, "year"), (mons, "mon"), (days, "day")):
        if value == 0:
            continue
        plus = "+" if is_before and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        is_before = value < 0
    if not parts or hours or minutes or micros:
        minus = hours < 0 or minutes < 0 or micros < 0
        sign = "-" if minus else ("+" if is_before and parts else "")
        parts.append(f"{sign}{abs(hours):02d}:{abs(minutes):02d}:{_seconds_text(micros)}")
    return " ".join(parts)


def format_iso8601(iv: Interval) -> str:
    years, mons, days, hours, minutes, micros = _split(iv)
    if not any((years, mons, days, hours, minutes, micros)):
        return "PT0S"
    out = "P" + "".join(f"{v}{u}" for v, u in ((years, "Y"), (mons, "M"), (days, "D")) if v)
    if hours or minutes or micros:
        out += "T" + "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M")) if v)
        if micros:
            sec, frac = divmod(abs(micros), 1_000_000)
            fraction = "." + f"{frac:06d}".rstrip("0") if frac else ""
            out += f"{'-' if micros < 0 else ''}{sec}{fraction}S"
    return out


# unit → (kind, factor): kind 'm' months, 'y' months with rounded fraction, 'w'/'d' days, 'u' micros
_UNITS: dict[str, tuple[str, int]] = {}
for _names, _spec in (
    (("microsecond", "microseconds", "microsecon", "us", "usec", "usecs", "useconds"), ("u", 1)),
    (("millisecond", "milliseconds", "millisecon", "ms", "msec", "msecs", "mseconds"), ("u", 1000)),
    (("second", "seconds", "s", "sec", "secs"), ("u", 1_000_000)),
    (("minute", "minutes", "m", "min", "mins"), ("u", 60_000_000)),
    (("hour", "hours", "h", "hr", "hrs"), ("u", _USECS_PER_HOUR)),
    (("day", "days", "d"), ("d", 1)),
    (("week", "weeks", "w"), ("w", 7)),
    (("month", "months", "mon", "mons"), ("m", 1)),
    (("year", "years", "y", "yr", "yrs"), ("y", 12)),
    (("decade", "decades", "dec", "decs"), ("y", 120)),
    (("century", "centuries", "c", "cent"), ("y", 1200)),
    (("millennium", "millennia", "mil", "mils"), ("y", 12000)),
):
    for _n in _names:
        _UNITS[_n] = _spec

_NUM = r"[+-]?(?:\d+\.?\d*|\.\d+)"
_NUMBER_UNIT_RE = re.compile(rf"({_NUM})([a-z]*)", re.ASCII)
_CLOCK_RE = re.compile(r"([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?|([+-]?)(\d+):(\d+\.\d*)", re.ASCII)
_YEAR_MONTH_RE = re.compile(r"([+-]?)(\d+)-(\d+)", re.ASCII)
_ISO_RE = re.compile(
    rf"p(?:({_NUM})y)?(?:({_NUM})m)?(?:({_NUM})w)?(?:({_NUM})d)?"
    rf"(?:t(?:({_NUM})h)?(?:({_NUM})m)?(?:({_NUM})s)?)?",
    re.ASCII,
)


class _Acc:
    """Accumulates fields the way DecodeInterval does, spilling fractions downward."""

    def __init__(self) -> None:
        self.months = 0
        self.days = 0
        self.micros = 0

    def add(self, number: str, unit: str) -> None:
        kind, factor = _UNITS[unit]
        v = Decimal(number)
        whole = int(v)
        frac = v - whole
        if kind == "u":
            self.micros += round(v * factor)
        elif kind == "y":
            self.months += whole * factor + round(frac * factor)
        elif kind == "m":
            self.months += whole
            self._spill_days(frac * 30)
        else:
            self._spill_days(v * factor)

    def _spill_days(self, days: Decimal) -> None:
        whole = int(days)
        self.days += whole
        self.micros += round((days - whole) * _USECS_PER_DAY)

    def result(self, negate: bool) -> Interval:
        iv = Interval(self.months, self.days, self.micros)
        iv = -iv if negate else iv
        if not (-(1 << 31) <= iv.months < (1 << 31) and -(1 << 31) <= iv.days < (1 << 31)
                and -(1 << 63) <= iv.microseconds < (1 << 63)):
            raise errors.DatetimeFieldOverflow("interval out of range")
        return iv


def parse_interval(text: str) -> Interval:
    """Parse PostgreSQL's postgres/verbose/ISO-8601 interval input; ValueError on bad syntax."""
    s = text.strip().lower()
    acc = _Acc()
    if s.startswith("p"):
        m = _ISO_RE.fullmatch(s)
        if m is None or s in ("p", "pt") or s.endswith("t"):
            raise ValueError(text)
        for value, unit in zip(m.groups(), ("y", "mon", "w", "d", "h", "m", "s")):
            if value is not None:
                acc.add(value, unit)
        return acc.result(False)
    s = s.removeprefix("@")
    tokens = s.split()
    negate = bool(tokens) and tokens[-1] == "ago"
    if negate:
        tokens.pop()
    if not tokens:
        raise ValueError(text)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        m = _CLOCK_RE.fullmatch(tok)
        if m:
            if m.group(5) is not None:  # mm:ss.fff
                sign, hours, minutes, seconds = m.group(5), "0", m.group(6), m.group(7)
            else:
                sign, hours, minutes, seconds = m.group(1), m.group(2), m.group(3), m.group(4) or "0"
            micros = (int(hours) * 3600 + int(minutes) * 60) * 1_000_000 + round(Decimal(seconds) * 1_000_000)
            acc.micros += -micros if sign == "-" else micros
            continue
        m = _YEAR_MONTH_RE.fullmatch(tok)
        if m:
            months = int(m.group(2)) * 12 + int(m.group(3))
            acc.months += -months if m.group(1) == "-" else months
            continue
        m = _NUMBER_UNIT_RE.fullmatch(tok)
        if m is None:
            raise ValueError(text)
        number, unit = m.group(1), m.group(2)
        if not unit and i < len(tokens) and tokens[i] in _UNITS:
            unit = tokens[i]
            i += 1
        if not unit:
            unit = "s"  # a bare number counts seconds
        if unit not in _UNITS:
            raise ValueError(text)
        acc.add(number, unit)
    return acc.result(negate)


def format_verbose(iv: Interval) -> str:
    """IntervalStyle postgres_verbose: '@ 1 year 2 mons 3 days 4 hours 5 mins 6.7 secs [ago]'."""
    years, mons, days, hours, minutes, micros = _split(iv)
    fields = [(years, "year"), (mons, "mon"), (days, "day"), (hours, "hour"), (minutes, "min")]
    # PostgreSQL flips every sign and appends 'ago' when the first non-zero field is negative
    first = next((v for v, _ in fields if v), 0) or micros
    ago = first < 0
    parts = []
    for v, unit in fields:
        if v:
            v = -v if ago else v
            parts.append(f"{v} {unit}{'' if abs(v) == 1 else 's'}")
    if micros:
        m = -micros if ago else micros
        sec, frac = divmod(abs(m), 1_000_000)
        text = str(sec) + ("." + f"{frac:06d}".rstrip("0") if frac else "")
        sign = "-" if m < 0 else ""
        parts.append(f"{sign}{text} sec{'' if abs(m) == 1_000_000 else 's'}")
    if not parts:
        return "@ 0"
    return "@ " + " ".join(parts) + (" ago" if ago else "")


def format_sql_standard(iv: Interval) -> str:
    """IntervalStyle sql_standard, as PostgreSQL's EncodeInterval writes it."""
    years, mons, days, hours, minutes, micros = _split(iv)
    values = (years, mons, days, hours, minutes, micros)
    has_negative = any(v < 0 for v in values)
    has_positive = any(v > 0 for v in values)
    has_year_month = bool(years or mons)
    has_day_time = bool(days or hours or minutes or micros)
    standard = not (has_negative and has_positive) and not (has_year_month and has_day_time)
    prefix = ""
    if has_negative and standard:
        prefix = "-"
        years, mons, days, hours, minutes, micros = (-v for v in values)
    if not has_negative and not has_positive:
        return "0"
    secs = _seconds_text(micros)
    if not standard:
        ys = "-" if years < 0 or mons < 0 else "+"
        ds = "-" if days < 0 else "+"
        ts = "-" if hours < 0 or minutes < 0 or micros < 0 else "+"
        return (f"{ys}{abs(years)}-{abs(mons)} {ds}{abs(days)} "
                f"{ts}{abs(hours)}:{abs(minutes):02d}:{secs}")
    if has_year_month:
        return f"{prefix}{years}-{mons}"
    if days:
        return f"{prefix}{days} {hours}:{minutes:02d}:{secs}"
    return f"{prefix}{hours}:{minutes:02d}:{secs}"


class IntervalCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        style = ctx.intervalstyle.lower()
        if style == "iso_8601":
            return format_iso8601(value)
        if style == "postgres_verbose":
            return format_verbose(value)
        if style == "sql_standard":
            return format_sql_standard(value)
        return format_postgres(value)

    def decode_text(self, text: str, ctx: FormatContext) -> Interval:
        try:
            return parse_interval(text)
        except (ValueError, ArithmeticError):
            raise errors.InvalidDatetimeFormat(f'invalid input syntax for type interval: "{text}"') from None

    def apply_typmod(self, value: Any, typmod: int) -> Interval:
        precision = typmod & 0xFFFF
        if precision >= 6:
            return value
        scale = 10 ** (6 - precision)
        micros = value.microseconds
        half = scale // 2
        rounded = (micros + half) // scale * scale if micros >= 0 else -((-micros + half) // scale * scale)
        return Interval(value.months, value.days, rounded)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return _WIRE.pack(value.microseconds, value.days, value.months)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> Interval:
        if len(data) != 16:
            raise bad_binary()
        micros, days, months = _WIRE.unpack(data)
        return Interval(months, days, micros)
