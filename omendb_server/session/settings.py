"""Run-time settings (GUCs) a session can SET and SHOW, with PostgreSQL 15's defaults.

Only names listed here (or containing a dot, PostgreSQL's custom placeholders) are
accepted; anything else is 42704 ``unrecognized configuration parameter``, which
clients such as asyncpg rely on.
"""

from __future__ import annotations

from omendb_server import config, errors

#: name → default. Names are lowercase; SHOW prints PostgreSQL's canonical spelling.
DEFAULTS: dict[str, str] = {
    "application_name": "",
    "client_encoding": "UTF8",
    "client_min_messages": "notice",
    "datestyle": "ISO, MDY",
    "default_transaction_isolation": "read committed",
    "default_transaction_read_only": "off",
    "extra_float_digits": "1",
    "idle_in_transaction_session_timeout": "0",
    "integer_datetimes": "on",
    "intervalstyle": "postgres",
    "is_superuser": "on",
    "jit": "off",
    "lc_collate": "C",
    "lc_ctype": "C",
    "lc_messages": "C",
    "lc_monetary": "C",
    "lc_numeric": "C",
    "lc_time": "C",
    "lock_timeout": "0",
    "max_identifier_length": "63",
    "search_path": '"$user", public',
    "server_encoding": "UTF8",
    "server_version": config.SERVER_VERSION,
    "server_version_num": str(config.PG_VERSION_NUM),
    "session_authorization": config.DEFAULT_SUPERUSER,
    "standard_conforming_strings": "on",
    "statement_timeout": "0",
    "synchronous_commit": "on",
    "timezone": "UTC",
    "transaction_isolation": "read committed",
    "transaction_read_only": "off",
    "work_mem": "4MB",
    "row_security": "on",
    "bytea_output": "hex",
    "escape_string_warning": "on",
    "default_with_oids": "off",
    "default_table_access_method": "heap",  # read by SQLAlchemy's table reflection
    "max_connections": "100",
    "in_hot_standby": "off",
    "array_nulls": "on",
    "backslash_quote": "safe_encoding",
    "enable_seqscan": "on",
    "geqo": "on",
    "tcp_keepalives_idle": "0",
    "xmloption": "content",
}

CANONICAL = {
    "datestyle": "DateStyle",
    "timezone": "TimeZone",
    "intervalstyle": "IntervalStyle",
}

#: Settings whose changes the server reports to the client with ParameterStatus.
REPORTED = {
    "application_name", "client_encoding", "datestyle", "timezone", "intervalstyle",
    "is_superuser", "server_encoding", "server_version", "session_authorization",
    "standard_conforming_strings", "integer_datetimes", "in_hot_standby",
}

READ_ONLY = {"server_version", "server_version_num", "server_encoding", "integer_datetimes",
             "max_identifier_length", "lc_collate", "lc_ctype", "is_superuser", "in_hot_standby",
             "max_connections"}


def normalize(name: str, value: str) -> str:
    """Validate and canonicalize a value the way PostgreSQL echoes it back."""
    if name == "client_encoding":
        v = value.strip().strip("'").upper().replace("-", "")
        if v not in ("UTF8", "UNICODE"):
            raise errors.FeatureNotSupported(
                f'conversion between {value} and UTF8 is not supported', "0A000")
        return "UTF8"
    if name == "datestyle":
        parts = [p.strip().upper() for p in value.split(",") if p.strip()]
        fmt, order = "ISO", "MDY"
        for p in parts:
            if p in ("ISO", "SQL", "POSTGRES", "GERMAN"):
                fmt = p if p == "ISO" else p.capitalize() if p != "SQL" else "SQL"
            elif p in ("MDY", "DMY", "YMD", "US", "EUROPEAN", "NONEURO", "NONEUROPEAN"):
                order = {"US": "MDY", "NONEURO": "MDY", "NONEUROPEAN": "MDY", "EUROPEAN": "DMY"}.get(p, p)
            else:
                raise errors.InvalidParameterValue(f'invalid value for parameter "DateStyle": "{value}"')
        if fmt != "ISO":
            raise errors.FeatureNotSupported(f"DateStyle {fmt} is not supported yet; use ISO")
        return f"{fmt}, {order}"
    if name == "timezone":
        from zoneinfo import ZoneInfo

        v = value.strip()
        if v.upper() in ("UTC", "GMT", "Z", "ZULU"):
            return "UTC" if v.upper() != "GMT" else "GMT"
        try:
            ZoneInfo(v)
        except Exception:
            raise errors.InvalidParameterValue(
                f'invalid value for parameter "TimeZone": "{value}"') from None
        return v
    if name in ("transaction_isolation", "default_transaction_isolation"):
        v = " ".join(value.lower().split())
        if v not in ("read committed", "repeatable read", "serializable", "read uncommitted"):
            raise errors.InvalidParameterValue(
                f'invalid value for parameter "{name}": "{value}"',
                hint='Available values: serializable, repeatable read, read committed, read uncommitted.')
        return v
    if name == "standard_conforming_strings":
        if value.lower() not in ("on", "true", "1", "yes"):
            raise errors.FeatureNotSupported("standard_conforming_strings cannot be turned off")
        return "on"
    if name == "extra_float_digits":
        try:
            n = int(value)
        except ValueError:
            raise errors.InvalidParameterValue(
                f'invalid value for parameter "extra_float_digits": "{value}"') from None
        if not -15 <= n <= 3:
            raise errors.InvalidParameterValue(
                f"{n} is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)")
        return str(n)
    return value


def lookup_name(name: str) -> str:
    key = name.lower()
    if key not in DEFAULTS and "." not in key:
        raise errors.UndefinedObject(f'unrecognized configuration parameter "{name}"')
    return key
