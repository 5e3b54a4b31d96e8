"""SQL/JSON path language (PostgreSQL's jsonpath): a parser and an evaluator.

Covers what applications commonly write: ``lax``/``strict``, ``$``, ``@``, ``$var``,
member access (``.key``, ``."key"``, ``.*``), array access (``[*]``, ``[1]``, ``[1 to 3]``,
``[last]``, ``[last - 1]``), recursive ``.**``, filters ``? (...)`` with comparisons,
``&&``/``||``/``!``, ``exists``, ``like_regex``, ``starts with``, ``is unknown``,
arithmetic (``+ - * / %``, unary ``-``) and the item methods type(), size(), double(),
ceiling(), floor(), abs(), keyvalue(). Not covered: datetime(), the ``.**{n to m}`` level
bounds. Semantics follow PostgreSQL 15's jsonpath_exec.c: lax mode unwraps arrays and
ignores structural errors; comparisons are existential and three-valued (a type mismatch
is *unknown*); strict mode raises the structural errors.

Values are the Python forms of ``datatypes.jsonb`` (dict, list, str, int, Decimal, bool,
None); a path evaluates to a list of such items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from omendb_server import errors

UNKNOWN = object()  # the third truth value of a jsonpath predicate

_TOKEN_RE = re.compile(r"""
    \s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*|\$"(?:[^"\\]|\\.)*")
    | (?P<op>\*\*|==|!=|<>|<=|>=|&&|\|\||[$@.\[\](),?*<>!+\-/%])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


def _syntax(near: str) -> errors.DBError:
    where = f'at or near "{near}"' if near else "at end"
    return errors.SyntaxError(f"syntax error {where} of jsonpath input")


def _unescape(s: str) -> str:
    import json

    try:
        return json.loads(s)
    except ValueError:
        raise _syntax(s) from None


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise _syntax(text[pos:].strip()[:1])
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


# -- the tree ----------------------------------------------------------------------------
@dataclass
class Node:
    kind: str
    args: list[Any] = field(default_factory=list)


@dataclass
class Path:
    strict: bool
    expr: Node


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("", "")

    def take(self) -> tuple[str, str]:
        t = self.peek()
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        t = self.take()
        if t[1] != text:
            raise _syntax(t[1])

    def word(self, w: str) -> bool:
        t = self.peek()
        if t[0] == "word" and t[1].lower() == w:
            self.i += 1
            return True
        return False

    def parse(self) -> Path:
        strict = False
        if self.peek()[0] == "word" and self.peek()[1].lower() in ("lax", "strict"):
            strict = self.take()[1].lower() == "strict"
        expr = self.or_()
        if self.i != len(self.toks):
            raise _syntax(self.peek()[1])
        return Path(strict, expr)

    def or_(self) -> Node:
        left = self.and_()
        while self.peek()[1] == "||":
            self.take()
            left = Node("or", [left, self.and_()])
        return left

    def and_(self) -> Node:
        left = self.not_()
        while self.peek()[1] == "&&":
            self.take()
            left = Node("and", [left, self.not_()])
        return left

    def not_(self) -> Node:
        if self.peek()[1] == "!":
            self.take()
            self.expect("(")
            inner = self.or_()
            self.expect(")")
            return Node("not", [inner])
        return self.predicate()

    def predicate(self) -> Node:
        if self.word("exists"):
            self.expect("(")
            inner = self.or_()
            self.expect(")")
            return Node("exists", [inner])
        left = self.additive()
        t = self.peek()
        if t[0] == "op" and t[1] in ("==", "!=", "<>", "<", "<=", ">", ">="):
            self.take()
            return Node("cmp", [t[1] if t[1] != "<>" else "!=", left, self.additive()])
        if self.word("like_regex"):
            pattern = self.take()
            if pattern[0] != "str":
                raise _syntax(pattern[1])
            flags = ""
            if self.word("flag"):
                f = self.take()
                if f[0] != "str":
                    raise _syntax(f[1])
                flags = _unescape(f[1])
            return Node("like_regex", [left, _compile_regex(_unescape(pattern[1]), flags)])
        if self.word("starts"):
            if not self.word("with"):
                raise _syntax(self.peek()[1])
            return Node("starts", [left, self.additive()])
        if self.word("is"):
            if not self.word("unknown"):
                raise _syntax(self.peek()[1])
            return Node("is_unknown", [left])
        return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = Node("arith", [op, left, self.multiplicative()])
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = Node("arith", [op, left, self.unary()])
        return left

    def unary(self) -> Node:
        if self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            return Node("neg" if op == "-" else "pos", [self.unary()])
        return self.accessors(self.primary())

    def primary(self) -> Node:
        kind, text = self.take()
        if text == "$" and kind == "op":
            return Node("root")
        if text == "@":
            return Node("current")
        if kind == "var":
            name = text[1:]
            return Node("var", [_unescape(name) if name.startswith('"') else name])
        if kind == "str":
            return Node("lit", [_unescape(text)])
        if kind == "num":
            return Node("lit", [_number(text)])
        if kind == "word":
            w = text.lower()
            if w in ("true", "false"):
                return Node("lit", [w == "true"])
            if w == "null":
                return Node("lit", [None])
            if w == "last":
                return Node("last")
        if text == "(":
            inner = self.or_()
            self.expect(")")
            return inner
        raise _syntax(text)

    def accessors(self, node: Node) -> Node:
        while True:
            t = self.peek()
            if t[1] == ".":
                self.take()
                kind, text = self.take()
                if text == "*" and kind == "op":
                    node = Node("anykey", [node])
                elif text == "**":
                    node = Node("recursive", [node])
                elif kind == "str":
                    node = Node("key", [node, _unescape(text)])
                elif kind == "word":
                    if self.peek()[1] == "(":
                        self.take()
                        self.expect(")")
                        node = Node("method", [node, text.lower()])
                    else:
                        node = Node("key", [node, text])
                else:
                    raise _syntax(text)
            elif t[1] == "[":
                self.take()
                if self.peek()[1] == "*" and self.peek(1)[1] == "]":
                    self.take()
                    self.take()
                    node = Node("anyindex", [node])
                    continue
                subs: list[tuple[Node, Node | None]] = []
                while True:
                    lo = self.additive()
                    hi = None
                    if self.word("to"):
                        hi = self.additive()
                    subs.append((lo, hi))
                    if self.peek()[1] == ",":
                        self.take()
                        continue
                    self.expect("]")
                    break
                node = Node("index", [node, subs])
            elif t[1] == "?":
                self.take()
                self.expect("(")
                cond = self.or_()
                self.expect(")")
                node = Node("filter", [node, cond])
            else:
                return node


def _number(text: str) -> Any:
    if re.fullmatch(r"\d+", text):
        return int(text)
    return Decimal(text)


def _compile_regex(pattern: str, flags: str) -> re.Pattern[str]:
    f = 0
    for ch in flags:
        if ch == "i":
            f |= re.IGNORECASE
        elif ch == "s":
            f |= re.DOTALL
        elif ch == "m":
            f |= re.MULTILINE
        elif ch == "x":
            f |= re.VERBOSE
        elif ch == "q":
            pattern = re.escape(pattern)
        else:
            raise errors.InvalidParameterValue(f'invalid input syntax for type jsonpath: unrecognized flag character "{ch}" in LIKE_REGEX predicate')
    try:
        return re.compile(pattern, f)
    except re.error as e:
        raise errors.InvalidRegularExpression(f"invalid regular expression: {e}") from None


@lru_cache(maxsize=1024)
def parse(text: str) -> Path:
    """jsonpath text → tree (cached: the same path is usually applied to many rows)."""
    return _Parser(text).parse()


# -- evaluation ----------------------------------------------------------------------------
class PathError(errors.DBError):
    """A structural or type error while evaluating; ``silent`` calls turn it into 'no result'."""


def _err(message: str, sqlstate: str) -> PathError:
    return PathError(message, sqlstate)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if _is_num(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


class _Eval:
    def __init__(self, path: Path, root: Any, variables: dict[str, Any]) -> None:
        self.strict = path.strict
        self.root = root
        self.vars = variables
        self.last: list[int] = []

    def items(self, node: Node, cur: Any) -> list[Any]:
        k = node.kind
        if k == "root":
            return [self.root]
        if k == "current":
            return [cur]
        if k == "lit":
            return [node.args[0]]
        if k == "var":
            name = node.args[0]
            if name not in self.vars:
                raise errors.UndefinedObject(f'could not find jsonpath variable "{name}"')
            return [self.vars[name]]
        if k == "last":
            if not self.last:
                raise errors.SyntaxError("LAST is allowed only in array subscripts")
            return [self.last[-1]]
        if k == "key":
            out: list[Any] = []
            for v in self._unwrap(self.items(node.args[0], cur)):
                if isinstance(v, dict):
                    if node.args[1] in v:
                        out.append(v[node.args[1]])
                    elif self.strict:
                        raise _err(f'JSON object does not contain key "{node.args[1]}"', "2203A")
                elif self.strict:
                    raise _err("jsonpath member accessor can only be applied to an object", "2203A")
            return out
        if k == "anykey":
            out = []
            for v in self._unwrap(self.items(node.args[0], cur)):
                if isinstance(v, dict):
                    out.extend(v.values())
                elif self.strict:
                    raise _err("jsonpath wildcard member accessor can only be applied to an object", "2203C")
            return out
        if k == "recursive":
            out = []
            for v in self.items(node.args[0], cur):
                _descend(v, out)
            return out
        if k == "anyindex":
            out = []
            for v in self.items(node.args[0], cur):
                if isinstance(v, list):
                    out.extend(v)
                elif self.strict:
                    raise _err("jsonpath wildcard array accessor can only be applied to an array", "22039")
                else:
                    out.append(v)
            return out
        if k == "index":
            return self._index(node, cur)
        if k == "filter":
            out = []
            for v in self._unwrap(self.items(node.args[0], cur)):
                if self.truth(node.args[1], v) is True:
                    out.append(v)
            return out
        if k == "method":
            return self._method(node, cur)
        if k in ("neg", "pos"):
            out = []
            for v in self._unwrap(self.items(node.args[0], cur)):
                if not _is_num(v):
                    raise _err(f"operand of unary jsonpath operator {'-' if k == 'neg' else '+'} is not a numeric value",
                               "22038")
                out.append(-v if k == "neg" else v)
            return out
        if k == "arith":
            return [self._arith(node, cur)]
        # a predicate used as a value: true / false / null (unknown)
        t = self.truth(node, cur)
        return [None if t is UNKNOWN else t]

    def _unwrap(self, vals: list[Any]) -> list[Any]:
        if self.strict:
            return vals
        out: list[Any] = []
        for v in vals:
            if isinstance(v, list):
                out.extend(v)
            else:
                out.append(v)
        return out

    def _index(self, node: Node, cur: Any) -> list[Any]:
        out: list[Any] = []
        for v in self.items(node.args[0], cur):
            arr = v if isinstance(v, list) else None
            if arr is None:
                if self.strict:
                    raise _err("jsonpath array accessor can only be applied to an array", "22039")
                arr = [v]
            self.last.append(len(arr) - 1)
            try:
                for lo_node, hi_node in node.args[1]:
                    lo = self._subscript(lo_node, cur)
                    hi = self._subscript(hi_node, cur) if hi_node is not None else lo
                    if self.strict and (lo < 0 or hi >= len(arr) or lo > hi):
                        raise _err("jsonpath array subscript is out of bounds", "22033")
                    for i in range(max(lo, 0), min(hi, len(arr) - 1) + 1):
                        out.append(arr[i])
            finally:
                self.last.pop()
        return out

    def _subscript(self, node: Node, cur: Any) -> int:
        vals = self.items(node, cur)
        if len(vals) != 1 or not _is_num(vals[0]):
            raise _err("jsonpath array subscript is not a single numeric value", "22033")
        return int(vals[0])

    def _arith(self, node: Node, cur: Any) -> Any:
        op, ln, rn = node.args
        lv = self._unwrap(self.items(ln, cur))
        rv = self._unwrap(self.items(rn, cur))
        if len(lv) != 1 or not _is_num(lv[0]):
            raise _err(f"left operand of jsonpath operator {op} is not a single numeric value", "22038")
        if len(rv) != 1 or not _is_num(rv[0]):
            raise _err(f"right operand of jsonpath operator {op} is not a single numeric value", "22038")
        a, b = lv[0], rv[0]
        if op in "/%" and b == 0:
            raise errors.DivisionByZero("division by zero")
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            from omendb_server.sql.types import numeric_div

            return numeric_div(Decimal(a), Decimal(b))  # numeric's scale rules, as PostgreSQL
        return Decimal(a) % Decimal(b) if isinstance(a, Decimal) or isinstance(b, Decimal) else \
            int(a - b * int(a / b))

    def _method(self, node: Node, cur: Any) -> list[Any]:
        name = node.args[1]
        vals = self.items(node.args[0], cur)
        if name == "type":
            return [_type_name(v) for v in vals]
        if name == "size":
            out = []
            for v in vals:
                if isinstance(v, list):
                    out.append(len(v))
                elif self.strict:
                    raise _err("jsonpath item method .size() can only be applied to an array", "22039")
                else:
                    out.append(1)
            return out
        vals = self._unwrap(vals)
        if name == "keyvalue":
            out = []
            for v in vals:
                if not isinstance(v, dict):
                    raise _err("jsonpath item method .keyvalue() can only be applied to an object", "22038")
                out.extend({"id": 0, "key": k, "value": x} for k, x in v.items())
            return out
        fns: dict[str, Callable[[Any], Any]] = {
            "abs": abs, "floor": lambda x: _integral(x, "ROUND_FLOOR"),
            "ceiling": lambda x: _integral(x, "ROUND_CEILING"), "double": _double}
        fn = fns.get(name)
        if fn is None:
            raise errors.SyntaxError(f'syntax error at or near "{name}" of jsonpath input')
        out = []
        for v in vals:
            if name == "double" and isinstance(v, str):
                out.append(_double(v))
                continue
            if not _is_num(v):
                raise _err(f"jsonpath item method .{name}() can only be applied to a numeric value", "22038")
            out.append(fn(v))
        return out

    # -- predicates: True, False or UNKNOWN --------------------------------------------
    def truth(self, node: Node, cur: Any) -> Any:
        k = node.kind
        if k == "and":
            a = self.truth(node.args[0], cur)
            if a is False:
                return False
            b = self.truth(node.args[1], cur)
            if b is False:
                return False
            return True if a is True and b is True else UNKNOWN
        if k == "or":
            a = self.truth(node.args[0], cur)
            if a is True:
                return True
            b = self.truth(node.args[1], cur)
            if b is True:
                return True
            return False if a is False and b is False else UNKNOWN
        if k == "not":
            t = self.truth(node.args[0], cur)
            return UNKNOWN if t is UNKNOWN else not t
        if k == "is_unknown":
            return self.truth(node.args[0], cur) is UNKNOWN
        if k == "exists":
            try:
                return bool(self.items(node.args[0], cur))
            except PathError:
                return UNKNOWN
        if k == "cmp":
            return self._exists_pair(node.args[1], node.args[2], cur,
                                     lambda a, b: _compare(node.args[0], a, b))
        if k == "like_regex":
            rx = node.args[1]
            return self._exists_pair(node.args[0], None, cur,
                                     lambda a, _b: UNKNOWN if not isinstance(a, str) else rx.search(a) is not None)
        if k == "starts":
            return self._exists_pair(node.args[0], node.args[1], cur,
                                     lambda a, b: UNKNOWN if not (isinstance(a, str) and isinstance(b, str))
                                     else a.startswith(b))
        # a path used as a filter condition: true if it yields a true boolean item
        try:
            vals = self.items(node, cur)
        except PathError:
            return UNKNOWN
        if len(vals) == 1 and isinstance(vals[0], bool):
            return vals[0]
        return UNKNOWN

    def _exists_pair(self, ln: Node, rn: Node | None, cur: Any, test: Callable[[Any, Any], Any]) -> Any:
        try:
            lv = self._unwrap(self.items(ln, cur))
            rv = self._unwrap(self.items(rn, cur)) if rn is not None else [None]
        except PathError:
            return UNKNOWN
        unknown = found = False
        for a in lv:
            for b in rv:
                r = test(a, b)
                if r is UNKNOWN:
                    if self.strict:  # strict: any error makes the predicate unknown
                        return UNKNOWN
                    unknown = True
                elif r is True:
                    if not self.strict:
                        return True
                    found = True
        if found:
            return True
        return UNKNOWN if unknown else False


def _descend(v: Any, out: list[Any]) -> None:
    out.append(v)
    if isinstance(v, dict):
        for x in v.values():
            _descend(x, out)
    elif isinstance(v, list):
        for x in v:
            _descend(x, out)


def _integral(x: Any, rounding: str) -> Any:
    if isinstance(x, int):
        return x
    return int(x.to_integral_value(rounding=rounding))


def _double(x: Any) -> Any:
    try:
        d = Decimal(x) if isinstance(x, str) else Decimal(float(x))
    except (InvalidOperation, ValueError):
        raise _err("string argument of jsonpath item method .double() is not a valid representation "
                   "of a double precision number", "22036") from None
    if not d.is_finite():
        raise _err("numeric argument of jsonpath item method .double() is out of range for type double precision",
                   "22038")
    f = float(d)
    return int(f) if f == int(f) and abs(f) < 1e15 else Decimal(repr(f))


def _compare(op: str, a: Any, b: Any) -> Any:
    """PostgreSQL's compareItems: same-kind scalars compare; null equals only null;
    other mixes (and arrays/objects) are unknown."""
    if a is None or b is None:
        if a is None and b is None:
            return op in ("==", "<=", ">=")
        if _is_container(a) or _is_container(b):
            return UNKNOWN
        return op == "!="
    if isinstance(a, bool) or isinstance(b, bool):
        if not (isinstance(a, bool) and isinstance(b, bool)):
            return UNKNOWN
    elif _is_num(a) and _is_num(b):
        pass
    elif isinstance(a, str) and isinstance(b, str):
        a, b = a.encode(), b.encode()
    else:
        return UNKNOWN
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _is_container(v: Any) -> bool:
    return isinstance(v, (list, dict))


def query(path_text: str, target: Any, variables: dict[str, Any] | None = None) -> list[Any]:
    """All items the path yields for ``target`` (errors raised as PostgreSQL raises them)."""
    path = parse(path_text)
    return _Eval(path, target, variables or {}).items(path.expr, target)


def match(path_text: str, target: Any, variables: dict[str, Any] | None = None) -> Any:
    """jsonb_path_match / @@: the single boolean the predicate yields (None for unknown)."""
    vals = query(path_text, target, variables)
    if len(vals) == 1 and (vals[0] is None or isinstance(vals[0], bool)):
        return vals[0]
    raise _err("single boolean result is expected", "22038")
