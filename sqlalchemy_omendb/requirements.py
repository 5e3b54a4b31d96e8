"""The requirements class for SQLAlchemy's and Alembic's compliance suites, as open as PostgreSQL's.

SQLAlchemy's suite asks the dialect, per test, whether the backend supports a feature
(``@requirements.ctes``...). ``SuiteRequirements`` closes many of them by default; this
class opens every one PostgreSQL 15 meets (following SQLAlchemy's own
``test/requirements.py`` for postgresql), so a test that PostgreSQL passes runs against
OmenDB too and a missing server feature shows up as a failure, not a skip. The ones left
closed are those PostgreSQL also lacks, or cannot run on a default PostgreSQL 15
installation; each is listed with its reason in docs/compatibility.md.
"""

from __future__ import annotations

from typing import Any

from alembic.testing.requirements import SuiteRequirements as AlembicSuiteRequirements
from sqlalchemy.testing import exclusions
from sqlalchemy.testing.requirements import (
    SuiteRequirements as SQLAlchemySuiteRequirements,
)

_OPEN = exclusions.open
_CLOSED = exclusions.closed

#: Requirements SuiteRequirements closes by default and PostgreSQL 15 meets.
OPEN_AS_POSTGRESQL = (
    # DDL and schema
    "create_table_as", "create_temp_table_as", "table_ddl_if_exists", "index_ddl_if_exists",
    "schema_create_delete", "views", "temporary_views", "create_or_replace_view",
    "materialized_views", "deferrable_fks", "repeated_column_foreign_keys",
    "implicit_default_schema", "default_schema_name_switch",
    "unicode_ddl", "percent_schema_names", "server_defaults", "expression_server_defaults",
    "computed_columns_stored", "computed_columns_default_persisted",
    "computed_columns_reflect_persisted", "identity_columns", "identity_columns_standard",
    "identity_columns_alter",
    # reflection
    "unique_constraints_reflect_as_index", "cross_schema_fk_reflection",
    "foreign_key_constraint_name_reflection", "reflects_pk_names", "reflect_tables_no_columns",
    "temp_table_comment_reflection", "comment_reflection", "comment_reflection_full_unicode",
    "constraint_comment_reflection", "column_collation_reflection",
    "foreign_key_constraint_option_reflection_ondelete",
    "fk_constraint_option_reflection_ondelete_restrict",
    "fk_constraint_option_reflection_ondelete_noaction",
    "foreign_key_constraint_option_reflection_onupdate",
    "fk_constraint_option_reflection_onupdate_restrict", "temp_table_names", "has_temp_table",
    "index_reflects_included_columns", "indexes_check_column_order", "indexes_with_expressions",
    "reflect_indexes_with_expressions", "inline_check_constraint_reflection",
    "check_constraint_reflection", "reflect_table_options",
    "reflects_fk_options", "fk_ondelete_is_reflected", "fk_onupdate_is_reflected",
    "fk_initially", "fk_deferrable", "fk_deferrable_is_reflected", "autoincrement_on_composite_pk",
    # queries and expressions
    "table_value_constructor", "boolean_col_expressions", "nullsordering", "intersect", "except_",
    "window_functions", "window_range", "window_range_numeric", "window_range_non_numeric",
    "ctes", "ctes_with_update_delete", "ctes_with_values", "ctes_on_dml", "tuple_in",
    "update_from", "delete_from", "mod_operator_as_percent_sign", "aggregate_order_by",
    "supports_distinct_on", "regexp_match", "regexp_replace", "fetch_first", "fetch_ties",
    "fetch_no_order_by", "fetch_offset_with_options", "fetch_expression",
    "supports_bitwise_or", "supports_bitwise_and", "supports_bitwise_not",
    "supports_bitwise_xor", "supports_bitwise_shift",
    # types
    "uuid_data_type", "datetime_interval", "datetime_literals", "datetime_timezone",
    "time_timezone", "timestamp_microseconds", "datetime_historic", "datetime_timezone_historic",
    "date_historic", "array_type", "json_type", "legacy_unconditional_json_extract", "json_deserializer_binary",
    "precision_numerics_enotation_small", "precision_numerics_many_significant_digits",
    "precision_numerics_retains_significant_digits", "infinity_floats",
    "float_or_double_precision_behaves_generically",
    # transactions and connections
    "autocommit", "autocommit_isolation", "skip_autocommit_rollback", "isolation_level",
    "savepoints",
)

#: Closed, as for PostgreSQL 15 (reasons: docs/compatibility.md, "Compliance suites").
CLOSED_AS_POSTGRESQL = {
    "foreign_keys_reflect_as_index": "MySQL behaviour: PostgreSQL creates no index for a FK",
    "unique_index_reflect_as_unique_constraints": "MySQL behaviour",
    "non_updating_cascade": "PostgreSQL supports ON UPDATE CASCADE",
    "emulated_lastrowid": "no lastrowid in PostgreSQL's protocol",
    "emulated_lastrowid_even_with_sequences": "no lastrowid in PostgreSQL's protocol",
    "dbapi_lastrowid": "psycopg has no lastrowid",
    "nvarchar_types": "SQL Server/Oracle types",
    "repeated_remote_col_foreign_keys": "PostgreSQL: foreign key referenced-columns list must "
                                        "not contain duplicates",
    "order_by_label_with_expression": "PostgreSQL: only simple labels allowed in ORDER BY",
    "computed_columns_virtual": "PostgreSQL 15 has only STORED generated columns",
    "fetch_percent": "PostgreSQL has no FETCH FIRST n PERCENT",
    "reflect_indexes_with_ascdesc_as_expression": "Oracle behaviour",
    "materialized_views_reflect_pk": "materialized views have no primary key in PostgreSQL",
    "two_phase_transactions": "PostgreSQL 15 ships max_prepared_transactions = 0",
}


class Requirements(AlembicSuiteRequirements, SQLAlchemySuiteRequirements):
    """SQLAlchemy's and Alembic's suite requirements, opened as for PostgreSQL 15."""

    @property
    def async_dialect(self) -> Any:
        return exclusions.only_if(lambda config: config.db.dialect.is_async,
                                  "an async driver (omendb+psycopg_async)")

    @property
    def computed_columns(self) -> Any:
        # As SQLAlchemy's requirements for PostgreSQL < 18: Computed() without persisted=
        # renders STORED with a warning, which the tests expect rather than fail on.
        return exclusions.warns_if(
            lambda config: config.db.dialect.server_version_info < (18,),
            r".*PostgreSQL version does not support VIRTUAL", assert_=False)

    @property
    def computed_columns_warn_no_persisted(self) -> Any:
        # Alembic writes only_if("postgresql<18"), which names the dialect; OmenDB presents
        # PostgreSQL 15, so SQLAlchemy warns about VIRTUAL columns exactly as it does there.
        return exclusions.only_if(
            lambda config: config.db.dialect.server_version_info < (18,)
            and hasattr(config.db.dialect, "supports_virtual_generated_columns"),
            "PostgreSQL < 18 (no VIRTUAL generated columns)")

    def get_order_by_collation(self, config: Any) -> str:
        return "POSIX"  # as for PostgreSQL: a collation every database has

    def get_isolation_levels(self, config: Any) -> dict[str, Any]:
        return {
            "default": "READ COMMITTED",
            # sorted, as SQLAlchemy lists them in its "Invalid value" message
            "supported": ["AUTOCOMMIT", "READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ",
                          "SERIALIZABLE"],
        }


def _make(name: str, is_open: bool) -> property:
    factory = _OPEN if is_open else _CLOSED
    return property(lambda self: factory(), doc=f"{name}: {'open' if is_open else 'closed'} "
                                                "as for PostgreSQL 15")


for _name in OPEN_AS_POSTGRESQL:
    setattr(Requirements, _name, _make(_name, True))
for _name in CLOSED_AS_POSTGRESQL:
    setattr(Requirements, _name, _make(_name, False))
