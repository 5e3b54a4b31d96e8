"""date, time, timestamp and timestamptz codecs.

Values are Python ``date``/``time``/naive ``datetime``/UTC-aware ``datetime``; the
binary forms count days or microseconds from PostgreSQL's epoch 2000-01-01.

Values Python cannot hold (BC, years after 9999, ±infinity, time '24:00:00') are the
small classes of ``far_dates``; the codecs check for them only after the common
``type(value) is date``-style test fails, so ordinary values pay nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import datetime_parse as dp
from omendb_server.datatypes import far_dates as fd
from omendb_server.datatypes.core import Codec, FormatContext, bad_binary
from omendb_server.datatypes.timezones import UTC, format_offset, session_zone

PG_EPOCH_DATE = date(2000, 1, 1)
PG_EPOCH = datetime(2000, 1, 1)
PG_EPOCH_UTC = datetime(2000, 1, 1, tzinfo=timezone.utc)
_PG_EPOCH_ORDINAL = PG_EPOCH_DATE.toordinal()
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_USECS_PER_DAY = 86_400_000_000


def _frac(micro: int) -> str:
    return "" if not micro else "." + f"{micro:06d}".rstrip("0")


def format_date(d: date) -> str:
    if type(d) is fd.FarDate:
        return d.text()
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def format_clock(t: time | datetime) -> str:
    return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}{_frac(t.microsecond)}"


def timestamp_to_micros(ts: datetime) -> int:
    """Microseconds since 2000-01-01 (naive = wall clock, aware = UTC)."""
    if type(ts) is fd.FarTimestamp:
        return ts.micros
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    delta = ts - PG_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_timestamp(micros: int, with_tz: bool = False) -> Any:
    """The timestamp (naive, or UTC-aware with ``with_tz``) ``micros`` after 2000-01-01:
    a ``datetime``, or a ``FarTimestamp`` beyond Python's range; 22008 beyond PostgreSQL's."""
    try:
        return fd.timestamp_from_micros(micros, with_tz)
    except OverflowError:
        raise errors.DatetimeFieldOverflow("timestamp out of range") from None


def days_to_date(days: int) -> Any:
    """The date ``days`` after 2000-01-01 (``FarDate`` beyond Python's range); 22008 beyond
    PostgreSQL's."""
    try:
        return fd.date_from_days(days)
    except OverflowError:
        raise errors.DatetimeFieldOverflow("date out of range") from None


def round_micros(micros: int, precision: int) -> int:
    """AdjustTimestampForTypmod: round half away from zero to ``precision`` digits."""
    if precision >= 6:
        return micros
    scale = 10 ** (6 - max(precision, 0))
    half = scale // 2
    if micros >= 0:
        return (micros + half) // scale * scale
    return -((-micros + half) // scale * scale)


def _now_local(ctx: FormatContext) -> datetime:
    return datetime.now(UTC).astimezone(session_zone(ctx.timezone)).replace(tzinfo=None)


def _special_naive(word: str, ctx: FormatContext) -> datetime:
    """epoch/now/today/… as wall-clock time in the session zone."""
    if word == "epoch":
        return datetime(1970, 1, 1)
    now = _now_local(ctx)
    if word == "now":
        return now
    midnight = datetime.combine(now.date(), time())
    return midnight + timedelta(days={"today": 0, "tomorrow": 1, "yesterday": -1}.get(word, 0))


def _parse_guarded(label: str, text: str, ctx: FormatContext, build: Callable[[dp.Parsed], Any]) -> Any:
    """Run the parser and map its failures to PostgreSQL's datetime errors."""
    try:
        return build(dp.parse(text, ctx.datestyle))
    except errors.DBError:
        raise
    except dp.FieldOverflow:
        raise errors.DatetimeFieldOverflow(f'date/time field value out of range: "{text}"') from None
    except OverflowError:
        if label.startswith("timestamp"):
            raise errors.DatetimeFieldOverflow(f'timestamp out of range: "{text}"') from None
        raise errors.DatetimeFieldOverflow(f'{label} out of range: "{text}"') from None
    except ValueError:
        raise errors.InvalidDatetimeFormat(f'invalid input syntax for type {label}: "{text}"') from None


class DateCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return format_date(value)

    def decode_text(self, text: str, ctx: FormatContext) -> date:
        def build(p: dp.Parsed) -> date:
            if p.special:
                if p.special == "allballs":
                    raise ValueError(text)
                if p.special in _INFINITIES:
                    return fd.infinite_date(p.special != "-infinity")
                return _special_naive(p.special, ctx).date()
            return dp.build_date(p)

        return _parse_guarded("date", text, ctx, build)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        if type(value) is fd.FarDate:
            return _I32.pack(value.days)
        return _I32.pack(value.toordinal() - _PG_EPOCH_ORDINAL)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> date:
        if len(data) != 4:
            raise bad_binary()
        return days_to_date(_I32.unpack(data)[0])


class TimeCodec(Codec):
    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return format_clock(value)

    def decode_text(self, text: str, ctx: FormatContext) -> time:
        def build(p: dp.Parsed) -> time:
            if p.special:
                if p.special == "allballs":
                    return time()
                if p.special in ("now",):
                    return _now_local(ctx).time()
                raise ValueError(text)
            if p.clock is None:
                raise ValueError(text)
            delta = dp.clock_delta(p.clock)
            if delta >= timedelta(days=1):
                return fd.TIME24
            return (datetime.min + delta).time()

        return _parse_guarded("time", text, ctx, build)

    def apply_typmod(self, value: Any, typmod: int) -> time:
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        rounded = round_micros(micros, typmod)
        if rounded == micros:
            return value
        if rounded >= _USECS_PER_DAY:
            return fd.TIME24  # PostgreSQL rounds 23:59:59.9999 up to 24:00:00 as well
        return (datetime.min + timedelta(microseconds=rounded)).time()

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return _I64.pack(((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond)

    def decode_binary(self, data: bytes, ctx: FormatContext) -> time:
        if len(data) != 8:
            raise bad_binary()
        micros = _I64.unpack(data)[0]
        if micros == _USECS_PER_DAY:
            return fd.TIME24
        if not 0 <= micros < _USECS_PER_DAY:
            raise errors.DatetimeFieldOverflow("time out of range")
        return (datetime.min + timedelta(microseconds=micros)).time()


class TimeTzCodec(Codec):
    """time with time zone: a ``time`` carrying a fixed-offset ``tzinfo`` (what current_time
    returns). The binary form is PostgreSQL's int64 microseconds + int32 seconds *west*."""

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        return format_clock(value) + format_offset(value.utcoffset())

    def decode_text(self, text: str, ctx: FormatContext) -> time:
        def build(p: dp.Parsed) -> time:
            if p.special == "allballs":
                return time(tzinfo=timezone.utc)
            if p.special in ("now",):
                now = _now_local(ctx)
                return now.time().replace(tzinfo=timezone(now.utcoffset() or timedelta(0)))
            if p.special or p.clock is None:
                raise ValueError(text)
            delta = dp.clock_delta(p.clock)
            if delta > timedelta(days=1):
                raise OverflowError("time out of range")
            zone = p.zone if p.zone is not None else session_zone(ctx.timezone)
            offset = zone.utcoffset(datetime.now()) if not isinstance(zone, timezone) \
                else zone.utcoffset(None)
            return (datetime.min + delta).time().replace(tzinfo=timezone(offset or timedelta(0)))

        return _parse_guarded("time with time zone", text, ctx, build)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        offset = value.utcoffset() or timedelta(0)
        return _I64.pack(micros) + struct.pack(">i", -int(offset.total_seconds()))

    def decode_binary(self, data: bytes, ctx: FormatContext) -> time:
        if len(data) != 12:
            raise bad_binary()
        micros = _I64.unpack(data[:8])[0]
        west = struct.unpack(">i", data[8:])[0]
        if not 0 <= micros <= _USECS_PER_DAY:
            raise errors.DatetimeFieldOverflow("time out of range")
        t = (datetime.min + timedelta(microseconds=min(micros, _USECS_PER_DAY - 1))).time()
        return t.replace(tzinfo=timezone(timedelta(seconds=-west)))


class TimestampCodec(Codec):
    """timestamp (``with_tz=False``, naive values) and timestamptz (aware, UTC)."""

    def __init__(self, with_tz: bool) -> None:
        self.with_tz = with_tz
        self.label = "timestamp with time zone" if with_tz else "timestamp"

    def encode_text(self, value: Any, ctx: FormatContext) -> str:
        if type(value) is fd.FarTimestamp:
            return _far_timestamp_text(value, self.with_tz, ctx)
        if self.with_tz:
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            zone = session_zone(ctx.timezone)
            local = value if zone is UTC and value.tzinfo is UTC else value.astimezone(zone)
            return f"{format_date(local)} {format_clock(local)}{format_offset(local.utcoffset())}"
        return f"{format_date(value)} {format_clock(value)}"

    def decode_text(self, text: str, ctx: FormatContext) -> datetime:
        def build(p: dp.Parsed) -> datetime:
            if p.special:
                if p.special == "allballs":
                    raise ValueError(text)
                if p.special in _INFINITIES:
                    return fd.infinite_timestamp(p.special != "-infinity", self.with_tz)
                if p.special == "epoch" and self.with_tz:
                    return datetime(1970, 1, 1, tzinfo=UTC)
                naive = _special_naive(p.special, ctx)
                zone = None
            else:
                naive = dp.build_naive(p)
                zone = p.zone
            if not self.with_tz:
                if type(naive) is fd.FarTimestamp:
                    return _checked(naive.micros, False)
                return naive  # PostgreSQL ignores a zone written in a timestamp literal
            zone = zone or session_zone(ctx.timezone)
            if type(naive) is not fd.FarTimestamp:
                try:
                    return naive.replace(tzinfo=zone).astimezone(UTC)
                except OverflowError:  # the UTC instant leaves Python's range
                    pass
            micros = fd.timestamp_micros(naive)
            return _checked(micros - far_offset_micros(zone, micros), True)

        return _parse_guarded(self.label, text, ctx, build)

    def apply_typmod(self, value: Any, typmod: int) -> datetime:
        if type(value) is fd.FarTimestamp and not value.finite:
            return value
        micros = timestamp_to_micros(value)
        rounded = round_micros(micros, typmod)
        if rounded == micros:
            return value
        return micros_to_timestamp(rounded, self.with_tz)

    def encode_binary(self, value: Any, ctx: FormatContext) -> bytes:
        return _I64.pack(timestamp_to_micros(value))

    def decode_binary(self, data: bytes, ctx: FormatContext) -> datetime:
        if len(data) != 8:
            raise bad_binary()
        return micros_to_timestamp(_I64.unpack(data)[0], self.with_tz)


_INFINITIES = ("infinity", "-infinity")
_FAR_PAST, _FAR_FUTURE = datetime(1, 1, 2), datetime(9999, 12, 30)


_CYCLE_US = 146_097 * 86_400_000_000  # 400 Gregorian years: the calendar repeats exactly
_YEAR_9600_US = (date(9600, 1, 1).toordinal() - PG_EPOCH_DATE.toordinal()) * 86_400_000_000


def far_offset_micros(zone: Any, micros: int) -> int:
    """UTC offset of ``zone`` at ``micros`` (since 2000-01-01) beyond Python's years, as
    PostgreSQL extrapolates: before year 1 the zone's earliest (LMT) offset; after 9999
    its last rule (DST included), evaluated on the same date shifted by whole 400-year
    cycles into 9600..9999, which have the same weekdays."""
    if micros < 0:
        probe = _FAR_PAST
    else:
        cycles = max(0, (micros - _YEAR_9600_US) // _CYCLE_US)
        shifted = micros - cycles * _CYCLE_US
        try:
            probe = PG_EPOCH + timedelta(microseconds=shifted)
        except OverflowError:
            probe = _FAR_FUTURE
    offset = zone.utcoffset(probe) or timedelta(0)
    return (offset.days * 86400 + offset.seconds) * 1_000_000 + offset.microseconds


def _checked(micros: int, with_tz: bool) -> Any:
    try:
        return fd.timestamp_from_micros(micros, with_tz)
    except OverflowError:
        raise OverflowError("timestamp out of range") from None


def _far_timestamp_text(value: fd.FarTimestamp, with_tz: bool, ctx: FormatContext) -> str:
    if not value.finite or not with_tz:
        return fd.timestamp_text(value.micros)
    zone = session_zone(ctx.timezone)
    offset = far_offset_micros(zone, value.micros)
    return fd.timestamp_text(value.micros + offset, format_offset(timedelta(microseconds=offset)))
