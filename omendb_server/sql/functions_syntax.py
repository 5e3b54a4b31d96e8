"""Parser adjustments so function calls reach us as PostgreSQL wrote them.

sqlglot normalises some PostgreSQL calls into cross-dialect nodes that lose
information PostgreSQL depends on: ``to_char``/``to_date``/``to_timestamp`` formats
are rewritten to strftime codes (not reversible for FM, TH, Day...), ``date_part``
becomes ``EXTRACT`` (whose result type is numeric, not float8), and the output
column name of ``substr``/``strpos``/``mod``/``char_length`` is lost. Parsing these
names as plain calls keeps PostgreSQL's semantics and its column names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

_PLAIN = ("to_char", "to_date", "to_timestamp", "date_part", "date_trunc", "substr", "strpos",
          "mod", "char_length", "character_length", "div", "power", "make_interval",
          "make_timestamp", "make_timestamptz", "make_time", "make_date", "ceiling", "log10",
          "random", "gen_random_uuid",
          # aggregates whose sqlglot node loses the PostgreSQL name (var_samp -> Variance)
          "json_agg", "jsonb_object_agg", "json_object_agg", "stddev", "stddev_samp",
          "stddev_pop", "variance", "var_samp", "var_pop", "percentile_cont",
          "percentile_disc", "mode", "bit_and", "bit_or")
#: sqlglot splits INTERVAL '1 day 02:03:04' into '1' DAY and drops the rest when the
#: string holds exactly one number+unit pair *somewhere*; anchoring the pattern keeps
#: multi-part interval strings whole.
_INTERVAL_ONE_UNIT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*$")


def _plain(name: str) -> Callable[[list[Any]], exp.Expression]:
    return lambda args: exp.Anonymous(this=name, expressions=args)


def install() -> None:
    parser = Postgres.Parser
    if getattr(parser, "_omendb_plain_calls", False):
        return
    functions = dict(parser.FUNCTIONS)
    for name in _PLAIN:
        functions[name.upper()] = _plain(name)
    parser.FUNCTIONS = functions
    parser.FUNCTION_PARSERS = {k: v for k, v in parser.FUNCTION_PARSERS.items()
                               if k.lower() not in _PLAIN}
    parser._omendb_plain_calls = True
    exp.INTERVAL_STRING_RE = _INTERVAL_ONE_UNIT
    # PostgreSQL subscripts are 1-based in the SQL text and we evaluate them as written;
    # sqlglot would otherwise shift integer literals (only) to 0-based.
    Postgres.INDEX_OFFSET = 0


install()
