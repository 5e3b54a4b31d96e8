"""SQL: parse (sqlglot + statement cache) → bind/plan → execute on row operators."""

from omendb_server.sql import index_keys  # noqa: F401 - registers expression/partial index keys
from omendb_server.sql.compile import compile_statement, parse_sql
from omendb_server.sql.context import ExecContext
from omendb_server.sql.plan import OutputColumn, Plan, Result, TxnControlPlan
from omendb_server.sql.utility import auto_parameterize, split_statements

__all__ = ["ExecContext", "OutputColumn", "Plan", "Result", "TxnControlPlan",
           "auto_parameterize", "compile_statement", "parse_sql", "split_statements"]
