"""PostgreSQL regular expressions (ARE) on Python's ``re``, and SIMILAR TO.

Why a translation layer: PostgreSQL's Advanced Regular Expressions are close to
Python's syntax but differ in a few constructs applications do use: POSIX bracket
classes (``[[:alpha:]]``), word boundaries ``\\m \\M \\y \\Y``, the flags letters of
regexp_replace/regexp_match, and ``\\&``/``\\1`` in replacement strings. Compiled
patterns are cached per (pattern, flags) because most calls use a constant pattern.
"""

from __future__ import annotations

import re
from functools import lru_cache

from omendb_server import errors

_POSIX_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f",
    "word": r"\w", "blank": r" \t", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}
_ESCAPES = {"m": r"\b(?=\w)", "M": r"\b(?<=\w)", "y": r"\b", "Y": r"\B"}


def translate(pattern: str) -> str:
    """An ARE pattern as a Python pattern."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_bracket = False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if not in_bracket and nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            else:
                out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_bracket:
            if ch == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end > 0:
                    cls = _POSIX_CLASSES.get(pattern[i + 2:end])
                    if cls is None:
                        raise errors.DBError("invalid regular expression: invalid character class",
                                             "2201B")
                    out.append(cls)
                    i = end + 2
                    continue
            if ch == "]":
                in_bracket = False
            elif ch == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_bracket = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_flags(flags: str | None, fname: str) -> tuple[int, bool]:
    """regexp_* flag letters -> (re flags, global)."""
    rf = 0
    glob = False
    for f in flags or "":
        if f == "g":
            glob = True
        elif f == "i":
            rf |= re.IGNORECASE
        elif f == "c":
            rf &= ~re.IGNORECASE
        elif f in "nw":
            rf |= re.MULTILINE
        elif f in "sp":
            pass
        elif f == "x":
            rf |= re.VERBOSE
        elif f == "q":
            pass
        else:
            raise errors.InvalidParameterValue(f'invalid regular expression option: "{f}"')
    return rf, glob


@lru_cache(maxsize=512)
def compile_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(translate(pattern), flags | re.DOTALL if not flags & re.MULTILINE
                          else flags)
    except re.error as e:
        raise regex_error(e) from None


_PG_REGEX_ERRORS = (
    ("missing ), unterminated subpattern", "parentheses () not balanced"),
    ("unbalanced parenthesis", "parentheses () not balanced"),
    ("unterminated character set", "brackets [] not balanced"),
    ("nothing to repeat", "quantifier operand invalid"),
    ("multiple repeat", "quantifier operand invalid"),
    ("bad escape (end of pattern)", "invalid escape \\ sequence"),
    ("bad character range", "invalid character range"),
)


def regex_error(e: re.error) -> errors.DBError:
    """Python's re.error as PostgreSQL's message (2201B)."""
    text = str(e)
    for prefix, pg in _PG_REGEX_ERRORS:
        if text.startswith(prefix):
            return errors.DBError(f"invalid regular expression: {pg}", "2201B")
    return errors.DBError(f"invalid regular expression: {text}", "2201B")


def replacement(repl: str) -> str:
    """PostgreSQL replacement text (\\1..\\9, \\&, \\\\) as a Python template."""
    out: list[str] = []
    i = 0
    while i < len(repl):
        ch = repl[i]
        if ch == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            if nxt.isdigit():
                out.append(f"\\g<{nxt}>")
            elif nxt == "&":
                out.append("\\g<0>")
            else:
                out.append(nxt.replace("\\", "\\\\"))
            i += 2
            continue
        out.append("\\\\" if ch == "\\" else ch)
        i += 1
    return "".join(out)


def regexp_replace(s: str, pattern: str, repl: str, flags: str | None = None,
                   start: int = 1, nth: int = 0) -> str:
    rf, glob = parse_flags(flags, "regexp_replace")
    rx = compile_regex(pattern, rf)
    template = replacement(repl)
    if start < 1:
        raise errors.InvalidParameterValue(f'invalid value for parameter "start": {start}')
    prefix, body = s[: start - 1], s[start - 1:]
    if nth > 0:
        count = 0

        def pick(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            return m.expand(template) if count == nth else m.group(0)

        return prefix + rx.sub(pick, body)
    return prefix + rx.sub(template, body, count=0 if glob else 1)


def match_groups(m: re.Match[str]) -> list[str | None]:
    """regexp_match's array: the capture groups, or the whole match when there are none."""
    if m.re.groups == 0:
        return [m.group(0)]
    return list(m.groups())


@lru_cache(maxsize=256)
def similar_to_regex(pattern: str, escape: str | None = "\\") -> re.Pattern[str]:
    """SQL SIMILAR TO pattern -> an anchored Python regex (PostgreSQL's similar_to_escape)."""
    out: list[str] = []
    i = 0
    in_bracket = False
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape:
            i += 1
            if i >= len(pattern):
                raise errors.InvalidEscapeSequence("invalid escape string")
            out.append(re.escape(pattern[i]))
        elif in_bracket:
            out.append(ch)
            if ch == "]":
                in_bracket = False
        elif ch == "[":
            in_bracket = True
            out.append(ch)
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch in "|*+?{}()":
            out.append(ch)
        elif ch == ".":
            out.append("\\.")
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("(?:" + translate("".join(out)) + ")", re.DOTALL)
    except re.error as e:
        raise regex_error(e) from None
