"""json/jsonb values: parsing, PostgreSQL's canonical jsonb text, and SQL -> JSON conversion.

Why jsonb is kept as its canonical text: storage, COPY and both wire formats already
move text, and PostgreSQL's jsonb output is a pure function of the value (keys
deduplicated, last one wins, ordered by length then bytes, ``", "``/``": "``
separators, numbers as numeric prints them). Normalising once on input makes equality,
hashing (GROUP BY, DISTINCT) and output match PostgreSQL without a new value type;
operators parse the text when they need the structure.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Any

from omendb_server import errors
from omendb_server.datatypes.far_dates import FarDate, FarTimestamp, timestamp_text

_DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=int,
                            parse_constant=lambda s: _bad_token(s))


def _bad_token(s: str) -> Any:
    raise ValueError(s)


def _number_text(d: Any) -> str:
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, int):
        return str(d)
    if isinstance(d, float):
        if math.isnan(d) or math.isinf(d):
            return '"' + ("NaN" if math.isnan(d) else "Infinity" if d > 0 else "-Infinity") + '"'
        text = repr(d)
        return text.removesuffix(".0")
    from omendb_server.datatypes.numeric import format_numeric

    return format_numeric(d)


def _key_order(k: str) -> tuple[int, bytes]:
    b = k.encode("utf-8")
    return (len(b), b)


def quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


class RawJson:
    """A json/jsonb value embedded in a JSON being built: json output keeps its text
    verbatim (PostgreSQL copies json text as is), jsonb output re-parses it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class JsonPairs(list):
    """A json (not jsonb) object parsed with its duplicate keys, in input order."""

    __slots__ = ()


def loads_pairs(text: str) -> Any:
    """Parse json keeping every key/value pair (json_each on json shows duplicates)."""
    return json.JSONDecoder(parse_float=Decimal, parse_int=int,
                            object_pairs_hook=JsonPairs).decode(text)


def dump_jsonb(v: Any) -> str:
    """PostgreSQL's jsonb text output of a parsed value."""
    if isinstance(v, RawJson):
        return dump_jsonb(loads(v.text))
    if isinstance(v, JsonPairs):
        return dump_jsonb(dict(v))
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{" + ", ".join(quote(k) + ": " + dump_jsonb(v[k])
                               for k in sorted(v, key=_key_order)) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump_jsonb(x) for x in v) + "]"
    return _number_text(v)


_KIND_ORDER = {type(None): 0, str: 1, bool: 3, list: 4, dict: 5}


def _kind_rank(v: Any) -> int:
    if isinstance(v, bool):
        return 3
    rank = _KIND_ORDER.get(type(v))
    if rank is not None:
        return rank
    if isinstance(v, dict):
        return 5
    if isinstance(v, list):
        return 4
    return 2  # number


def compare_jsonb(a: Any, b: Any, top: bool = True) -> int:
    """PostgreSQL's jsonb ordering (compareJsonbContainers): Object > Array > Boolean >
    Number > String > Null; containers by size first; a top-level scalar is a one-element
    'raw scalar' array that sorts before a real array of the same length."""
    if top:
        ra, rb = not isinstance(a, (dict, list)), not isinstance(b, (dict, list))
        if ra or rb:
            la = [a] if ra else a
            lb = [b] if rb else b
            if isinstance(la, list) and isinstance(lb, list):
                if len(la) != len(lb):
                    return -1 if len(la) < len(lb) else 1
                if ra != rb:
                    return -1 if ra else 1
                return compare_jsonb(la[0], lb[0], False) if la else 0
            # a raw scalar against an object: arrays (raw or not) sort below objects
            return -1 if ra else 1
    ka, kb = _kind_rank(a), _kind_rank(b)
    if ka != kb:
        return -1 if ka < kb else 1
    if isinstance(a, dict):
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
        for (k1, v1), (k2, v2) in zip(sorted(a.items(), key=lambda kv: _key_order(kv[0])),
                                      sorted(b.items(), key=lambda kv: _key_order(kv[0]))):
            if k1 != k2:
                return -1 if _key_order(k1) < _key_order(k2) else 1
            c = compare_jsonb(v1, v2, False)
            if c:
                return c
        return 0
    if isinstance(a, list):
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
        for x, y in zip(a, b):
            c = compare_jsonb(x, y, False)
            if c:
                return c
        return 0
    if a is None:
        return 0
    if isinstance(a, str):
        ea, eb = a.encode("utf-8"), b.encode("utf-8")
        return 0 if ea == eb else (-1 if ea < eb else 1)
    if isinstance(a, bool):
        return 0 if a == b else (-1 if not a else 1)
    da, db = Decimal(a), Decimal(b)
    return 0 if da == db else (-1 if da < db else 1)


class JsonbText(str):
    """A jsonb value (its canonical text) that sorts the way PostgreSQL orders jsonb."""

    __slots__ = ()

    def _cmp(self, other: object) -> int | None:
        if not isinstance(other, str):
            return None
        try:
            return compare_jsonb(loads(str(self)), loads(str(other)))
        except ValueError:
            return None

    def __lt__(self, other: object) -> bool:
        c = self._cmp(other)
        return str.__lt__(self, other) if c is None else c < 0  # type: ignore[operator]

    def __le__(self, other: object) -> bool:
        c = self._cmp(other)
        return str.__le__(self, other) if c is None else c <= 0  # type: ignore[operator]

    def __gt__(self, other: object) -> bool:
        c = self._cmp(other)
        return str.__gt__(self, other) if c is None else c > 0  # type: ignore[operator]

    def __ge__(self, other: object) -> bool:
        c = self._cmp(other)
        return str.__ge__(self, other) if c is None else c >= 0  # type: ignore[operator]

    __hash__ = str.__hash__

    def __reduce__(self) -> tuple:
        return (JsonbText, (str(self),))


def jsonb_out(v: Any) -> JsonbText:
    """A parsed value as a jsonb result (canonical text that orders like jsonb)."""
    return JsonbText(dump_jsonb(v))


def sort_keys(v: Any) -> Any:
    """The value with every object's keys in jsonb order (dicts keep insertion order)."""
    if isinstance(v, dict):
        return {k: sort_keys(v[k]) for k in sorted(v, key=_key_order)}
    if isinstance(v, list):
        return [sort_keys(x) for x in v]
    return v


def parse_json(text: str, type_name: str = "json") -> Any:
    """Parse JSON text with PostgreSQL's 22P02 error for bad input."""
    try:
        value, end = _DECODER.raw_decode(text.lstrip(" \t\n\r"))
        rest = text.lstrip(" \t\n\r")[end:]
        if rest.strip(" \t\n\r"):
            raise ValueError(rest)
    except (ValueError, RecursionError):
        raise errors.InvalidTextRepresentation(
            f"invalid input syntax for type {type_name}",
            detail=f"Token \"{text.strip()[:40]}\" is invalid." if text.strip() else
            "The input string ended unexpectedly.") from None
    return value


@lru_cache(maxsize=4096)
def loads(text: str) -> Any:
    """Parse stored json/jsonb text (valid by construction); cached for repeated operators."""
    return _DECODER.decode(text)


def normalize_jsonb(text: str) -> str:
    return jsonb_out(parse_json(text, "json"))


def pretty(v: Any, indent: int = 0) -> str:
    """jsonb_pretty: four-space indentation, one member per line."""
    pad = "    " * (indent + 1)
    if isinstance(v, dict):
        if not v:
            return "{\n" + "    " * indent + "}"
        items = [pad + quote(k) + ": " + pretty(v[k], indent + 1) for k in sorted(v, key=_key_order)]
        return "{\n" + ",\n".join(items) + "\n" + "    " * indent + "}"
    if isinstance(v, list):
        if not v:
            return "[\n" + "    " * indent + "]"
        items = [pad + pretty(x, indent + 1) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + "    " * indent + "]"
    return dump_jsonb(v)


def to_json_value(value: Any, oid: int, element_oid: int = 0) -> Any:
    """A SQL value of type ``oid`` as a parsed JSON value (to_json/to_jsonb rules)."""
    if value is None:
        return None
    if oid in (114, 3802):
        return RawJson(value)
    if hasattr(value, "names") and isinstance(value, tuple):  # a row: record or a table's row type
        return {n: to_json_value(v, t.oid, t.element.oid if t.element is not None else 0)
                for n, v, t in zip(value.names, value, value.types)}
    if oid == 16:
        return bool(value)
    if oid in (20, 21, 23, 26):
        return int(value)
    if oid == 1700:
        if not value.is_finite():
            return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        return value
    if oid in (700, 701):
        if math.isnan(value) or math.isinf(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        text = repr(value)
        return Decimal(text.removesuffix(".0"))
    if isinstance(value, list):
        return [to_json_value(v, element_oid) for v in value]
    if type(value) is FarTimestamp or type(value) is FarDate:
        return _far_json(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            text = value.isoformat()
            return text[:-6] + ("+00:00" if text.endswith("+00:00") else text[-6:])
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    from omendb_server.datatypes.registry import TYPES_BY_OID

    t = TYPES_BY_OID.get(oid)
    return t.text_out(value) if t is not None else str(value)


def _far_json(value: Any) -> str:
    """JSON text of a date/timestamp beyond Python's years: XSD style ('T', '+00:00')."""
    if type(value) is FarDate:
        return value.text()
    text = timestamp_text(value.micros, "+00:00" if value.with_tz else "")
    return text.replace(" ", "T", 1) if value.finite else text


def dump_json_compact(v: Any) -> str:
    """to_json's text: no spaces inside containers (PostgreSQL's datum_to_json)."""
    if isinstance(v, RawJson):
        return v.text
    if isinstance(v, JsonPairs):
        return "{" + ",".join(quote(k) + ":" + dump_json_compact(x) for k, x in v) + "}"
    if isinstance(v, dict):
        return "{" + ",".join(quote(k) + ":" + dump_json_compact(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dump_json_compact(x) for x in v) + "]"
    return dump_jsonb(v)


def typeof(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "number"


def contains(a: Any, b: Any, top: bool = True) -> bool:
    """jsonb @>: PostgreSQL's JsonbDeepContains."""
    if isinstance(a, dict):
        if not isinstance(b, dict):
            return False
        for k, bv in b.items():
            if k not in a:
                return False
            av = a[k]
            if isinstance(bv, (dict, list)) or isinstance(av, (dict, list)):
                if type(av) is not type(bv) or not contains(av, bv, False):
                    return False
            elif not _scalar_eq(av, bv):
                return False
        return True
    if isinstance(a, list):
        if isinstance(b, list):
            for bv in b:
                if isinstance(bv, (dict, list)):
                    if not any(type(av) is type(bv) and contains(av, bv, False) for av in a):
                        return False
                elif not any(not isinstance(av, (dict, list)) and _scalar_eq(av, bv) for av in a):
                    return False
            return True
        if top and not isinstance(b, dict):
            return any(not isinstance(av, (dict, list)) and _scalar_eq(av, b) for av in a)
        return False
    if isinstance(b, (dict, list)):
        return False
    return _scalar_eq(a, b)


def _scalar_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return Decimal(a) == Decimal(b)


_SCALAR_TARGETS = {16: "boolean", 21: "smallint", 23: "integer", 20: "bigint", 700: "real",
                   701: "double precision", 1700: "numeric"}


def cast_jsonb_scalar(text: str, target_oid: int) -> Any:
    """jsonb::int/numeric/float/bool: only a JSON number (or boolean) converts."""
    v = loads(text)
    label = _SCALAR_TARGETS[target_oid]
    want_bool = target_oid == 16
    if want_bool and isinstance(v, bool):
        return v
    if not want_bool and not isinstance(v, bool) and isinstance(v, (int, Decimal)):
        return v
    raise errors.InvalidParameterValue(f"cannot cast jsonb {_jsonb_kind(v)} to type {label}")


def _jsonb_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "numeric"


_WS = re.compile(r"[ \t\n\r]*")


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def split_json(text: str) -> tuple[str, Any]:
    """Top level of json text with each member's *original* text, as PostgreSQL's json
    (not jsonb) functions return them: ('object', [(key, text)...]) keeping duplicates,
    ('array', [text...]) or ('scalar', text)."""
    from json.decoder import scanstring

    i = _ws(text, 0)
    if i >= len(text):
        return ("scalar", text.strip())
    ch = text[i]
    if ch == "{":
        items: list[Any] = []
        i = _ws(text, i + 1)
        if text[i] == "}":
            return ("object", items)
        while True:
            key, i = scanstring(text, i + 1)
            i = _ws(text, i)
            i = _ws(text, i + 1)  # past ':'
            _, end = _DECODER.raw_decode(text, i)
            items.append((key, text[i:end]))
            i = _ws(text, end)
            if text[i] == ",":
                i = _ws(text, i + 1)
                continue
            return ("object", items)
    if ch == "[":
        elems: list[str] = []
        i = _ws(text, i + 1)
        if text[i] == "]":
            return ("array", elems)
        while True:
            _, end = _DECODER.raw_decode(text, i)
            elems.append(text[i:end])
            i = _ws(text, end)
            if text[i] == ",":
                i = _ws(text, i + 1)
                continue
            return ("array", elems)
    return ("scalar", text.strip())


def json_get(text: str, key: Any) -> str | None:
    """json -> key|index on the original text (the last duplicate key wins)."""
    kind, items = split_json(text)
    if kind == "object" and isinstance(key, str):
        found = None
        for k, v in items:
            if k == key:
                found = v
        return found
    if kind == "array":
        idx: int
        if isinstance(key, int):
            idx = key
        else:
            try:
                idx = int(key)
            except ValueError:
                return None
        idx = idx if idx >= 0 else len(items) + idx
        return items[idx] if 0 <= idx < len(items) else None
    return None


def json_text_value(member: str) -> str | None:
    """->> of a json member: strings unquoted, null is SQL NULL, anything else verbatim."""
    stripped = member.strip()
    if stripped == "null":
        return None
    if stripped.startswith('"'):
        return loads(stripped)
    return stripped
