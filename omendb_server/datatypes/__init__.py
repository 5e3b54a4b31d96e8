"""PostgreSQL 15 data types: Python value representations and text/binary wire I/O.

The engine, catalog and protocol layers all convert values through ``DataType``
objects found here (by OID or by SQL name), so one table decides how every type
looks on the wire. See ``registry`` for the table and ``core`` for the interfaces.
"""

from omendb_server.datatypes.core import DEFAULT_CONTEXT, Codec, DataType, FormatContext, decode_utf8
from omendb_server.datatypes.interval import Interval
from omendb_server.datatypes.registry import TYPES_BY_NAME, TYPES_BY_OID, array_of, type_by_name
from omendb_server.datatypes.typmods import format_type, typmod_for

__all__ = [
    "DEFAULT_CONTEXT",
    "Codec",
    "DataType",
    "FormatContext",
    "Interval",
    "TYPES_BY_NAME",
    "TYPES_BY_OID",
    "array_of",
    "decode_utf8",
    "format_type",
    "type_by_name",
    "typmod_for",
]
