"""String functions (PostgreSQL's names, argument rules, NULL handling and errors).

Each handler resolves its arguments once at plan time and returns a closure; the
bodies are plain ``str`` operations. sqlglot maps several calls onto its own node
classes (``Pad`` for lpad/rpad, ``StrPosition``, ``Hex`` for to_hex...), so handlers
are registered under both spellings.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID
from omendb_server.sql import functions_regex as rx
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr
from omendb_server.sql.functions import Call, register

TEXT_ARRAY = TYPES_BY_OID[1009]


def _text(call: Call, ce: Any) -> Any:
    """An argument of a text parameter: unknown/varchar/name become text, bpchar is rtrimmed."""
    if ce.type.oid == 1042:
        f = ce.fn
        return CExpr(lambda r, c: None if (v := f(r, c)) is None else v.rstrip(" "), T.TEXT)
    if ce.type.oid == 25:
        return ce
    if T.is_string(ce.type):
        return call.comp.coerce(ce, T.TEXT)
    raise call.no_such_function()


def _texts(call: Call, kinds: str) -> list[Any]:
    """Compile the arguments: 't' text, 'i' int4, 'b' bool."""
    ces = call.compiled()
    out = []
    for ce, k in zip(ces, kinds):
        if k == "t":
            if ce.type.oid not in T.STRING_OIDS:
                raise call.no_such_function(ces)
            out.append(_text(call, ce))
        elif k == "i":
            if ce.type.oid not in (705, 21, 23) and not (ce.type.oid == 20 and ce.const):
                raise call.no_such_function(ces)
            out.append(call.comp.coerce(ce, T.INT4))
        else:
            out.append(call.comp.coerce(ce, T.BOOL))
    return out


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_lower(s: str) -> str:
    """Case mapping of the C locale (the collation OmenDB sorts by): ASCII letters only."""
    return s.lower() if s.isascii() else s.translate(_ASCII_LOWER)


def ascii_upper(s: str) -> str:
    return s.upper() if s.isascii() else s.translate(_ASCII_UPPER)


@register("lower", "upper")
def _lower_upper(call: Call) -> Any:
    (a,) = _texts(call, "t")
    return call.strict([a], ascii_lower if call.name == "lower" else ascii_upper, T.TEXT)


def _initcap(s: str) -> str:
    out = []
    prev_alnum = False
    for ch in s:
        out.append(ascii_lower(ch) if prev_alnum else ascii_upper(ch))
        prev_alnum = ch.isascii() and ch.isalnum()
    return "".join(out)


@register("initcap")
def _initcap_fn(call: Call) -> Any:
    call.arg_nodes = call.arg_nodes[:1]
    (a,) = _texts(call, "t")
    return call.strict([a], _initcap, T.TEXT)


@register("length", "char_length", "character_length", "octet_length", "bit_length")
def _length(call: Call) -> Any:
    (a,) = call.compiled()
    if a.type.oid in (1560, 1562):  # bit strings count bits (octet_length: bytes)
        from omendb_server.sql.functions_bits import bit_length_call

        return bit_length_call(call, [a], call.name)
    if a.type.oid == 17:
        if call.name == "bit_length":
            return call.strict([a], lambda v: 8 * len(v), T.INT4)
        return call.strict([a], len, T.INT4, call.name)
    if a.type.oid not in T.STRING_OIDS:
        raise call.no_such_function([a])
    if call.name in ("octet_length", "bit_length"):
        mult = 8 if call.name == "bit_length" else 1
        a = call.comp.coerce(a, T.TEXT) if a.type.oid == 705 else a
        return call.strict([a], lambda v: mult * len(v.encode("utf-8")), T.INT4)
    a = _text(call, a)
    return call.strict([a], len, T.INT4, call.name)


@register("substring", "substr")
def _substring(call: Call) -> Any:
    ces = call.compiled()
    node = call.node
    if len(ces) == 2 and T.is_string(ces[1].type) and isinstance(node, exp.Substring):
        s, p = _text(call, ces[0]), _text(call, ces[1])

        def regex_sub(v: str, pat: str) -> Any:
            m = rx.compile_regex(pat).search(v)
            if m is None:
                return None
            return m.group(1) if m.re.groups else m.group(0)

        return call.strict([s, p], regex_sub, T.TEXT, "substring")
    if ces[0].type.oid == 17:
        s = ces[0]
        rtype = ces[0].type
    else:
        if ces[0].type.oid not in T.STRING_OIDS:
            raise call.no_such_function(ces)
        s = _text(call, ces[0])
        rtype = T.TEXT
    nums = [call.comp.coerce(c, T.INT4) for c in ces[1:]]

    def substring(v: Any, start: int, count: int | None = None) -> Any:
        if count is not None and count < 0:
            raise errors.DBError("negative substring length not allowed", "22011")
        begin = start - 1
        end = None if count is None else begin + count
        begin = max(begin, 0)
        if end is not None and end < 0:
            return v[:0]
        return v[begin:end]

    fname = "substring" if isinstance(node, exp.Substring) else call.name
    return call.strict([s] + nums, substring, rtype, fname)


@register("trim", "btrim", "ltrim", "rtrim")
def _trim(call: Call) -> Any:
    node = call.node
    position = str(node.args.get("position") or "").upper() if isinstance(node, exp.Trim) else ""
    if isinstance(node, exp.Trim) and node.args.get("expression") is not None:
        call.arg_nodes = [node.this, node.args["expression"]]
    else:
        call.arg_nodes = [a for a in call.arg_nodes if not isinstance(a, exp.Var)]
        call.n = len(call.arg_nodes)
    ces = _texts(call, "tt"[: len(call.arg_nodes)])
    name = call.name
    side = ("l" if name == "ltrim" or position == "LEADING"
            else "r" if name == "rtrim" or position == "TRAILING" else "b")

    def trim(s: str, chars: str = " ") -> str:
        if side == "l":
            return s.lstrip(chars)
        if side == "r":
            return s.rstrip(chars)
        return s.strip(chars)

    return call.strict(ces, trim, T.TEXT, {"l": "ltrim", "r": "rtrim", "b": "btrim"}[side])


@register("pad", "lpad", "rpad")
def _pad(call: Call) -> Any:
    node = call.node
    left = bool(node.args.get("is_left")) if isinstance(node, exp.Pad) else call.name == "lpad"
    ces = _texts(call, "tit"[: call.n])

    def pad(s: str, n: int, fill: str = " ") -> str:
        if n <= 0:
            return ""
        if len(s) >= n or not fill:
            return s[:n]
        need = n - len(s)
        filler = (fill * (need // len(fill) + 1))[:need]
        return filler + s if left else s + filler

    return call.strict(ces, pad, T.TEXT, "lpad" if left else "rpad")


@register("replace")
def _replace(call: Call) -> Any:
    ces = _texts(call, "ttt")
    return call.strict(ces, lambda s, a, b: s.replace(a, b) if a else s, T.TEXT)


@register("translate")
def _translate(call: Call) -> Any:
    ces = _texts(call, "ttt")

    def translate(s: str, frm: str, to: str) -> str:
        table: dict[int, Any] = {}
        for i, ch in enumerate(frm):
            if ord(ch) not in table:
                table[ord(ch)] = to[i] if i < len(to) else None
        return s.translate(table)

    return call.strict(ces, translate, T.TEXT)


@register("str_position", "strposition", "strpos", "position")
def _strpos(call: Call) -> Any:
    node = call.node
    if isinstance(node, exp.StrPosition):
        call.arg_nodes = [node.this, node.args["substr"]]
    ces = _texts(call, "tt")
    fname = "position" if isinstance(node, exp.StrPosition) else "strpos"
    return call.strict(ces, lambda s, sub: s.find(sub) + 1, T.INT4, fname)


@register("split_part")
def _split_part(call: Call) -> Any:
    ces = _texts(call, "tti")

    def split_part(s: str, delim: str, n: int) -> str:
        if n == 0:
            raise errors.InvalidParameterValue("field position must not be zero")
        parts = s.split(delim) if delim else [s]
        if s == "":
            return ""
        idx = n - 1 if n > 0 else len(parts) + n
        return parts[idx] if 0 <= idx < len(parts) else ""

    return call.strict(ces, split_part, T.TEXT)


def _out_text(call: Call, ce: Any) -> Any:
    """A value as its type's text output (concat/format use the output function)."""
    if ce.type.oid in (25, 1043, 19):
        return ce.fn
    if ce.type.oid == 705:
        return call.comp.coerce(ce, T.TEXT).fn
    out, f = ce.type.text_out, ce.fn
    return lambda r, c: None if (v := f(r, c)) is None else out(v, c.fmt)


@register("concat")
def _concat(call: Call) -> Any:
    fns = [_out_text(call, a) for a in call.compiled()]
    return call.make(lambda r, c: "".join(v for f in fns if (v := f(r, c)) is not None), T.TEXT)


@register("concat_ws")
def _concat_ws(call: Call) -> Any:
    ces = call.compiled()
    if not ces:
        raise call.no_such_function(ces)
    sep = _text(call, ces[0]).fn
    fns = [_out_text(call, a) for a in ces[1:]]

    def concat_ws(r: tuple, c: ExecContext) -> Any:
        s = sep(r, c)
        if s is None:
            return None
        return s.join(v for f in fns if (v := f(r, c)) is not None)

    return call.make(concat_ws, T.TEXT)


@register("left", "right")
def _left_right(call: Call) -> Any:
    ces = _texts(call, "ti")
    if call.name == "left":
        body = lambda s, n: s[:n] if n >= 0 else s[: max(len(s) + n, 0)]
    else:
        body = lambda s, n: (s[-n:] if n > 0 else "") if n >= 0 else s[-n:]
    return call.strict(ces, body, T.TEXT)


@register("repeat")
def _repeat(call: Call) -> Any:
    ces = _texts(call, "ti")
    return call.strict(ces, lambda s, n: s * n if n > 0 else "", T.TEXT)


@register("reverse")
def _reverse(call: Call) -> Any:
    ces = _texts(call, "t")
    return call.strict(ces, lambda s: s[::-1], T.TEXT)


@register("md5")
def _md5(call: Call) -> Any:
    (a,) = call.compiled()
    if a.type.oid == 17:
        return call.strict([a], lambda v: hashlib.md5(v).hexdigest(), T.TEXT)
    (a,) = _texts(call, "t")
    return call.strict([a], lambda v: hashlib.md5(v.encode("utf-8")).hexdigest(), T.TEXT)


@register("sha256", "sha224", "sha384", "sha512")
def _sha(call: Call) -> Any:
    (a,) = call.args([TYPES_BY_OID[17]])
    h = getattr(hashlib, call.name)
    return call.strict([a], lambda v: h(v).digest(), TYPES_BY_OID[17])


@register("hex", "to_hex")
def _to_hex(call: Call) -> Any:
    (a,) = call.compiled()
    bits = 64 if a.type.oid == 20 else 32
    if a.type.oid not in (20, 21, 23, 705):
        raise call.no_such_function([a])
    a = call.comp.coerce(a, T.INT8 if bits == 64 else T.INT4)
    return call.strict([a], lambda v: format(v & ((1 << bits) - 1), "x"), T.TEXT, "to_hex")


@register("ascii")
def _ascii(call: Call) -> Any:
    ces = _texts(call, "t")
    return call.strict(ces, lambda s: ord(s[0]) if s else 0, T.INT4)


@register("chr")
def _chr(call: Call) -> Any:
    (a,) = call.args([T.INT4])

    def chr_(n: int) -> str:
        if n == 0:
            raise errors.DBError("null character not permitted", "54000")
        if n < 0:
            raise errors.InvalidParameterValue("character number must be positive")
        if n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
            raise errors.DBError(f"requested character too large for encoding: {n}", "54000")
        return chr(n)

    return call.strict([a], chr_, T.TEXT)


@register("starts_with", "startswith")
def _starts_with(call: Call) -> Any:
    ces = _texts(call, "tt")
    return call.strict(ces, lambda s, p: s.startswith(p), T.BOOL, "starts_with")


# -- quoting ------------------------------------------------------------------------------
_RESERVED = frozenset(["all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select", "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with", "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists", "extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval", "least", "national", "nchar", "none", "normalize", "nullif", "numeric", "out", "overlay", "position", "precision", "real", "row", "setof", "smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"])
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")


def quote_ident(s: str) -> str:
    if _PLAIN_IDENT.fullmatch(s) and s not in _RESERVED:
        return s
    return '"' + s.replace('"', '""') + '"'


def quote_literal(s: str) -> str:
    body = s.replace("'", "''")
    if "\\" in s:
        return "E'" + body.replace("\\", "\\\\") + "'"
    return "'" + body + "'"


@register("quote_ident")
def _quote_ident(call: Call) -> Any:
    ces = _texts(call, "t")
    return call.strict(ces, quote_ident, T.TEXT)


@register("quote_literal", "quote_nullable")
def _quote_literal(call: Call) -> Any:
    (a,) = call.compiled()
    f = _out_text(call, a)
    if call.name == "quote_nullable":
        return call.make(lambda r, c: "NULL" if (v := f(r, c)) is None else quote_literal(v), T.TEXT)
    return call.make(lambda r, c: None if (v := f(r, c)) is None else quote_literal(v), T.TEXT)


_FORMAT_SPEC = re.compile(r"%(?:(\d+)\$)?(-)?(\*(?:\d+\$)?|\d+)?([sIL%])?")


def format_text(fmt: str, args: list[Any]) -> str:
    """PostgreSQL's format(): %s, %I, %L with optional argument position and width."""
    out: list[str] = []
    i = 0
    argpos = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        m = _FORMAT_SPEC.match(fmt, i)
        assert m is not None
        pos, minus, width, kind = m.groups()
        if kind is None:
            raise errors.InvalidParameterValue("unterminated format() type specifier",
                                               hint='For a single "%" use "%%".')
        if kind == "%":
            out.append("%")
            i = m.end()
            continue
        w = 0
        if width:
            if width.startswith("*"):
                w = int(args[argpos] or 0)
                argpos += 1
            else:
                w = int(width)
        if pos is not None:
            idx = int(pos) - 1
            if idx < 0:
                raise errors.InvalidParameterValue("format specifies argument 0, but arguments "
                                                   "are numbered from 1")
            argpos = idx + 1
        else:
            idx = argpos
            argpos += 1
        if idx >= len(args):
            raise errors.InvalidParameterValue("too few arguments for format()")
        v = args[idx]
        if kind == "s":
            text = "" if v is None else v
        elif kind == "I":
            if v is None:
                raise errors.NullValueNotAllowed("null values cannot be formatted as an SQL identifier")
            text = quote_ident(v)
        else:
            text = "NULL" if v is None else quote_literal(v)
        if w < 0:
            minus, w = "-", -w
        text = text.ljust(w) if minus else text.rjust(w)
        out.append(text)
        i = m.end()
    return "".join(out)


@register("format")
def _format(call: Call) -> Any:
    ces = call.compiled()
    if not ces:
        raise call.no_such_function(ces)
    ffn = _text(call, ces[0]).fn
    fns = [_out_text(call, a) for a in ces[1:]]

    def fmt(r: tuple, c: ExecContext) -> Any:
        f = ffn(r, c)
        if f is None:
            return None
        return format_text(f, [g(r, c) for g in fns])

    return call.make(fmt, T.TEXT)


# -- regular expressions --------------------------------------------------------------------
@register("regexp_replace")
def _regexp_replace(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) < 3:
        raise call.no_such_function(ces)
    base = [_text(call, c) for c in ces[:3]]
    rest = ces[3:]
    kinds = []
    for c in rest:
        kinds.append("t" if T.is_string(c.type) and not (c.type.oid == 705 and
                                                          _looks_int(call, c)) else "i")
    extra = [(_text(call, c) if k == "t" else call.comp.coerce(c, T.INT4))
             for c, k in zip(rest, kinds)]
    pattern_kinds = "".join(kinds)

    def body(s: str, p: str, r: str, *more: Any) -> str:
        flags, start, nth = None, 1, 0
        if pattern_kinds == "t":
            flags = more[0]
        elif pattern_kinds.startswith("i"):
            start = more[0]
            if len(more) > 1:
                nth = more[1]
                if nth < 0:
                    raise errors.InvalidParameterValue(f'invalid value for parameter "n": {nth}')
                if nth == 0:
                    flags = "g"
            if len(more) > 2:
                flags = (flags or "") + more[2]
        return rx.regexp_replace(s, p, r, flags, start, nth)

    return call.strict(base + extra, body, T.TEXT, "regexp_replace")


def _looks_int(call: Call, ce: Any) -> bool:
    if not ce.const:
        return False
    v = ce.fn((), None)
    return isinstance(v, str) and v.strip().lstrip("-").isdigit()


@register("regexp_match")
def _regexp_match(call: Call) -> Any:
    ces = _texts(call, "ttt"[: call.n])

    def match(s: str, p: str, flags: str | None = None) -> Any:
        rf, glob = rx.parse_flags(flags, "regexp_match")
        if glob:
            raise errors.InvalidParameterValue(
                "regexp_match() does not support the \"global\" option",
                hint="Use the regexp_matches function instead.")
        m = rx.compile_regex(p, rf).search(s)
        return None if m is None else rx.match_groups(m)

    return call.strict(ces, match, TEXT_ARRAY)


def regexp_matches_rows(s: str, p: str, flags: str | None = None) -> list[list[str | None]]:
    rf, glob = rx.parse_flags(flags, "regexp_matches")
    compiled = rx.compile_regex(p, rf)
    if glob:
        return [rx.match_groups(m) for m in compiled.finditer(s)]
    m = compiled.search(s)
    return [] if m is None else [rx.match_groups(m)]


@register("regexp_split_to_array")
def _regexp_split(call: Call) -> Any:
    ces = _texts(call, "ttt"[: call.n])
    return call.strict(ces, regexp_split, TEXT_ARRAY)


def regexp_split(s: str, p: str, flags: str | None = None) -> list[str]:
    rf, glob = rx.parse_flags(flags, "regexp_split_to_array")
    if glob:
        raise errors.InvalidParameterValue(
            "regexp_split_to_array() does not support the \"global\" option")
    compiled = rx.compile_regex(p, rf)
    out, pos = [], 0
    for m in compiled.finditer(s):
        if m.start() == m.end() and (m.start() == 0 or m.start() >= len(s) or m.start() == pos):
            continue
        out.append(s[pos:m.start()])
        pos = m.end()
    out.append(s[pos:])
    return out


@register("regexp_count")
def _regexp_count(call: Call) -> Any:
    ces = _texts(call, "tt")
    return call.strict(ces, lambda s, p: sum(1 for _ in rx.compile_regex(p).finditer(s)), T.INT4)


@register("string_to_array")
def _string_to_array(call: Call) -> Any:
    ces = _texts(call, "ttt"[: call.n])
    s_f, d_f = ces[0].fn, ces[1].fn
    null_f = ces[2].fn if len(ces) > 2 else (lambda r, c: None)

    def s2a(r: tuple, c: ExecContext) -> Any:
        s, d, nl = s_f(r, c), d_f(r, c), null_f(r, c)
        if s is None:
            return None
        if s == "":
            return []
        parts = list(s) if d is None else ([s] if d == "" else s.split(d))
        return [None if nl is not None and p == nl else p for p in parts]

    return call.make(s2a, TEXT_ARRAY)


@register("array_to_string")
def _array_to_string(call: Call) -> Any:
    ces = call.compiled()
    arr = ces[0]
    if arr.type.category != "A":
        raise call.no_such_function(ces)
    sep = _text(call, ces[1]).fn
    nullstr = _text(call, ces[2]).fn if len(ces) > 2 else (lambda r, c: None)
    et = arr.type.element
    out = et.text_out if et is not None else str
    af = arr.fn

    def flat(v: Any) -> Any:
        for x in v:
            if isinstance(x, list):
                yield from flat(x)
            else:
                yield x

    def a2s(r: tuple, c: ExecContext) -> Any:
        a, s, ns = af(r, c), sep(r, c), nullstr(r, c)
        if a is None or s is None:
            return None
        parts = []
        for x in flat(a):
            if x is None:
                if ns is not None:
                    parts.append(ns)
            else:
                parts.append(x if isinstance(x, str) else out(x, c.fmt))
        return s.join(parts)

    return call.make(a2s, T.TEXT)


@register("gen_random_uuid", "uuid")
def _gen_random_uuid(call: Call) -> Any:
    import uuid

    call.comp.planner.volatile = True
    return call.make(lambda r, c: uuid.uuid4(), TYPES_BY_OID[2950], "gen_random_uuid")


@register("overlay")
def _overlay(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) not in (3, 4):
        raise call.no_such_function(ces)
    s, r = _text(call, call.comp.coerce(ces[0], T.TEXT) if ces[0].type.oid == 705 else ces[0]), \
        _text(call, call.comp.coerce(ces[1], T.TEXT) if ces[1].type.oid == 705 else ces[1])
    nums = [call.comp.coerce(c, T.INT4) for c in ces[2:]]

    def overlay(v: str, repl: str, start: int, count: int | None = None) -> str:
        n = len(repl) if count is None else count
        if start < 1:
            raise errors.DBError("negative substring length not allowed", "22011")
        return v[: start - 1] + repl + v[start - 1 + max(n, 0):]

    return call.strict([s, r] + nums, overlay, T.TEXT)


_BYTEA = TYPES_BY_OID[17]


@register("encode")
def _encode(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 2 or ces[0].type.oid not in (17, 705):
        raise call.no_such_function(ces)
    data, fmt = call.comp.coerce(ces[0], _BYTEA), call.comp.coerce(ces[1], T.TEXT)

    def encode(b: bytes, f: str) -> str:
        import base64

        kind = f.lower()
        if kind == "hex":
            return bytes(b).hex()
        if kind == "base64":
            text = base64.b64encode(bytes(b)).decode("ascii")
            return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
        if kind == "escape":
            from omendb_server.datatypes.misc import bytea_escape

            return bytea_escape(bytes(b)).replace("\\\\", "\\\\")
        raise errors.InvalidParameterValue(f'unrecognized encoding: "{f}"')

    return call.strict([data, fmt], encode, T.TEXT)


@register("decode")
def _decode(call: Call) -> Any:
    ces = call.args([T.TEXT, T.TEXT])

    def decode(s: str, f: str) -> bytes:
        import base64
        import binascii

        kind = f.lower()
        if kind == "hex":
            clean = "".join(s.split())
            for ch in clean:
                if ch not in "0123456789abcdefABCDEF":
                    raise errors.InvalidParameterValue(f'invalid hexadecimal digit: "{ch}"')
            if len(clean) % 2:
                raise errors.InvalidParameterValue("invalid hexadecimal data: odd number of digits")
            return bytes.fromhex(clean)
        if kind == "base64":
            try:
                return base64.b64decode("".join(s.split()), validate=True)
            except (binascii.Error, ValueError):
                raise errors.InvalidParameterValue("invalid base64 end sequence") from None
        if kind == "escape":
            from omendb_server.datatypes.misc import parse_bytea

            return parse_bytea(s)
        raise errors.InvalidParameterValue(f'unrecognized encoding: "{f}"')

    return call.strict(ces, decode, _BYTEA)


@register("get_byte")
def _get_byte(call: Call) -> Any:
    ces = call.args([_BYTEA, T.INT4])

    def get_byte(b: bytes, n: int) -> int:
        if not 0 <= n < len(b):
            raise errors.DBError(f"index {n} out of valid range, 0..{len(b) - 1}", "2202E")
        return b[n]

    return call.strict(ces, get_byte, T.INT4)


@register("num_nulls", "num_nonnulls")
def _num_nulls(call: Call) -> Any:
    fns = [c.fn for c in call.compiled()]
    want_null = call.name == "num_nulls"
    return call.make(lambda r, c: sum(1 for f in fns if (f(r, c) is None) == want_null), T.INT4)


@register("pg_typeof")
def _pg_typeof(call: Call) -> Any:
    (a,) = call.compiled()
    oid = a.type.oid
    return call.make(lambda r, c: oid, TYPES_BY_OID[2206])


@register("txid_current", "pg_current_xact_id")
def _txid_current(call: Call) -> Any:
    def txid(r: tuple, c: ExecContext) -> int:
        t = c.txn
        value = getattr(t, "txid", None) or getattr(t, "read_ts", None) or 1
        return abs(int(value))

    return call.make(txid, T.INT8)


@register("row")
def _row(call: Call) -> Any:
    from omendb_server.datatypes import type_by_name
    from omendb_server.datatypes.misc import RowValue

    raw = call.compiled()
    ces = [call.comp.coerce(c, T.TEXT) if c.type.oid == 705 else c for c in raw]
    names = tuple(f"f{i + 1}" for i in range(len(ces)))
    types = tuple(c.type for c in ces)
    # the value remembers fields that were unknown literals: PostgreSQL cannot order such
    # a record (42883); they read and print as text
    value_types = tuple(T.UNKNOWN if r.type.oid == 705 and not r.param else c.type for r, c in zip(raw, ces))
    fns = [c.fn for c in ces]
    out = call.make(lambda r, c: RowValue([f(r, c) for f in fns], names, value_types),
                    type_by_name("record"), "row")
    out.fields = tuple(zip(names, types))
    return out


@register("enum_range", "enum_first", "enum_last")
def _enum_range(call: Call) -> Any:
    """Labels of an enum type in sort order (the argument's value is ignored, only its type)."""
    from omendb_server.datatypes import array_of

    ces = call.compiled()
    if not ces or ces[0].type.category != "E" or len(ces) > 2:
        raise call.no_such_function(ces)
    etype = ces[0].type
    cls = getattr(etype.codec, "cls", None)
    if cls is None:
        raise call.no_such_function(ces)

    def labels() -> list[Any]:
        order = cls._order
        return [cls(lbl) for lbl in sorted(order, key=order.__getitem__)]

    if call.name == "enum_first":
        return call.make(lambda r, c: (labels() or [None])[0], etype)
    if call.name == "enum_last":
        return call.make(lambda r, c: (labels() or [None])[-1], etype)
    atype = array_of(etype)
    if len(ces) == 2:
        lo_f, hi_f = ces[0].fn, ces[1].fn

        def bounded(r: tuple, c: ExecContext) -> Any:
            lo, hi = lo_f(r, c), hi_f(r, c)
            out = labels()
            names = [str(x) for x in out]
            start = names.index(str(lo)) if lo is not None else 0
            end = names.index(str(hi)) + 1 if hi is not None else len(out)
            return out[start:end]

        return call.make(bounded, atype)
    return call.make(lambda r, c: labels(), atype)
