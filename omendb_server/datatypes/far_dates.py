"""Dates and timestamps Python's ``datetime`` cannot hold: BC, years after 9999, ±infinity;
and time '24:00:00'.

Representation, and why: the common case stays a plain ``date`` / ``datetime`` / ``time``, so
point lookups, codecs and arithmetic pay nothing extra. A value outside 0001-01-01 ..
9999-12-31, or an infinite one, is

- ``FarDate``: PostgreSQL's DateADT, int days since 2000-01-01; ``INT32_MIN``/``INT32_MAX``
  are -infinity/infinity (DATEVAL_NOBEGIN/NOEND);
- ``FarTimestamp``: PostgreSQL's Timestamp, int64 microseconds since 2000-01-01 (UTC for
  timestamptz, ``with_tz``); ``INT64_MIN``/``INT64_MAX`` are -infinity/infinity.

Those are exactly PostgreSQL's binary wire forms. The forms are canonical: ``date_from_days``
and ``timestamp_from_micros`` return the Python object whenever it can hold the value, so a
Far* value never equals a Python one and hashing (GROUP BY, DISTINCT) agrees. Comparisons
with ``date``/``datetime`` work in both directions because those types return
NotImplemented for foreign operands, and Python then asks the reflected method here.

Calendar arithmetic uses PostgreSQL's Julian-day routines (date2j/j2date) with astronomical
years (1 BC = year 0), as PostgreSQL does internally.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from omendb_server import errors

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
USECS_PER_DAY = 86_400_000_000
POSTGRES_EPOCH_JDATE = 2451545  # 2000-01-01
#: first day PostgreSQL accepts (4714-11-24 BC) and the first julian day it does not
DATETIME_MIN_JULIAN = 0
DATE_END_JULIAN = 2147483494  # 5874898-01-01
TIMESTAMP_END_JULIAN = 109203528  # 294277-01-01
MIN_TIMESTAMP = -211813488000000000
#: PostgreSQL ends timestamps at 294277-01-01 (9223371331200000000); we end them where
#: microseconds since 1970 (Arrow's timestamp in checkpoints) still fit in int64 below the
#: infinity sentinel, 294247-01-10 04:00:54.775806 AD: later values are 22008 here.
END_TIMESTAMP = INT64_MAX - 946_684_800_000_000
_PY_MIN_DAYS = _dt.date.min.toordinal() - _dt.date(2000, 1, 1).toordinal()
_PY_MAX_DAYS = _dt.date.max.toordinal() - _dt.date(2000, 1, 1).toordinal()
_PY_MIN_US = _PY_MIN_DAYS * USECS_PER_DAY
_PY_END_US = (_PY_MAX_DAYS + 1) * USECS_PER_DAY
_EPOCH_ORDINAL = _dt.date(2000, 1, 1).toordinal()
_UNIX_DAYS = 10957  # 1970-01-01 .. 2000-01-01
_UNIX_US = _UNIX_DAYS * USECS_PER_DAY
PG_EPOCH = _dt.datetime(2000, 1, 1)
PG_EPOCH_TZ = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)
_DAYS_IN_MONTH = ((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31),
                  (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31))


class DateOutOfRange(OverflowError):
    """A computed value beyond PostgreSQL's range; callers map it to 22008."""


def date2j(year: int, month: int, day: int) -> int:
    """PostgreSQL's date2j: astronomical year/month/day to a Julian day number."""
    if month > 2:
        month += 1
        year += 4800
    else:
        month += 13
        year += 4799
    century = year // 100
    julian = year * 365 - 32167
    julian += year // 4 - century + century // 4
    julian += 7834 * month // 256 + day
    return julian


def j2date(jd: int) -> tuple[int, int, int]:
    """PostgreSQL's j2date: Julian day number to astronomical (year, month, day)."""
    julian = jd + 32044
    quad = julian // 146097
    extra = (julian - quad * 146097) * 4 + 3
    julian += 60 + quad * 3 + extra // 146097
    quad = julian // 1461
    julian -= quad * 1461
    y = julian * 4 // 1461
    julian = ((julian + 305) % 365 if y != 0 else (julian + 306) % 366) + 123
    y += quad * 4
    quad = julian * 2141 // 65536
    day = julian - 7834 * quad // 256
    month = (quad + 10) % 12 + 1
    return y - 4800, month, day


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    return _DAYS_IN_MONTH[is_leap(year)][month - 1]


def _year_text(year: int) -> tuple[str, str]:
    """Astronomical year → (digits, era suffix) as PostgreSQL prints them."""
    if year <= 0:
        return f"{1 - year:04d}", " BC"
    return f"{year:04d}", ""


class FarDate:
    """A date outside Python's range, or ±infinity (see the module docstring)."""

    __slots__ = ("days",)

    def __init__(self, days: int) -> None:
        self.days = days

    # -- ordering and identity ------------------------------------------------------------
    def _key(self, other: Any) -> int | None:
        if isinstance(other, FarDate):
            return other.days
        if type(other) is _dt.date:
            return other.toordinal() - _EPOCH_ORDINAL
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FarDate) and other.days == self.days

    def __hash__(self) -> int:
        return hash(("FarDate", self.days))

    def __lt__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.days < k

    def __le__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.days <= k

    def __gt__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.days > k

    def __ge__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.days >= k

    def __repr__(self) -> str:
        return f"FarDate({self.text()})"

    # -- properties -----------------------------------------------------------------------
    @property
    def finite(self) -> bool:
        return INT32_MIN < self.days < INT32_MAX

    def ymd(self) -> tuple[int, int, int]:
        """Astronomical (year, month, day); functions without an infinity rule get 22008."""
        if not self.finite:
            raise errors.DatetimeFieldOverflow("date out of range")
        return j2date(self.days + POSTGRES_EPOCH_JDATE)

    @property
    def year(self) -> int:
        return self.ymd()[0]

    @property
    def month(self) -> int:
        return self.ymd()[1]

    @property
    def day(self) -> int:
        return self.ymd()[2]

    def toordinal(self) -> int:
        """Python's day ordinal (may be <= 0); infinities map to int32 bounds counted from
        1970, the key the Arrow date32 column and the ALEX index use."""
        return self.unix_days() + _dt.date(1970, 1, 1).toordinal()

    def unix_days(self) -> int:
        """Days since 1970-01-01 as stored in an Arrow date32 column (infinities: int32 bounds)."""
        if self.days == INT32_MAX:
            return INT32_MAX
        if self.days == INT32_MIN:
            return INT32_MIN
        return self.days + _UNIX_DAYS

    def isoweekday(self) -> int:
        return (self.days + POSTGRES_EPOCH_JDATE) % 7 + 1

    def text(self) -> str:
        if self.days == INT32_MAX:
            return "infinity"
        if self.days == INT32_MIN:
            return "-infinity"
        y, m, d = self.ymd()
        digits, era = _year_text(y)
        return f"{digits}-{m:02d}-{d:02d}{era}"


class FarTimestamp:
    """A timestamp[tz] outside Python's range, or ±infinity (see the module docstring)."""

    __slots__ = ("micros", "with_tz")

    def __init__(self, micros: int, with_tz: bool) -> None:
        self.micros = micros
        self.with_tz = with_tz

    def _key(self, other: Any) -> int | None:
        if isinstance(other, FarTimestamp):
            return other.micros
        if isinstance(other, _dt.datetime):
            return datetime_micros(other)
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FarTimestamp) and other.micros == self.micros

    def __hash__(self) -> int:
        return hash(("FarTimestamp", self.micros))

    def __lt__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.micros < k

    def __le__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.micros <= k

    def __gt__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.micros > k

    def __ge__(self, other: Any) -> bool:
        k = self._key(other)
        return NotImplemented if k is None else self.micros >= k

    def __repr__(self) -> str:
        return f"FarTimestamp({self.micros}, tz={self.with_tz})"

    @property
    def finite(self) -> bool:
        return INT64_MIN < self.micros < INT64_MAX

    @property
    def tzinfo(self) -> Any:
        return _dt.UTC if self.with_tz else None

    def fields(self) -> tuple[int, int, int, int]:
        """(astronomical year, month, day, microseconds of the day); 22008 on infinities,
        so functions without an infinity rule fail as PostgreSQL's do."""
        if not self.finite:
            raise errors.DatetimeFieldOverflow("timestamp out of range")
        return split_micros(self.micros)

    @property
    def year(self) -> int:
        return self.fields()[0]

    @property
    def month(self) -> int:
        return self.fields()[1]

    @property
    def day(self) -> int:
        return self.fields()[2]

    @property
    def hour(self) -> int:
        return self.fields()[3] // 3_600_000_000

    @property
    def minute(self) -> int:
        return self.fields()[3] // 60_000_000 % 60

    @property
    def second(self) -> int:
        return self.fields()[3] // 1_000_000 % 60

    @property
    def microsecond(self) -> int:
        return self.fields()[3] % 1_000_000

    def date(self) -> Any:
        if not self.finite:
            return infinite_date(self.micros > 0)
        return date_from_days(self.micros // USECS_PER_DAY)

    def unix_micros(self) -> int:
        """Microseconds since 1970 as in an Arrow timestamp column (infinities: int64 bounds)."""
        if not self.finite:
            return self.micros
        return self.micros + _UNIX_US


def datetime_micros(ts: _dt.datetime) -> int:
    """Microseconds since 2000-01-01 of a Python datetime (naive = wall clock, aware = UTC)."""
    delta = ts - (PG_EPOCH if ts.tzinfo is None else PG_EPOCH_TZ)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def date_days(d: Any) -> int:
    """Days since 2000-01-01 of a ``date`` or ``FarDate`` (infinities: int32 bounds)."""
    if type(d) is FarDate:
        return d.days
    return d.toordinal() - _EPOCH_ORDINAL


def timestamp_micros(ts: Any) -> int:
    """Microseconds since 2000-01-01 of a ``datetime`` or ``FarTimestamp``."""
    if type(ts) is FarTimestamp:
        return ts.micros
    return datetime_micros(ts)


def date_from_days(days: int) -> Any:
    """The canonical value for PostgreSQL day number ``days``; 22008 beyond its range."""
    if _PY_MIN_DAYS <= days <= _PY_MAX_DAYS:
        return _dt.date.fromordinal(days + _EPOCH_ORDINAL)
    if days in (INT32_MIN, INT32_MAX):
        return FarDate(days)
    if not DATETIME_MIN_JULIAN <= days + POSTGRES_EPOCH_JDATE < DATE_END_JULIAN:
        raise DateOutOfRange("date out of range")
    return FarDate(days)


def timestamp_from_micros(micros: int, with_tz: bool) -> Any:
    """The canonical timestamp[tz] for ``micros`` since 2000-01-01; 22008 beyond PostgreSQL's range."""
    if _PY_MIN_US <= micros < _PY_END_US:
        ts = PG_EPOCH + _dt.timedelta(microseconds=micros)
        return ts.replace(tzinfo=_dt.UTC) if with_tz else ts
    if micros in (INT64_MIN, INT64_MAX):
        return FarTimestamp(micros, with_tz)
    if not MIN_TIMESTAMP <= micros < END_TIMESTAMP:
        raise DateOutOfRange("timestamp out of range")
    return FarTimestamp(micros, with_tz)


def date_from_unix_days(days: int) -> Any:
    """An Arrow date32 value that Python's date cannot hold (storage reads)."""
    if days in (INT32_MIN, INT32_MAX):
        return FarDate(days)
    return date_from_days(days - _UNIX_DAYS)


def timestamp_from_unix_micros(micros: int, with_tz: bool) -> Any:
    """An Arrow timestamp value that Python's datetime cannot hold (storage reads)."""
    if micros in (INT64_MIN, INT64_MAX):
        return FarTimestamp(micros, with_tz)
    return timestamp_from_micros(micros - _UNIX_US, with_tz)


def infinite_date(positive: bool) -> FarDate:
    return FarDate(INT32_MAX if positive else INT32_MIN)


def infinite_timestamp(positive: bool, with_tz: bool) -> FarTimestamp:
    return FarTimestamp(INT64_MAX if positive else INT64_MIN, with_tz)


def is_finite(v: Any) -> bool:
    """isfinite() for any date/timestamp value (Python values are always finite)."""
    return v.finite if type(v) in (FarDate, FarTimestamp) else True


def ymd_days(year: int, month: int, day: int) -> int:
    """Days since 2000-01-01 of an astronomical date; raises DateOutOfRange if PostgreSQL's
    date type cannot hold it, ValueError for a day the month does not have."""
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        raise ValueError("day out of month")
    jd = date2j(year, month, day)
    if not DATETIME_MIN_JULIAN <= jd < DATE_END_JULIAN:
        raise DateOutOfRange("date out of range")
    return jd - POSTGRES_EPOCH_JDATE


def split_micros(micros: int) -> tuple[int, int, int, int]:
    """(astronomical year, month, day, microseconds of the day) of a finite timestamp."""
    days, us = divmod(micros, USECS_PER_DAY)
    y, m, d = j2date(days + POSTGRES_EPOCH_JDATE)
    return y, m, d, us


def clock_text(us: int) -> str:
    s, frac = divmod(us, 1_000_000)
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    return text + ("." + f"{frac:06d}".rstrip("0") if frac else "")


def timestamp_text(micros: int, offset_text: str = "") -> str:
    """PostgreSQL's ISO output of a (local) timestamp; ``offset_text`` goes before the era."""
    if micros == INT64_MAX:
        return "infinity"
    if micros == INT64_MIN:
        return "-infinity"
    y, m, d, us = split_micros(micros)
    digits, era = _year_text(y)
    return f"{digits}-{m:02d}-{d:02d} {clock_text(us)}{offset_text}{era}"


def add_months_micros(micros: int, months: int) -> int:
    """Calendar month step on a finite timestamp, the day clamped to the month's end."""
    if not months:
        return micros
    y, m, d, us = split_micros(micros)
    total = y * 12 + (m - 1) + months
    y, m = divmod(total, 12)
    m += 1
    d = min(d, days_in_month(y, m))
    jd = date2j(y, m, d)
    if not DATETIME_MIN_JULIAN <= jd < TIMESTAMP_END_JULIAN:
        raise DateOutOfRange("timestamp out of range")
    return (jd - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + us


class Time24:
    """time '24:00:00', which PostgreSQL accepts and Python's ``time`` cannot hold.

    It exposes the attributes the time code reads (hour 24, minute, second and
    microsecond 0, no tzinfo) and sorts after every ``time``."""

    __slots__ = ()
    hour, minute, second, microsecond, tzinfo = 24, 0, 0, 0, None

    def __eq__(self, other: object) -> bool:
        return type(other) is Time24

    def __hash__(self) -> int:
        return hash("Time24")

    def __lt__(self, other: Any) -> bool:
        return False if isinstance(other, (_dt.time, Time24)) else NotImplemented

    def __le__(self, other: Any) -> bool:
        return type(other) is Time24 if isinstance(other, (_dt.time, Time24)) else NotImplemented

    def __gt__(self, other: Any) -> bool:
        return isinstance(other, _dt.time) if isinstance(other, (_dt.time, Time24)) else NotImplemented

    def __ge__(self, other: Any) -> bool:
        return True if isinstance(other, (_dt.time, Time24)) else NotImplemented

    def __reduce__(self) -> Any:
        return (Time24, ())

    def __repr__(self) -> str:
        return "Time24()"


TIME24 = Time24()


def unix_ints(col: list[Any]) -> list[int | None]:
    """A date or timestamp column as Arrow's integers (days / microseconds since 1970),
    for storage; infinities become the integer bounds."""
    out: list[int | None] = []
    for v in col:
        if v is None:
            out.append(None)
        elif type(v) is FarDate:
            out.append(v.unix_days())
        elif type(v) is FarTimestamp:
            out.append(v.unix_micros())
        elif type(v) is _dt.date:
            out.append(v.toordinal() - _UNIX_ORDINAL)
        else:
            out.append(datetime_micros(v) + _UNIX_US)
    return out


_UNIX_ORDINAL = _dt.date(1970, 1, 1).toordinal()
