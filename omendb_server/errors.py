"""The error tree: every error OmenDB raises toward a client carries its SQLSTATE.

Why one module: the wire layer turns any ``DBError`` into an ErrorResponse without
knowing which layer raised it, and tests assert on ``sqlstate`` rather than on
message text. Class names follow PostgreSQL's condition names (appendix A of the
PostgreSQL manual) so a reader can map them to psycopg's ``errors`` module.
"""

from __future__ import annotations


class DBError(Exception):
    """An error reported to the client as a PostgreSQL ErrorResponse.

    ``retryable`` tells callers (and docs) whether simply re-running the
    transaction can succeed, as with serialization failures and deadlocks.
    """

    sqlstate: str = "XX000"
    severity: str = "ERROR"
    retryable: bool = False

    def __init__(
        self,
        message: str,
        sqlstate: str | None = None,
        *,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        severity: str | None = None,
        constraint: str | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if sqlstate is not None:
            self.sqlstate = sqlstate
        if severity is not None:
            self.severity = severity
        self.detail = detail
        self.hint = hint
        self.position = position
        self.constraint = constraint
        self.table = table
        self.column = column

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sqlstate}: {self.message})"


# --- class 08: connection exceptions -------------------------------------------------
class ProtocolViolation(DBError):
    sqlstate = "08P01"
    severity = "FATAL"


# --- class 0A: feature not supported -------------------------------------------------
class FeatureNotSupported(DBError):
    sqlstate = "0A000"


# --- class 22: data exceptions -------------------------------------------------------
class DataException(DBError):
    sqlstate = "22000"


class StringDataRightTruncation(DataException):
    sqlstate = "22001"


class NumericValueOutOfRange(DataException):
    sqlstate = "22003"


class InvalidDatetimeFormat(DataException):
    sqlstate = "22007"


class DatetimeFieldOverflow(DataException):
    sqlstate = "22008"


class DivisionByZero(DataException):
    sqlstate = "22012"


class InvalidParameterValue(DataException):
    sqlstate = "22023"


class InvalidTextRepresentation(DataException):
    sqlstate = "22P02"


class InvalidBinaryRepresentation(DataException):
    sqlstate = "22P03"


class CharacterNotInRepertoire(DataException):
    sqlstate = "22021"


class InvalidEscapeSequence(DataException):
    sqlstate = "22025"


# --- class 23: integrity constraint violations ----------------------------------------
class IntegrityError(DBError):
    sqlstate = "23000"


class NotNullViolation(IntegrityError):
    sqlstate = "23502"


class ForeignKeyViolation(IntegrityError):
    sqlstate = "23503"


class UniqueViolation(IntegrityError):
    sqlstate = "23505"


class CheckViolation(IntegrityError):
    sqlstate = "23514"


# --- class 25: invalid transaction state --------------------------------------------
class ActiveSqlTransaction(DBError):
    sqlstate = "25001"


class NoActiveSqlTransaction(DBError):
    sqlstate = "25P01"


class InFailedSqlTransaction(DBError):
    sqlstate = "25P02"


class ReadOnlySqlTransaction(DBError):
    sqlstate = "25006"


# --- class 26/34/3B/3D: names of things that do not exist -----------------------------
class InvalidSqlStatementName(DBError):
    sqlstate = "26000"


class InvalidCursorName(DBError):
    sqlstate = "34000"


class InvalidSavepointSpecification(DBError):
    sqlstate = "3B001"


class InvalidCatalogName(DBError):
    sqlstate = "3D000"


class InvalidSchemaName(DBError):
    sqlstate = "3F000"


# --- class 28: authorization ----------------------------------------------------------
class InvalidAuthorizationSpecification(DBError):
    sqlstate = "28000"
    severity = "FATAL"


class InvalidPassword(DBError):
    sqlstate = "28P01"
    severity = "FATAL"


# --- class 40: transaction rollback --------------------------------------------------
class SerializationFailure(DBError):
    sqlstate = "40001"
    retryable = True


class DeadlockDetected(DBError):
    sqlstate = "40P01"
    retryable = True


# --- class 42: syntax error or access rule violation ----------------------------------
class SyntaxError(DBError):  # noqa: A001 - PostgreSQL's condition name
    sqlstate = "42601"


class InsufficientPrivilege(DBError):
    sqlstate = "42501"


class UndefinedColumn(DBError):
    sqlstate = "42703"


class UndefinedFunction(DBError):
    sqlstate = "42883"


class UndefinedTable(DBError):
    sqlstate = "42P01"


class UndefinedParameter(DBError):
    sqlstate = "42P02"


class UndefinedObject(DBError):
    sqlstate = "42704"


class DuplicateColumn(DBError):
    sqlstate = "42701"


class DuplicateDatabase(DBError):
    sqlstate = "42P04"


class DuplicateObject(DBError):
    sqlstate = "42710"


class DuplicateTable(DBError):
    sqlstate = "42P07"


class DuplicateSchema(DBError):
    sqlstate = "42P06"


class AmbiguousColumn(DBError):
    sqlstate = "42702"


class GroupingError(DBError):
    sqlstate = "42803"


class DatatypeMismatch(DBError):
    sqlstate = "42804"


class WrongObjectType(DBError):
    sqlstate = "42809"


class InvalidColumnReference(DBError):
    sqlstate = "42P10"


class CannotCoerce(DBError):
    sqlstate = "42846"


class IndeterminateDatatype(DBError):
    sqlstate = "42P18"


class InvalidTableDefinition(DBError):
    sqlstate = "42P16"


# --- class 53/54/55/57: resources and operator intervention ----------------------------
class TooManyConnections(DBError):
    sqlstate = "53300"
    severity = "FATAL"


class ProgramLimitExceeded(DBError):
    sqlstate = "54000"


class ObjectInUse(DBError):
    sqlstate = "55006"


class LockNotAvailable(DBError):
    sqlstate = "55P03"


class QueryCanceled(DBError):
    sqlstate = "57014"


class AdminShutdown(DBError):
    sqlstate = "57P01"
    severity = "FATAL"


# --- class XX: internal ---------------------------------------------------------------
class InternalError(DBError):
    sqlstate = "XX000"


class DataCorrupted(DBError):
    sqlstate = "XX001"
