"""Date/time arithmetic and functions: interval math, extract/date_part, date_trunc,
age, to_char/to_date/to_timestamp, make_*, justify_*.

Values: ``date``, ``time``, naive ``datetime`` (timestamp), aware UTC ``datetime``
(timestamptz) and ``Interval`` (months, days, microseconds kept apart as in
PostgreSQL). Calendar steps on timestamptz happen in the session time zone, exactly
as PostgreSQL's timestamptz_pl_interval does, so '1 day' across a DST change is 23
or 25 hours while '24 hours' is always 24.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes import Interval, type_by_name
from omendb_server.datatypes import far_dates as fd
from omendb_server.datatypes.dates import (
    days_to_date,
    far_offset_micros,
    micros_to_timestamp,
)
from omendb_server.datatypes.timezones import UTC, format_offset, session_zone
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.functions import Call, register

USECS_PER_DAY = 86_400_000_000
USECS_PER_HOUR = 3_600_000_000
EPOCH = _dt.datetime(1970, 1, 1)
EPOCH_TZ = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
DT_OIDS = (1082, 1083, 1114, 1184, 1186)


def zone(c: ExecContext) -> _dt.tzinfo:
    return session_zone(c.fmt.timezone)


def _range_check(ts: _dt.datetime) -> _dt.datetime:
    return ts


def add_months(ts: Any, months: int) -> Any:
    """Calendar month step with the day clamped to the month's end (PostgreSQL's rule)."""
    if months == 0:
        return ts
    total = ts.year * 12 + (ts.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("beyond Python's years: the caller takes the wide path")
    day = min(ts.day, calendar.monthrange(year, month)[1])
    return ts.replace(year=year, month=month, day=day)


def ts_plus_interval(ts: _dt.datetime, iv: Interval, tz: _dt.tzinfo | None = None) -> _dt.datetime:
    """timestamp[tz] + interval; ``tz`` is the session zone for timestamptz."""
    if type(ts) is fd.FarTimestamp:
        return ts if not ts.finite else _far_plus_interval(ts, iv, tz)
    try:
        if tz is not None:
            local = ts.astimezone(tz).replace(tzinfo=None)
            local = add_months(local, iv.months) + _dt.timedelta(days=iv.days)
            ts = _localize(local, tz)
            return ts + _dt.timedelta(microseconds=iv.microseconds)
        ts = add_months(ts, iv.months) + _dt.timedelta(days=iv.days)
        return ts + _dt.timedelta(microseconds=iv.microseconds)
    except OverflowError:
        return _far_plus_interval(ts, iv, tz)


def _far_plus_interval(ts: Any, iv: Interval, tz: _dt.tzinfo | None) -> Any:
    """ts + interval on microseconds and Julian days, for results beyond Python's years;
    a timestamptz steps its calendar part at the zone's far (fixed) offset."""
    micros = fd.timestamp_micros(ts)
    offset = far_offset_micros(tz, micros) if tz is not None else 0
    try:
        local = fd.add_months_micros(micros + offset, iv.months) + iv.days * USECS_PER_DAY
    except OverflowError:
        raise errors.DatetimeFieldOverflow("timestamp out of range") from None
    return micros_to_timestamp(local - offset + iv.microseconds, tz is not None)


def date_to_timestamp(d: Any) -> Any:
    """date → timestamp (midnight); infinities stay infinite."""
    if type(d) is _dt.date:
        return _dt.datetime(d.year, d.month, d.day)
    if not d.finite:
        return fd.infinite_timestamp(d.days > 0, False)
    return micros_to_timestamp(d.days * USECS_PER_DAY)


def date_step(d: Any, n: int) -> Any:
    """date ± integer (date_pli): infinities stay, 22008 beyond PostgreSQL's range."""
    if type(d) is _dt.date:
        try:
            return d + _dt.timedelta(days=n)
        except OverflowError:
            pass
    elif not d.finite:
        return d
    return days_to_date(fd.date_days(d) + n)


def date_diff(a: Any, b: Any) -> int:
    """date - date in days; PostgreSQL refuses infinite operands."""
    if type(a) is _dt.date and type(b) is _dt.date:
        return (a - b).days
    if not (fd.is_finite(a) and fd.is_finite(b)):
        raise errors.DatetimeFieldOverflow("cannot subtract infinite dates")
    return fd.date_days(a) - fd.date_days(b)


def date_plus_time(d: Any, t: Any) -> Any:
    if type(d) is _dt.date and type(t) is _dt.time:
        return _dt.datetime.combine(d, t)
    if not fd.is_finite(d):
        return fd.infinite_timestamp(d.days > 0, False)
    return micros_to_timestamp(fd.date_days(d) * USECS_PER_DAY + _us_of_day(t))


def _localize(local: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    """Wall-clock time in ``tz`` → timestamptz (beyond Python's years: the far offset)."""
    if type(local) is _dt.datetime:
        try:
            return local.replace(tzinfo=tz).astimezone(_dt.UTC)
        except OverflowError:
            pass
    elif not local.finite:
        return fd.FarTimestamp(local.micros, True)
    micros = fd.timestamp_micros(local)
    return micros_to_timestamp(micros - far_offset_micros(tz, micros), True)


def to_zone_local(v: Any, tz: _dt.tzinfo) -> Any:
    """timestamptz → wall-clock timestamp in ``tz``."""
    if type(v) is _dt.datetime:
        try:
            return v.astimezone(tz).replace(tzinfo=None)
        except OverflowError:
            pass
    elif not v.finite:
        return fd.FarTimestamp(v.micros, False)
    micros = fd.timestamp_micros(v)
    return micros_to_timestamp(micros + far_offset_micros(tz, micros), False)


def ts_diff(a: _dt.datetime, b: _dt.datetime) -> Interval:
    """timestamp - timestamp: days and time, as PostgreSQL's timestamp_mi (justify_hours)."""
    if type(a) is fd.FarTimestamp or type(b) is fd.FarTimestamp:
        if not (fd.is_finite(a) and fd.is_finite(b)):
            raise errors.DatetimeFieldOverflow("cannot subtract infinite timestamps")
        return justify_hours(Interval(0, 0, fd.timestamp_micros(a) - fd.timestamp_micros(b)))
    delta = a - b
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return justify_hours(Interval(0, 0, micros))


def _tdiv(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // b
    q = -q if a < 0 else q
    return q, a - q * b


def justify_hours(iv: Interval) -> Interval:
    days, micros = _tdiv(iv.microseconds, USECS_PER_DAY)
    days += iv.days
    if days > 0 and micros < 0:
        micros += USECS_PER_DAY
        days -= 1
    elif days < 0 and micros > 0:
        micros -= USECS_PER_DAY
        days += 1
    return Interval(iv.months, days, micros)


def justify_days(iv: Interval) -> Interval:
    months, days = _tdiv(iv.days, 30)
    months += iv.months
    if months > 0 and days < 0:
        days += 30
        months -= 1
    elif months < 0 and days > 0:
        days -= 30
        months += 1
    return Interval(months, days, iv.microseconds)


def justify_interval(iv: Interval) -> Interval:
    months, days, micros = iv.months, iv.days, iv.microseconds
    wd, micros = _tdiv(micros, USECS_PER_DAY)
    days += wd
    wm, days = _tdiv(days, 30)
    months += wm
    if months > 0 and (days < 0 or (days == 0 and micros < 0)):
        days += 30
        months -= 1
    elif months < 0 and (days > 0 or (days == 0 and micros > 0)):
        days -= 30
        months += 1
    if days > 0 and micros < 0:
        micros += USECS_PER_DAY
        days -= 1
    elif days < 0 and micros > 0:
        micros -= USECS_PER_DAY
        days += 1
    return Interval(months, days, micros)


def _tsround(secs: float) -> float:
    return round(secs * 1_000_000.0) / 1_000_000.0


def _spill(iv: Interval, months_f: float, days_f: float, time_f: float) -> Interval:
    """PostgreSQL 15's interval_mul/interval_div: fractional months become days (30 per
    month), fractional days become seconds rounded to microseconds, then time."""
    months = int(months_f)
    days = int(days_f)
    month_remainder_days = _tsround((months_f - months) * 30)
    sec_remainder = (days_f - days + month_remainder_days - int(month_remainder_days)) * 86400
    sec_remainder = _tsround(sec_remainder)
    if abs(sec_remainder) >= 86400:
        days += int(sec_remainder / 86400)
        sec_remainder -= int(sec_remainder / 86400) * 86400
    days += int(month_remainder_days)
    micros = round(time_f + sec_remainder * 1_000_000)
    if not (-(2**31) <= months < 2**31 and -(2**31) <= days < 2**31):
        raise errors.DatetimeFieldOverflow("interval out of range")
    return Interval(months, days, micros)


def interval_mul(iv: Interval, factor: float | Decimal) -> Interval:
    """interval * number (PostgreSQL's interval_mul)."""
    f = float(factor)
    if f != f:  # noqa: PLR0124 (NaN)
        raise errors.DatetimeFieldOverflow("interval out of range")
    return _spill(iv, iv.months * f, iv.days * f, iv.microseconds * f)


def interval_div(iv: Interval, factor: float | Decimal) -> Interval:
    """interval / number (PostgreSQL's interval_div, also avg(interval))."""
    f = float(factor)
    if f == 0:
        raise errors.DivisionByZero("division by zero")
    return _spill(iv, iv.months / f, iv.days / f, iv.microseconds / f)


def interval_add(a: Interval, b: Interval, sign: int = 1) -> Interval:
    return Interval(a.months + sign * b.months, a.days + sign * b.days,
                    a.microseconds + sign * b.microseconds)


# -- arithmetic entry point used by expr._arith ---------------------------------------------
def datetime_arith(comp: Any, sym: str, left: Any, right: Any) -> Any:
    """Resolve ``left sym right`` when either side is a date/time type; None if not ours."""
    from omendb_server.sql.expr import CExpr

    lt, rt = left.type.oid, right.type.oid
    if lt not in DT_OIDS and rt not in DT_OIDS:
        return None
    # unknown literals next to a date/time value take the type PostgreSQL picks
    if lt == 705 and rt in DT_OIDS:
        left = comp.coerce(left, T.INTERVAL if sym == "+" and rt != 1186 else right.type
                           if rt != 1082 or sym == "-" else T.INTERVAL)
        lt = left.type.oid
    elif rt == 705 and lt in DT_OIDS:
        if sym == "-" and lt in (1082, 1114, 1184):
            # PostgreSQL prefers date - date / ts - ts for an unknown literal
            right = comp.coerce(right, left.type)
        elif sym in "+-":
            right = comp.coerce(right, T.INTERVAL if lt != 1082 else T.INT4)
        else:
            right = comp.coerce(right, T.FLOAT8)
        rt = right.type.oid
    lf, rf = left.fn, right.fn

    def binop(body: Callable[[Any, Any, ExecContext], Any], t: Any) -> Any:
        def run(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            if a is None:
                return None
            b = rf(r, c)
            if b is None:
                return None
            return body(a, b, c)
        return CExpr(run, t)

    if lt == 1082 and T.is_integer(right.type) and sym in "+-":
        sign = 1 if sym == "+" else -1
        return binop(lambda a, b, c: date_step(a, sign * b), T.DATE)
    if T.is_integer(left.type) and rt == 1082 and sym == "+":
        return binop(lambda a, b, c: date_step(b, a), T.DATE)
    if lt == 1082 and rt == 1082 and sym == "-":
        return binop(lambda a, b, c: date_diff(a, b), T.INT4)
    if lt == 1082 and rt == 1083 and sym == "+":
        return binop(lambda a, b, c: date_plus_time(a, b), T.TIMESTAMP)
    if lt == 1083 and rt == 1082 and sym == "+":
        return binop(lambda a, b, c: date_plus_time(b, a), T.TIMESTAMP)
    if sym in "+-" and lt in (1082, 1114, 1184) and rt == 1186 or \
            sym == "+" and lt == 1186 and rt in (1082, 1114, 1184):
        if lt == 1186:
            lf, rf = rf, lf
            lt, rt = rt, lt
        sign = 1 if sym == "+" else -1
        if lt == 1184:
            return binop(lambda a, b, c: ts_plus_interval(a, b if sign > 0 else -b, zone(c)),
                         T.TIMESTAMPTZ)
        if lt == 1082:
            return binop(lambda a, b, c: ts_plus_interval(date_to_timestamp(a),
                                                          b if sign > 0 else -b), T.TIMESTAMP)
        return binop(lambda a, b, c: ts_plus_interval(a, b if sign > 0 else -b), T.TIMESTAMP)
    if lt in (1114, 1184) and rt in (1114, 1184, 1082) and sym == "-" or \
            lt == 1082 and rt in (1114, 1184) and sym == "-":
        target = T.TIMESTAMPTZ if 1184 in (lt, rt) else T.TIMESTAMP
        left2, right2 = comp.coerce(left, target), comp.coerce(right, target)
        lf2, rf2 = left2.fn, right2.fn
        lf, rf = lf2, rf2
        return binop(lambda a, b, c: ts_diff(a, b), T.INTERVAL)
    if lt == 1083 and rt == 1186 and sym in "+-" or lt == 1186 and rt == 1083 and sym == "+":
        if lt == 1186:
            lf, rf = rf, lf
        sign = 1 if sym == "+" else -1

        def time_plus(t: _dt.time, iv: Interval, c: ExecContext) -> _dt.time:
            us = (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000 + t.microsecond
            us = (us + sign * iv.microseconds) % USECS_PER_DAY
            s, us = divmod(us, 1_000_000)
            return _dt.time(s // 3600, s // 60 % 60, s % 60, us)

        return binop(time_plus, T.TIME)
    if lt == 1083 and rt == 1083 and sym == "-":
        def time_diff(a: _dt.time, b: _dt.time, c: ExecContext) -> Interval:
            ua = (a.hour * 3600 + a.minute * 60 + a.second) * 1_000_000 + a.microsecond
            ub = (b.hour * 3600 + b.minute * 60 + b.second) * 1_000_000 + b.microsecond
            return Interval(0, 0, ua - ub)
        return binop(time_diff, T.INTERVAL)
    if lt == 1186 and rt == 1186 and sym in "+-":
        sign = 1 if sym == "+" else -1
        return binop(lambda a, b, c: interval_add(a, b, sign), T.INTERVAL)
    if lt == 1186 and T.is_numeric(right.type) and sym in "*/" or \
            T.is_numeric(left.type) and rt == 1186 and sym == "*":
        if lt != 1186:
            lf, rf = rf, lf
        if sym == "*":
            return binop(lambda a, b, c: interval_mul(a, b), T.INTERVAL)

        def idiv(a: Interval, b: Any, c: ExecContext) -> Interval:
            return interval_div(a, b)
        return binop(idiv, T.INTERVAL)
    raise errors.UndefinedFunction(
        f"operator does not exist: {T.type_label(left.type)} {sym} {T.type_label(right.type)}",
        hint="No operator matches the given name and argument types. "
        "You might need to add explicit type casts.")


# -- interval literal -------------------------------------------------------------------------
def interval_literal(comp: Any, node: exp.Interval) -> Any:
    from omendb_server.sql.expr import CExpr

    this = node.this
    unit = node.args.get("unit")
    inner = comp.compile(this)
    unit_text = unit.sql(dialect="postgres").lower() if unit is not None else ""
    if inner.const:
        v = inner.fn((), None)
        if v is None:
            return CExpr(lambda r, c: None, T.INTERVAL, -1, "interval", const=True)
        text = str(v)
        if unit_text:
            text = _apply_unit(text, unit_text)
        value = T.INTERVAL.text_in(text)
        return CExpr(lambda r, c: value, T.INTERVAL, -1, "interval", const=True)
    ce = comp.coerce(inner, T.TEXT)
    f = ce.fn
    return CExpr(lambda r, c: None if (v := f(r, c)) is None else
                 T.INTERVAL.text_in(_apply_unit(v, unit_text) if unit_text else v),
                 T.INTERVAL, -1, "interval")


def _apply_unit(text: str, unit: str) -> str:
    """interval '5' day -> '5 day'; a unit restricts a plain number (PostgreSQL's typmod)."""
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", t):
        first = unit.split()[0]
        return f"{t} {first}"
    return t


# -- extract / date_part -------------------------------------------------------------------------
_FIELD_ALIASES = {
    "years": "year", "y": "year", "yr": "year", "yrs": "year", "months": "month", "mon": "month",
    "mons": "month", "days": "day", "d": "day", "hours": "hour", "h": "hour", "hr": "hour",
    "hrs": "hour", "minutes": "minute", "min": "minute", "mins": "minute", "m": "minute",
    "seconds": "second", "sec": "second", "secs": "second", "s": "second",
    "milliseconds": "milliseconds", "millisecond": "milliseconds", "ms": "milliseconds",
    "msec": "milliseconds", "microseconds": "microseconds", "microsecond": "microseconds",
    "us": "microseconds", "usec": "microseconds", "weeks": "week", "w": "week",
    "decades": "decade", "centuries": "century", "millennia": "millennium",
    "dayofweek": "dow", "dayofyear": "doy", "epoch": "epoch", "quarter": "quarter",
    "qtr": "quarter", "timezone_h": "timezone_hour", "timezone_m": "timezone_minute",
}
_KNOWN_FIELDS = {"year", "month", "day", "hour", "minute", "second", "milliseconds",
                 "microseconds", "week", "decade", "century", "millennium", "dow", "doy",
                 "isodow", "isoyear", "epoch", "julian", "quarter", "timezone", "timezone_hour",
                 "timezone_minute"}
_DATE_FIELDS = {"year", "month", "day", "week", "quarter", "decade", "century", "millennium",
                "dow", "isodow", "doy", "isoyear", "epoch", "julian"}
_TIME_FIELDS = {"hour", "minute", "second", "milliseconds", "microseconds", "epoch"}


def _field_name(text: str) -> str:
    f = text.strip().lower().strip('"')
    return _FIELD_ALIASES.get(f, f)


def _us_of_day(t: Any) -> int:
    return (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000 + t.microsecond


def _julian(d: _dt.date) -> int:
    return d.toordinal() + 1721425


def extract_value(field: str, v: Any, oid: int, c: ExecContext | None) -> Decimal:
    """EXTRACT(field FROM v) as PostgreSQL 15's numeric result."""
    type_label = {1082: "date", 1083: "time without time zone",
                  1114: "timestamp without time zone", 1184: "timestamp with time zone",
                  1186: "interval"}[oid]

    def unsupported() -> errors.DBError:
        if field not in _KNOWN_FIELDS:
            return errors.InvalidParameterValue(
                f'unit "{field}" not recognized for type {type_label}')
        return errors.FeatureNotSupported(f'unit "{field}" not supported for type {type_label}')

    if oid == 1186:
        return _extract_interval(field, v, unsupported)
    if type(v) is fd.FarDate or type(v) is fd.FarTimestamp:
        if field not in _KNOWN_FIELDS:
            raise unsupported()
        return _extract_far(field, v, oid, c, unsupported)
    if oid == 1083:
        if field not in _TIME_FIELDS:
            raise unsupported()
        return _time_field(field, _us_of_day(v), is_epoch_base=True)
    offset_s = 0
    if oid == 1184:
        tz = zone(c) if c is not None else UTC
        local = v.astimezone(tz)
        offset = local.utcoffset() or _dt.timedelta(0)
        offset_s = int(offset.total_seconds())
        if field == "epoch":
            d = v - EPOCH_TZ
            us = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
            return Decimal(us).scaleb(-6).quantize(Decimal("0.000001"))
        if field == "timezone":
            return Decimal(offset_s)
        if field == "timezone_hour":
            return Decimal(int(offset_s / 3600))
        if field == "timezone_minute":
            return Decimal(int(offset_s % 3600 / 60) if offset_s >= 0 else -int(-offset_s % 3600 / 60))
        v = local.replace(tzinfo=None)
    elif field in ("timezone", "timezone_hour", "timezone_minute"):
        raise unsupported()
    if oid == 1082:
        if field not in _DATE_FIELDS:
            raise unsupported()
        if field == "epoch":
            return Decimal((v - _dt.date(1970, 1, 1)).days * 86400)
        if field == "julian":
            return Decimal(_julian(v))
        return Decimal(_date_field(field, v))
    # timestamp
    if field == "epoch":
        d = v - EPOCH
        us = (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds
        return Decimal(us).scaleb(-6).quantize(Decimal("0.000001"))
    if field == "julian":
        us = _us_of_day(v)
        return Decimal(_julian(v.date())) + (Decimal(us) / Decimal(USECS_PER_DAY)).quantize(
            Decimal(1).scaleb(-20)).normalize()
    if field in _DATE_FIELDS:
        return Decimal(_date_field(field, v.date() if isinstance(v, _dt.datetime) else v))
    if field in _TIME_FIELDS:
        return _time_field(field, _us_of_day(v), is_epoch_base=False)
    raise unsupported()


_MONOTONIC_FIELDS = frozenset(("year", "decade", "century", "millennium", "julian", "isoyear", "epoch"))


def _extract_far(field: str, v: Any, oid: int, c: ExecContext | None,
                 unsupported: Callable[[], errors.DBError]) -> Decimal | None:
    """EXTRACT from a value beyond Python's years: ±Infinity for the fields that grow with
    time and NULL for the others on infinities (PostgreSQL 15), calendar fields from
    Julian days otherwise."""
    if oid == 1082 and field not in _DATE_FIELDS:
        raise unsupported()
    if oid != 1184 and field in ("timezone", "timezone_hour", "timezone_minute"):
        raise unsupported()
    if not v.finite:
        if field in _MONOTONIC_FIELDS:
            return Decimal("Infinity") if (v.days if oid == 1082 else v.micros) > 0 else Decimal("-Infinity")
        return None
    micros = v.days * USECS_PER_DAY if oid == 1082 else v.micros
    if field == "epoch":
        if oid == 1082:
            return Decimal(micros // 1_000_000 + 946_684_800)
        return Decimal(micros + 946_684_800_000_000).scaleb(-6).quantize(Decimal("0.000001"))
    if oid == 1184:
        offset = far_offset_micros(zone(c) if c is not None else UTC, micros)
        if field.startswith("timezone"):
            secs = offset // 1_000_000
            return Decimal({"timezone": secs, "timezone_hour": int(secs / 3600),
                            "timezone_minute": int(secs % 3600 / 60) if secs >= 0
                            else -int(-secs % 3600 / 60)}[field])
        micros += offset
    y, m, d, us = fd.split_micros(micros)
    jd = fd.date2j(y, m, d)
    if field in _TIME_FIELDS:
        return _time_field(field, us, is_epoch_base=False)
    if field == "julian":
        if oid == 1082:
            return Decimal(jd)
        return Decimal(jd) + (Decimal(us) / Decimal(USECS_PER_DAY)).quantize(
            Decimal(1).scaleb(-20)).normalize()
    values = {
        "year": y if y > 0 else y - 1, "month": m, "day": d, "quarter": (m - 1) // 3 + 1,
        "decade": y // 10 if y >= 0 else -((8 - (y - 1)) // 10),
        "century": (y + 99) // 100 if y > 0 else -((99 - (y - 1)) // 100),
        "millennium": (y + 999) // 1000 if y > 0 else -((999 - (y - 1)) // 1000),
        "dow": (jd + 1) % 7, "isodow": (jd + 1) % 7 or 7, "doy": jd - fd.date2j(y, 1, 1) + 1,
    }
    if field in values:
        return Decimal(values[field])
    week, iso_year = _iso_week(y, m, d)
    if field == "week":
        return Decimal(week)
    return Decimal(iso_year if iso_year > 0 else iso_year - 1)  # isoyear: BC years count down from -1


def _iso_week(y: int, m: int, d: int) -> tuple[int, int]:
    """(ISO week, ISO year) of an astronomical date: PostgreSQL's date2isoweek/date2isoyear."""
    dayn = fd.date2j(y, m, d)
    day4 = fd.date2j(y, 1, 4)  # week 1 holds January 4th
    day0 = (day4 - 1 + 1) % 7  # j2day: 0 = Sunday; offset back to that week's Monday
    if dayn < day4 - day0:
        y -= 1
        day4 = fd.date2j(y, 1, 4)
        day0 = day4 % 7
    week = (dayn - (day4 - day0)) // 7 + 1
    if week >= 52:
        day4n = fd.date2j(y + 1, 1, 4)
        day0n = day4n % 7
        if dayn >= day4n - day0n:
            week = (dayn - (day4n - day0n)) // 7 + 1
            y += 1
    return week, y


def _date_field(field: str, d: _dt.date) -> int:
    if field == "year":
        return d.year
    if field == "month":
        return d.month
    if field == "day":
        return d.day
    if field == "quarter":
        return (d.month - 1) // 3 + 1
    if field == "week":
        return d.isocalendar()[1]
    if field == "isoyear":
        return d.isocalendar()[0]
    if field == "dow":
        return d.isoweekday() % 7
    if field == "isodow":
        return d.isoweekday()
    if field == "doy":
        return d.timetuple().tm_yday
    if field == "decade":
        return d.year // 10
    if field == "century":
        return (d.year + 99) // 100
    if field == "millennium":
        return (d.year + 999) // 1000
    raise errors.InvalidParameterValue(f'unit "{field}" not recognized for type date')


def _time_field(field: str, us: int, is_epoch_base: bool) -> Decimal:
    sec_us = us % 60_000_000
    if field == "hour":
        return Decimal(us // USECS_PER_HOUR)
    if field == "minute":
        return Decimal(us // 60_000_000 % 60)
    if field == "second":
        return Decimal(sec_us).scaleb(-6).quantize(Decimal("0.000001"))
    if field == "milliseconds":
        return Decimal(sec_us).scaleb(-3).quantize(Decimal("0.001"))
    if field == "microseconds":
        return Decimal(sec_us)
    if field == "epoch":
        return Decimal(us).scaleb(-6).quantize(Decimal("0.000001"))
    raise errors.InvalidParameterValue(f'unit "{field}" not recognized')


def _extract_interval(field: str, iv: Interval, unsupported: Callable[[], errors.DBError]) -> Decimal:
    years, months = _tdiv(iv.months, 12)
    hours, rest = _tdiv(iv.microseconds, USECS_PER_HOUR)
    minutes, us = _tdiv(rest, 60_000_000)
    if field == "epoch":
        secs = Decimal(iv.microseconds).scaleb(-6) + Decimal(iv.days * 86400) + \
            Decimal(years * 365.25 * 86400).quantize(Decimal(1)) + Decimal(months * 30 * 86400)
        return secs.quantize(Decimal("0.000001"))
    table = {"year": years, "month": months, "day": iv.days, "hour": hours, "minute": minutes,
             "quarter": months // 3 + 1 if months >= 0 else -((-months) // 3) + 1,
             "decade": int(years / 10), "century": int(years / 100),
             "millennium": int(years / 1000)}
    if field in table:
        return Decimal(table[field])
    if field == "second":
        return Decimal(us).scaleb(-6).quantize(Decimal("0.000001"))
    if field == "milliseconds":
        return Decimal(us).scaleb(-3).quantize(Decimal("0.001"))
    if field == "microseconds":
        return Decimal(us)
    raise unsupported()


def _dt_arg(call: Call, ce: Any) -> Any:
    if ce.type.oid == 705:
        return call.comp.coerce(ce, T.TIMESTAMPTZ)
    if ce.type.oid not in DT_OIDS:
        raise call.no_such_function()
    return ce


def compile_extract(comp: Any, node: exp.Extract) -> Any:
    from omendb_server.sql.expr import CExpr

    field = _field_name(node.this.name if isinstance(node.this, (exp.Var, exp.Identifier,
                                                                   exp.Column)) else
                        str(comp.compile(node.this).fn((), None)))
    src = comp.compile(node.expression)
    if src.type.oid == 705:
        src = comp.coerce(src, T.TIMESTAMPTZ)
    if src.type.oid == 1266:  # time with time zone: the clock fields, plus its offset
        tf = src.fn

        def extract_timetz(r: tuple, c: ExecContext) -> Any:
            v = tf(r, c)
            if v is None:
                return None
            offset = int((v.utcoffset() or _dt.timedelta(0)).total_seconds())
            if field == "timezone":
                return Decimal(offset)
            if field == "timezone_hour":
                return Decimal(int(offset / 3600))
            if field == "timezone_minute":
                return Decimal(int(offset % 3600 / 60) if offset >= 0 else -int(-offset % 3600 / 60))
            if field == "epoch":
                return (_time_field("epoch", _us_of_day(v), True) - offset).quantize(Decimal("0.000001"))
            return extract_value(field, v.replace(tzinfo=None), 1083, c)

        return CExpr(extract_timetz, T.NUMERIC, -1, "extract")
    if src.type.oid not in DT_OIDS:
        raise errors.UndefinedFunction(
            f"function pg_catalog.extract(unknown, {T.type_label(src.type)}) does not exist",
            hint="No function matches the given name and argument types. "
            "You might need to add explicit type casts.")
    oid = src.type.oid
    f = src.fn
    return CExpr(lambda r, c: None if (v := f(r, c)) is None else extract_value(field, v, oid, c),
                 T.NUMERIC, -1, "extract")


@register("date_part")
def _date_part(call: Call) -> Any:
    ces = call.compiled()
    field_ce = call.comp.coerce(ces[0], T.TEXT)
    src = _dt_arg(call, ces[1])
    oid = src.type.oid
    if oid == 1082:
        src = call.comp.coerce(src, T.TIMESTAMP)
        oid = 1114
    ff, sf = field_ce.fn, src.fn

    def date_part(r: tuple, c: ExecContext) -> Any:
        fld, v = ff(r, c), sf(r, c)
        if fld is None or v is None:
            return None
        out = extract_value(_field_name(fld), v, oid, c)
        return None if out is None else float(out)

    return call.make(date_part, T.FLOAT8)


# -- date_trunc ----------------------------------------------------------------------------------
_TRUNC_UNITS = ("microseconds", "milliseconds", "second", "minute", "hour", "day", "week",
                "month", "quarter", "year", "decade", "century", "millennium")


def trunc_timestamp(unit: str, ts: _dt.datetime) -> _dt.datetime:
    if unit == "microseconds":
        return ts
    if unit == "milliseconds":
        return ts.replace(microsecond=ts.microsecond // 1000 * 1000)
    if unit == "second":
        return ts.replace(microsecond=0)
    if unit == "minute":
        return ts.replace(second=0, microsecond=0)
    if unit == "hour":
        return ts.replace(minute=0, second=0, microsecond=0)
    day = ts.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - _dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    if unit == "decade":
        return day.replace(year=day.year // 10 * 10, month=1, day=1)
    if unit == "century":
        return day.replace(year=(day.year - 1) // 100 * 100 + 1, month=1, day=1)
    if unit == "millennium":
        return day.replace(year=(day.year - 1) // 1000 * 1000 + 1, month=1, day=1)
    raise errors.InvalidParameterValue(f'unit "{unit}" not recognized for type timestamp without time zone')


def _trunc_far(unit: str, v: fd.FarTimestamp, tz: _dt.tzinfo | None) -> Any:
    """date_trunc on Julian days for timestamps beyond Python's years."""
    offset = far_offset_micros(tz, v.micros) if tz is not None else 0
    y, m, d, us = fd.split_micros(v.micros + offset)
    if unit in ("microseconds", "milliseconds", "second", "minute", "hour"):
        step = {"microseconds": 1, "milliseconds": 1000, "second": 1_000_000,
                "minute": 60_000_000, "hour": USECS_PER_HOUR}[unit]
        us = us // step * step
    else:
        us = 0
        if unit == "week":
            d_jd = fd.date2j(y, m, d) - fd.date2j(y, m, d) % 7  # back to Monday
            y, m, d = fd.j2date(d_jd)
        elif unit != "day":
            d = 1
            if unit == "quarter":
                m = (m - 1) // 3 * 3 + 1
            elif unit != "month":
                m = 1
                if unit == "decade":
                    y = y // 10 * 10
                elif unit == "century":
                    y = (y - 1) // 100 * 100 + 1 if y > 0 else -((99 - (y - 1)) // 100) * 100 + 1
                elif unit == "millennium":
                    y = (y - 1) // 1000 * 1000 + 1 if y > 0 else -((999 - (y - 1)) // 1000) * 1000 + 1
    local = (fd.date2j(y, m, d) - fd.POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + us
    return micros_to_timestamp(local - offset, tz is not None)


def trunc_interval(unit: str, iv: Interval) -> Interval:
    years, months = _tdiv(iv.months, 12)
    hours, rest = _tdiv(iv.microseconds, USECS_PER_HOUR)
    minutes, us = _tdiv(rest, 60_000_000)
    if unit in ("week",):
        raise errors.FeatureNotSupported('interval units "week" not supported because months '
                                         "usually have fractional weeks")
    order = ["millennium", "century", "decade", "year", "quarter", "month", "day", "hour",
             "minute", "second", "milliseconds", "microseconds"]
    if unit not in order:
        raise errors.InvalidParameterValue(f'unit "{unit}" not recognized for type interval')
    keep = order.index(unit)
    y = years
    if keep <= 2:
        div = {0: 1000, 1: 100, 2: 10}[keep]
        y = int(years / div) * div
    mo = months if keep >= 5 else (int(months / 3) * 3 if keep == 4 else 0)
    d = iv.days if keep >= 6 else 0
    h = hours if keep >= 7 else 0
    mi = minutes if keep >= 8 else 0
    if keep >= 11:
        u = us
    elif keep == 10:
        u = int(us / 1000) * 1000
    elif keep == 9:
        u = int(us / 1_000_000) * 1_000_000
    else:
        u = 0
    return Interval(y * 12 + mo, d, (h * 3600 + mi * 60) * 1_000_000 + u)


@register("date_trunc", "timestamp_trunc")
def _date_trunc(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) not in (2, 3):
        raise call.no_such_function(ces)
    unit_ce = call.comp.coerce(ces[0], T.TEXT)
    src = ces[1]
    if src.type.oid in (705, 1082):
        src = call.comp.coerce(src, T.TIMESTAMPTZ)
    oid = src.type.oid
    if oid not in (1114, 1184, 1186):
        raise call.no_such_function(ces)
    tz_ce = call.comp.coerce(ces[2], T.TEXT) if len(ces) == 3 else None
    uf, sf = unit_ce.fn, src.fn

    def date_trunc(r: tuple, c: ExecContext) -> Any:
        unit, v = uf(r, c), sf(r, c)
        if unit is None or v is None:
            return None
        u = _field_name(unit)
        if oid == 1186:
            return trunc_interval(u, v)
        if u not in _TRUNC_UNITS:
            label = "timestamp with time zone" if oid == 1184 else "timestamp without time zone"
            raise errors.InvalidParameterValue(f'unit "{unit.lower()}" not recognized for type {label}'
                                               if u not in _FIELD_ALIASES.values() and u not in
                                               _DATE_FIELDS | _TIME_FIELDS else
                                               f'unit "{unit.lower()}" not supported for type {label}')
        if type(v) is fd.FarTimestamp:
            if not v.finite:
                return v
            return _trunc_far(u, v, zone(c) if oid == 1184 else None)
        if oid == 1114:
            return trunc_timestamp(u, v)
        tz = session_zone(tz_ce.fn(r, c)) if tz_ce is not None else zone(c)
        local = v.astimezone(tz).replace(tzinfo=None)
        return _localize(trunc_timestamp(u, local), tz)

    return call.make(date_trunc, src.type, "date_trunc")


# -- age, make_*, justify_* ------------------------------------------------------------------------
def age(a: _dt.datetime, b: _dt.datetime) -> Interval:
    """PostgreSQL's timestamp_age: symbolic years/months/days, borrowing from the earlier month."""
    sign = 1
    if a < b:
        a, b = b, a
        sign = -1
    us = _us_of_day(a) - _us_of_day(b)
    days = a.day - b.day
    months = a.month - b.month
    years = a.year - b.year
    if us < 0:
        us += USECS_PER_DAY
        days -= 1
    if days < 0:
        # borrow the length of the earlier timestamp's month (PostgreSQL's day_tab rule)
        days += calendar.monthrange(b.year, b.month)[1]
        months -= 1
    if months < 0:
        months += 12
        years -= 1
    iv = Interval(years * 12 + months, days, us)
    return iv if sign > 0 else -iv


@register("age")
def _age(call: Call) -> Any:
    ces = call.compiled()
    if not 1 <= len(ces) <= 2:
        raise call.no_such_function(ces)
    tz_aware = any(c.type.oid == 1184 for c in ces) or any(c.type.oid == 705 for c in ces)
    target = T.TIMESTAMPTZ if tz_aware else T.TIMESTAMP
    for c in ces:
        if c.type.oid not in (705, 1082, 1114, 1184):
            raise call.no_such_function(ces)
    args = [call.comp.coerce(c, target) for c in ces]

    def to_local(v: _dt.datetime, c: ExecContext) -> _dt.datetime:
        return to_zone_local(v, zone(c)) if tz_aware else v

    if len(args) == 2:
        af, bf = args[0].fn, args[1].fn

        def age2(r: tuple, c: ExecContext) -> Any:
            a, b = af(r, c), bf(r, c)
            if a is None or b is None:
                return None
            return age(to_local(a, c), to_local(b, c))

        return call.make(age2, T.INTERVAL)
    f = args[0].fn

    def age1(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        if v is None:
            return None
        today = c.stmt_ts.astimezone(zone(c)).replace(tzinfo=None)
        midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
        return age(midnight, to_local(v, c))

    return call.make(age1, T.INTERVAL)


@register("make_date")
def _make_date(call: Call) -> Any:
    ces = call.args([T.INT4] * 3)

    def make_date(y: int, m: int, d: int) -> _dt.date:
        try:
            if 1 <= y <= 9999:
                return _dt.date(y, m, d)
            if y == 0:
                raise ValueError("year zero")
            return days_to_date(fd.ymd_days(y if y > 0 else y + 1, m, d))
        except ValueError:
            raise errors.DatetimeFieldOverflow(f"date field value out of range: {y}-{m:02d}-{d:02d}") from None
        except fd.DateOutOfRange:
            raise errors.DatetimeFieldOverflow(f"date out of range: {y}-{m:02d}-{d:02d}") from None

    return call.strict(ces, make_date, T.DATE)


def _secs_to_parts(secs: float) -> tuple[int, int]:
    whole = int(secs)
    return whole, round((secs - whole) * 1_000_000)


@register("make_time")
def _make_time(call: Call) -> Any:
    ces = call.args([T.INT4, T.INT4, T.FLOAT8])

    def make_time(h: int, m: int, s: float) -> _dt.time:
        sec, us = _secs_to_parts(s)
        try:
            return _dt.time(h, m, sec, us)
        except ValueError:
            raise errors.DatetimeFieldOverflow(f"time field value out of range: {h}:{m:02d}:{s:02}") from None

    return call.strict(ces, make_time, T.TIME)


@register("make_timestamp", "make_timestamptz", "timestamp_from_parts")
def _make_timestamp(call: Call) -> Any:
    ces = call.compiled()
    if call.name == "timestamp_from_parts":
        call.name = "make_timestamp"
    tz_arg = call.name == "make_timestamptz" and len(ces) == 7
    args = [call.comp.coerce(c, t) for c, t in zip(ces, [T.INT4] * 5 + [T.FLOAT8, T.TEXT])]
    fns = [a.fn for a in args]
    with_tz = call.name == "make_timestamptz"

    def make_ts(r: tuple, c: ExecContext) -> Any:
        vals = [f(r, c) for f in fns]
        if any(v is None for v in vals):
            return None
        y, mo, d, h, mi, s = vals[:6]
        sec, us = _secs_to_parts(s)
        try:
            if not 1 <= y <= 9999:
                if y == 0:
                    raise ValueError("year zero")
                days = fd.ymd_days(y if y > 0 else y + 1, mo, d)
                ts = micros_to_timestamp(days * USECS_PER_DAY + int(
                    _dt.timedelta(hours=h, minutes=mi, seconds=sec, microseconds=us)
                    // _dt.timedelta(microseconds=1)))
            else:
                ts = _dt.datetime(y, mo, d, h, mi, sec, us)
        except ValueError:
            raise errors.DatetimeFieldOverflow(
                f"date field value out of range: {y}-{mo:02d}-{d:02d}") from None
        except fd.DateOutOfRange:
            raise errors.DatetimeFieldOverflow(
                f"date out of range: {y}-{mo:02d}-{d:02d}") from None
        if not with_tz:
            return ts
        tz = session_zone(vals[6]) if tz_arg else zone(c)
        return _localize(ts, tz)

    return call.make(make_ts, T.TIMESTAMPTZ if with_tz else T.TIMESTAMP)


_MAKE_INTERVAL_ARGS = ("years", "months", "weeks", "days", "hours", "mins", "secs")


@register("make_interval")
def _make_interval(call: Call) -> Any:
    slots: dict[str, Any] = {}
    pos = 0
    for a in call.arg_nodes:
        if isinstance(a, exp.Kwarg):
            key = a.this.name.lower()
            if key not in _MAKE_INTERVAL_ARGS:
                raise call.no_such_function([])
            slots[key] = a.expression
        elif isinstance(a, exp.PropertyEQ):
            slots[a.this.name.lower()] = a.expression
        else:
            slots[_MAKE_INTERVAL_ARGS[pos]] = a
            pos += 1
    fns: dict[str, Any] = {}
    for key, node in slots.items():
        ce = call.comp.compile(node)
        fns[key] = call.comp.coerce(ce, T.FLOAT8 if key == "secs" else T.INT4).fn

    def make_interval(r: tuple, c: ExecContext) -> Any:
        vals = {k: f(r, c) for k, f in fns.items()}
        if any(v is None for v in vals.values()):
            return None
        g = vals.get
        months = (g("years") or 0) * 12 + (g("months") or 0)
        days = (g("weeks") or 0) * 7 + (g("days") or 0)
        us = ((g("hours") or 0) * 3600 + (g("mins") or 0) * 60) * 1_000_000 + \
            round((g("secs") or 0) * 1_000_000)
        return Interval(months, days, us)

    return call.make(make_interval, T.INTERVAL, "make_interval")


@register("justify_days", "justify_hours", "justify_interval")
def _justify(call: Call) -> Any:
    (a,) = call.args([T.INTERVAL])
    fn = {"justify_days": justify_days, "justify_hours": justify_hours,
          "justify_interval": justify_interval}[call.name]
    return call.strict([a], fn, T.INTERVAL)


@register("isfinite")
def _isfinite(call: Call) -> Any:
    (a,) = call.compiled()
    return call.strict([a], fd.is_finite, T.BOOL)


@register("localtime", "current_time")
def _localtime(call: Call) -> Any:
    if call.name == "localtime":
        return call.make(lambda r, c: c.stmt_ts.astimezone(zone(c)).time().replace(tzinfo=None),
                         T.TIME, call.name)
    timetz = type_by_name("timetz")

    def current_time(r: tuple, c: ExecContext) -> Any:
        local = c.stmt_ts.astimezone(zone(c))
        return local.time().replace(tzinfo=_dt.timezone(local.utcoffset() or _dt.timedelta(0)))

    return call.make(current_time, timetz, call.name)


@register("timeofday")
def _timeofday(call: Call) -> Any:
    def timeofday(r: tuple, c: ExecContext) -> str:
        now = _dt.datetime.now(_dt.UTC).astimezone(zone(c))
        return now.strftime("%a %b %d %H:%M:%S.%f %Y ") + (now.tzname() or "UTC")
    return call.make(timeofday, T.TEXT)


# -- to_char / to_date / to_timestamp ----------------------------------------------------------------
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_TOKENS = sorted([
    "HH24", "HH12", "HH", "MI", "SS", "MS", "US", "SSSSS", "SSSS", "AM", "PM", "A.M.", "P.M.",
    "am", "pm", "a.m.", "p.m.", "YYYY", "YYY", "YY", "Y,YYY", "Y", "IYYY", "IYY", "IY", "I",
    "MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day", "DY", "Dy", "dy",
    "DDD", "DD", "D", "IDDD", "ID", "WW", "IW", "W", "CC", "J", "Q", "RM", "rm", "TZ", "tz",
    "TZH", "TZM", "OF", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "BC", "AD", "B.C.", "A.D.",
    "bc", "ad",
], key=len, reverse=True)
_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def format_datetime(v: Any, fmt: str, c: ExecContext | None, oid: int) -> str:
    """to_char(timestamp/date/interval, fmt)."""
    tzname = ""
    offset = _dt.timedelta(0)
    if oid == 1184:
        tz = zone(c) if c is not None else UTC
        local = v.astimezone(tz)
        tzname = local.tzname() or ""
        offset = local.utcoffset() or _dt.timedelta(0)
        v = local.replace(tzinfo=None)
    elif oid == 1082:
        v = _dt.datetime(v.year, v.month, v.day)
    elif oid == 1083:
        v = _dt.datetime(2000, 1, 1, v.hour, v.minute, v.second, v.microsecond)
    if oid == 1186:
        iv = v
        years, months = _tdiv(iv.months, 12)
        hours, rest = _tdiv(iv.microseconds, USECS_PER_HOUR)
        minutes, us = _tdiv(rest, 60_000_000)
        fields = {"year": years, "month": months, "day": iv.days, "hour": hours,
                  "minute": minutes, "second": us // 1_000_000, "micro": us % 1_000_000,
                  "dow": None}
    else:
        fields = {"year": v.year, "month": v.month, "day": v.day, "hour": v.hour,
                  "minute": v.minute, "second": v.second, "micro": v.microsecond,
                  "dow": v.isoweekday() % 7}
    out: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        if fmt[i] == '"':
            j = fmt.find('"', i + 1)
            j = n if j < 0 else j
            out.append(fmt[i + 1:j])
            i = j + 1
            continue
        if fmt[i] == "\\" and i + 1 < n:
            out.append(fmt[i + 1])
            i += 2
            continue
        fm = False
        if fmt.startswith("FM", i) or fmt.startswith("fm", i):
            fm = True
            i += 2
        tok = next((t for t in _TOKENS if fmt.startswith(t, i)), None)
        if tok is None:
            out.append(fmt[i])
            i += 1
            continue
        i += len(tok)
        th = None
        if fmt.startswith("TH", i) or fmt.startswith("th", i):
            th = fmt[i:i + 2]
            i += 2
        text, num = _render(tok, fields, v, fm, tzname, offset, oid)
        if th is not None and num is not None:
            suffix = _ordinal_suffix(num)
            text += suffix.upper() if th == "TH" else suffix
        out.append(text)
    return "".join(out)


def _pad(num: int, width: int, fm: bool) -> str:
    if fm:
        return str(num)
    if num < 0:
        return "-" + str(-num).zfill(width - 1 if width > 1 else 1)
    return str(num).zfill(width)


def _render(tok: str, f: dict[str, Any], v: Any, fm: bool, tzname: str, offset: _dt.timedelta,
            oid: int) -> tuple[str, int | None]:
    y, mo, d, h, mi, s, us = (f["year"], f["month"], f["day"], f["hour"], f["minute"],
                              f["second"], f["micro"])
    if tok == "YYYY":
        return (_pad(y, 4, fm), y)
    if tok == "Y,YYY":
        return (f"{y // 1000},{y % 1000:03d}", y)
    if tok == "YYY":
        return (_pad(y % 1000, 3, fm), y % 1000)
    if tok == "YY":
        return (_pad(y % 100, 2, fm), y % 100)
    if tok == "Y":
        return (str(y % 10), y % 10)
    if tok in ("IYYY", "IYY", "IY", "I"):
        iy = v.isocalendar()[0]
        width = len(tok) if tok != "IYYY" else 4
        return (_pad(iy % (10 ** width), width, fm), iy)
    if tok == "MM":
        return (_pad(mo, 2, fm), mo)
    if tok in ("MONTH", "Month", "month"):
        name = _MONTHS[mo - 1]
        name = name.upper() if tok == "MONTH" else name.lower() if tok == "month" else name
        return (name if fm else name.ljust(9), None)
    if tok in ("MON", "Mon", "mon"):
        name = _MONTHS[mo - 1][:3]
        return (name.upper() if tok == "MON" else name.lower() if tok == "mon" else name, None)
    if tok in ("DAY", "Day", "day"):
        name = _DAYS[f["dow"]]
        name = name.upper() if tok == "DAY" else name.lower() if tok == "day" else name
        return (name if fm else name.ljust(9), None)
    if tok in ("DY", "Dy", "dy"):
        name = _DAYS[f["dow"]][:3]
        return (name.upper() if tok == "DY" else name.lower() if tok == "dy" else name, None)
    if tok == "DDD":
        doy = v.timetuple().tm_yday if oid != 1186 else d
        return (_pad(doy, 3, fm), doy)
    if tok == "IDDD":
        iso = v.isocalendar()
        n = (iso[1] - 1) * 7 + iso[2]
        return (_pad(n, 3, fm), n)
    if tok == "DD":
        return (_pad(d, 2, fm), d)
    if tok == "D":
        return (str(f["dow"] + 1), f["dow"] + 1)
    if tok == "ID":
        return (str(v.isoweekday()), v.isoweekday())
    if tok == "WW":
        n = (v.timetuple().tm_yday - 1) // 7 + 1
        return (_pad(n, 2, fm), n)
    if tok == "IW":
        n = v.isocalendar()[1]
        return (_pad(n, 2, fm), n)
    if tok == "W":
        n = (d - 1) // 7 + 1
        return (str(n), n)
    if tok == "CC":
        n = (y + 99) // 100 if y > 0 else -((-y + 99) // 100)
        return (_pad(n, 2, fm), n)
    if tok == "J":
        n = _julian(v.date())
        return (str(n), n)
    if tok == "Q":
        n = (mo - 1) // 3 + 1
        return (str(n), n)
    if tok in ("RM", "rm"):
        r = _ROMAN[mo - 1]
        r = r if tok == "RM" else r.lower()
        return (r if fm else r.ljust(4), None)
    if tok in ("HH", "HH12"):
        hh = h % 12 or 12
        return (_pad(hh, 2, fm), hh)
    if tok == "HH24":
        return (_pad(h, 2, fm), h)
    if tok == "MI":
        return (_pad(mi, 2, fm), mi)
    if tok == "SS":
        return (_pad(s, 2, fm), s)
    if tok in ("SSSS", "SSSSS"):
        n = h * 3600 + mi * 60 + s
        return (str(n), n)
    if tok == "MS":
        return (_pad(us // 1000, 3, fm), us // 1000)
    if tok == "US":
        return (_pad(us, 6, fm), us)
    if tok.startswith("FF"):
        k = int(tok[2])
        return (str(us).zfill(6)[:k], None)
    if tok in ("AM", "PM"):
        return ("AM" if h < 12 else "PM", None)
    if tok in ("am", "pm"):
        return ("am" if h < 12 else "pm", None)
    if tok in ("A.M.", "P.M."):
        return ("A.M." if h < 12 else "P.M.", None)
    if tok in ("a.m.", "p.m."):
        return ("a.m." if h < 12 else "p.m.", None)
    if tok in ("BC", "AD"):
        return ("AD" if y > 0 else "BC", None)
    if tok in ("bc", "ad"):
        return ("ad" if y > 0 else "bc", None)
    if tok in ("B.C.", "A.D."):
        return ("A.D." if y > 0 else "B.C.", None)
    if tok in ("TZ", "tz"):
        return (tzname.upper() if tok == "TZ" else tzname.lower(), None)
    if tok == "OF":
        return (format_offset(offset), None)
    if tok == "TZH":
        secs = int(offset.total_seconds())
        return (("-" if secs < 0 else "+") + f"{abs(secs) // 3600:02d}", None)
    if tok == "TZM":
        secs = int(offset.total_seconds())
        return (f"{abs(secs) % 3600 // 60:02d}", None)
    return (tok, None)


def parse_datetime(text: str, fmt: str, fname: str) -> _dt.datetime:
    """to_date/to_timestamp: parse ``text`` by a PostgreSQL template (lenient like PG)."""
    vals: dict[str, int] = {}
    i = j = 0
    n, m = len(fmt), len(text)
    pm: bool | None = None
    while i < n:
        if fmt.startswith("FM", i) or fmt.startswith("fm", i):
            i += 2
            continue
        tok = next((t for t in _TOKENS if fmt.startswith(t, i)), None)
        if tok is None:
            ch = fmt[i]
            i += 1
            if ch == " ":
                while j < m and text[j] == " ":
                    j += 1
                continue
            if j < m and not text[j].isalnum() or j < m and text[j] == ch:
                j += 1
            continue
        i += len(tok)
        if fmt.startswith("TH", i) or fmt.startswith("th", i):
            i += 2
        while j < m and text[j] == " ":
            j += 1
        upper = tok.upper()
        if upper in ("MONTH", "MON"):
            rest = text[j:].lower()
            for idx, name in enumerate(_MONTHS):
                cand = name.lower() if upper == "MONTH" else name[:3].lower()
                if rest.startswith(cand):
                    vals["month"] = idx + 1
                    j += len(cand)
                    break
            else:
                raise errors.InvalidDatetimeFormat(
                    f'invalid value "{text[j:j + 3]}" for "{tok}"',
                    detail="The given value did not match any of the allowed values for this field.")
            continue
        if upper in ("DAY", "DY"):
            while j < m and text[j].isalpha():
                j += 1
            continue
        if upper in ("AM", "PM", "A.M.", "P.M."):
            word = text[j:j + len(tok)].upper()
            pm = word.startswith("P")
            j += len(tok)
            continue
        width = {"YYYY": 4, "IYYY": 4, "YYY": 3, "YY": 2, "Y": 1, "MM": 2, "DD": 2, "DDD": 3,
                 "HH": 2, "HH12": 2, "HH24": 2, "MI": 2, "SS": 2, "MS": 3, "US": 6, "J": 7,
                 "Q": 1, "CC": 2, "SSSS": 5, "SSSSS": 5}.get(upper, 2)
        if upper in ("YYYY", "J") and (i >= n or not fmt[i].isalnum()):
            width = 10  # free-width only when a separator (or the end) follows
        start = j
        if j < m and text[j] in "+-" and upper in ("YYYY",):
            j += 1
        while j < m and text[j].isdigit() and j - start < width:
            j += 1
        digits = text[start:j]
        if not digits or digits in "+-":
            raise errors.InvalidDatetimeFormat(
                f'invalid value "{text[start:start + width]}" for "{tok}"',
                detail='Value must be an integer.')
        num = int(digits)
        if upper in ("YYYY", "IYYY"):
            vals["year"] = num
        elif upper in ("YYY", "YY", "Y"):
            vals["year"] = num + (2000 if num < 70 else 1900) if upper == "YY" else \
                num + (2000 if upper == "YYY" and num < 100 else 1000 if upper == "YYY" else 2020)
        elif upper == "MM":
            vals["month"] = num
        elif upper == "DD":
            vals["day"] = num
        elif upper == "DDD":
            vals["doy"] = num
        elif upper in ("HH", "HH12", "HH24"):
            vals["hour"] = num
            if upper != "HH24" and not 1 <= num <= 12:
                raise errors.InvalidDatetimeFormat(
                    f'hour "{num}" is invalid for the 12-hour clock',
                    hint="Use the 24-hour clock, or give an hour between 1 and 12.")
        elif upper == "MI":
            vals["minute"] = num
        elif upper == "SS":
            vals["second"] = num
        elif upper == "MS":
            vals["micro"] = num * 1000 * 10 ** (3 - len(digits))
        elif upper == "US":
            vals["micro"] = num * 10 ** (6 - len(digits))
        elif upper == "J":
            vals["julian"] = num
    hour = vals.get("hour", 0)
    if pm is not None:
        hour = hour % 12 + (12 if pm else 0)
    year = vals.get("year", 1)
    try:
        if "julian" in vals:
            base = _dt.date.fromordinal(vals["julian"] - 1721425)
        elif "doy" in vals:
            base = _dt.date(year, 1, 1) + _dt.timedelta(days=vals["doy"] - 1)
        else:
            base = _dt.date(year, vals.get("month", 1), vals.get("day", 1))
        return _dt.datetime(base.year, base.month, base.day, hour, vals.get("minute", 0),
                            vals.get("second", 0), vals.get("micro", 0))
    except ValueError:
        raise errors.DatetimeFieldOverflow(
            f'date/time field value out of range: "{text}"') from None


@register("to_char")
def _to_char(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 2:
        raise call.no_such_function(ces)
    if not T.is_string(ces[1].type):
        raise call.no_such_function(ces)
    src, fmt_ce = ces[0], call.comp.coerce(ces[1], T.TEXT)
    oid = src.type.oid
    sf, ff = src.fn, fmt_ce.fn
    if oid in (1082, 1114, 1184, 1186, 1083):
        if oid == 1082:
            src = call.comp.coerce(src, T.TIMESTAMPTZ)
            sf, oid = src.fn, 1184
        if oid == 1083:
            raise call.no_such_function(ces)

        def to_char(r: tuple, c: ExecContext) -> Any:
            v, f = sf(r, c), ff(r, c)
            if v is None or f is None or not fd.is_finite(v):
                return None
            if type(v) is fd.FarTimestamp:
                raise errors.FeatureNotSupported("to_char of BC timestamps or years after 9999 is not supported")
            return format_datetime(v, f, c, oid)

        return call.make(to_char, T.TEXT)
    if T.is_numeric(src.type) or oid == 705:
        from omendb_server.sql.functions_numfmt import format_number

        if oid == 705:
            raise errors.UndefinedFunction(
                "function to_char(unknown, unknown) is not unique",
                hint="Could not choose a best candidate function. You might need to add "
                "explicit type casts.")
        is_float = oid in (700, 701)
        return call.strict([src, fmt_ce], lambda v, f: format_number(v, f, is_float), T.TEXT)
    raise call.no_such_function(ces)


@register("to_date")
def _to_date(call: Call) -> Any:
    ces = call.args([T.TEXT, T.TEXT])
    return call.strict(ces, lambda s, f: parse_datetime(s, f, "to_date").date(), T.DATE)


@register("to_timestamp")
def _to_timestamp(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) == 1:
        (a,) = [call.comp.coerce(ces[0], T.FLOAT8)]

        def from_epoch(v: float) -> _dt.datetime:
            if math.isinf(v):
                return fd.infinite_timestamp(v > 0, True)
            if math.isnan(v):
                raise errors.DatetimeFieldOverflow("timestamp cannot be NaN")
            try:
                return EPOCH_TZ + _dt.timedelta(microseconds=round(v * 1_000_000))
            except OverflowError:
                pass
            micros = round(v * 1_000_000) - 946_684_800_000_000
            try:
                return fd.timestamp_from_micros(micros, True)
            except OverflowError:
                raise errors.DatetimeFieldOverflow(f'timestamp out of range: "{v:g}"') from None

        return call.strict([a], from_epoch, T.TIMESTAMPTZ)
    args = [call.comp.coerce(c, T.TEXT) for c in ces]
    af, ff = args[0].fn, args[1].fn

    def to_ts(r: tuple, c: ExecContext) -> Any:
        s, f = af(r, c), ff(r, c)
        if s is None or f is None:
            return None
        return _localize(parse_datetime(s, f, "to_timestamp"), zone(c))

    return call.make(to_ts, T.TIMESTAMPTZ)


def at_time_zone(comp: Any, node: exp.AtTimeZone) -> Any:
    """timestamptz AT TIME ZONE z -> local timestamp; timestamp AT TIME ZONE z -> timestamptz."""
    from omendb_server.sql.expr import CExpr

    src = comp.compile(node.this)
    if src.type.oid == 705 or src.type.oid == 1082:
        src = comp.coerce(src, T.TIMESTAMPTZ)
    zone_ce = comp.compile(node.args["zone"])
    if zone_ce.type.oid == 1186:
        zf_iv = zone_ce.fn

        def zone_of(r: tuple, c: ExecContext) -> Any:
            iv = zf_iv(r, c)
            return None if iv is None else _dt.timezone(_dt.timedelta(
                days=iv.days, microseconds=iv.microseconds))
    else:
        zf = comp.coerce(zone_ce, T.TEXT).fn

        def zone_of(r: tuple, c: ExecContext) -> Any:
            name = zf(r, c)
            return None if name is None else session_zone(name)
    sf = src.fn
    if src.type.oid == 1184:
        def to_local(r: tuple, c: ExecContext) -> Any:
            v, z = sf(r, c), zone_of(r, c)
            if v is None or z is None:
                return None
            return to_zone_local(v, z)
        return CExpr(to_local, T.TIMESTAMP, -1, "timezone")
    if src.type.oid == 1114:
        def to_utc(r: tuple, c: ExecContext) -> Any:
            v, z = sf(r, c), zone_of(r, c)
            if v is None or z is None:
                return None
            return _localize(v, z)
        return CExpr(to_utc, T.TIMESTAMPTZ, -1, "timezone")
    raise errors.UndefinedFunction(
        f"function pg_catalog.timezone(unknown, {T.type_label(src.type)}) does not exist",
        hint="No function matches the given name and argument types. "
        "You might need to add explicit type casts.")


def overlaps(comp: Any, node: exp.Expression) -> Any:
    """(s1, e1) OVERLAPS (s2, e2): PostgreSQL's overlaps_timestamp rules, NULL-aware."""
    from omendb_server.sql.expr import CExpr

    left, right = node.this, node.expression
    if not (isinstance(left, exp.Tuple) and isinstance(right, exp.Tuple)
            and len(left.expressions) == 2 and len(right.expressions) == 2):
        raise errors.SyntaxError("wrong number of parameters on left side of OVERLAPS expression")
    parts = [comp.compile(e) for e in left.expressions + right.expressions]
    known = [p.type for p in parts if p.type.oid not in (705, 1186)]
    target = T.TIMESTAMPTZ if any(t.oid == 1184 for t in known) else (
        T.TIME if known and all(t.oid == 1083 for t in known) else T.TIMESTAMP)
    fns = []
    for i, p in enumerate(parts):
        if p.type.oid == 1186 and i in (1, 3):
            start = fns[i - 1]
            ivf = p.fn
            fns.append(lambda r, c, s=start, f=ivf: None if (a := s(r, c)) is None or
                       (b := f(r, c)) is None else ts_plus_interval(a, b))
        else:
            fns.append(comp.coerce(p, target).fn)
    s1f, e1f, s2f, e2f = fns

    def run(r: tuple, c: ExecContext) -> Any:
        s1, e1, s2, e2 = s1f(r, c), e1f(r, c), s2f(r, c), e2f(r, c)
        if s1 is None and e1 is None or s2 is None and e2 is None:
            return None
        if s1 is None:
            s1, e1 = e1, None
        elif e1 is not None and e1 < s1:
            s1, e1 = e1, s1
        if s2 is None:
            s2, e2 = e2, None
        elif e2 is not None and e2 < s2:
            s2, e2 = e2, s2
        if s1 > s2:
            if e2 is None:
                return None if s1 != s2 else True
            if s1 < e2:
                return True
            return None if e1 is None else False
        if s1 < s2:
            if e1 is None:
                return None
            if s2 < e1:
                return True
            return None if e2 is None else False
        return True

    return CExpr(run, T.BOOL, -1, "overlaps")
