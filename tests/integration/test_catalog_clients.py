"""Catalog queries that client libraries send verbatim, run through psycopg: asyncpg's type
introspection (WITH RECURSIVE over pg_type/pg_range/pg_attribute, ``any($1::oid[])``) and
Django's inspectdb. The expected rows are what PostgreSQL 15 returns for the same schema
(these tests also pass with OMENDB_TEST_TARGET_DSN pointing at PostgreSQL).
"""

from __future__ import annotations

#: asyncpg 0.32's INTRO_LOOKUP_TYPES query (asyncpg/introspection.py), $1 written as %s.
ASYNCPG_TYPEINFO = """
WITH RECURSIVE typeinfo_tree(
    oid, ns, name, kind, basetype, elemtype, elemdelim,
    range_subtype, attrtypoids, attrnames, depth)
AS (
    SELECT
        ti.oid, ti.ns, ti.name, ti.kind, ti.basetype,
        ti.elemtype, ti.elemdelim, ti.range_subtype,
        ti.attrtypoids, ti.attrnames, 0
    FROM
            (
        SELECT
            t.oid                           AS oid,
            ns.nspname                      AS ns,
            t.typname                       AS name,
            t.typtype                       AS kind,
            (CASE WHEN t.typtype = 'd' THEN
                (WITH RECURSIVE typebases(oid, depth) AS (
                    SELECT
                        t2.typbasetype      AS oid,
                        0                   AS depth
                    FROM
                        pg_type t2
                    WHERE
                        t2.oid = t.oid

                    UNION ALL

                    SELECT
                        t2.typbasetype      AS oid,
                        tb.depth + 1        AS depth
                    FROM
                        pg_type t2,
                        typebases tb
                    WHERE
                       tb.oid = t2.oid
                       AND t2.typbasetype != 0
               ) SELECT oid FROM typebases ORDER BY depth DESC LIMIT 1)

               ELSE NULL
            END)                            AS basetype,
            t.typelem                       AS elemtype,
            elem_t.typdelim                 AS elemdelim,
            COALESCE(
                range_t.rngsubtype,
                multirange_t.rngsubtype)    AS range_subtype,
            (CASE WHEN t.typtype = 'c' THEN
                (SELECT
                    array_agg(ia.atttypid ORDER BY ia.attnum)
                FROM
                    pg_attribute ia
                    INNER JOIN pg_class c
                        ON (ia.attrelid = c.oid)
                WHERE
                    ia.attnum > 0 AND NOT ia.attisdropped
                    AND c.reltype = t.oid)

                ELSE NULL
            END)                            AS attrtypoids,
            (CASE WHEN t.typtype = 'c' THEN
                (SELECT
                    array_agg(ia.attname::text ORDER BY ia.attnum)
                FROM
                    pg_attribute ia
                    INNER JOIN pg_class c
                        ON (ia.attrelid = c.oid)
                WHERE
                    ia.attnum > 0 AND NOT ia.attisdropped
                    AND c.reltype = t.oid)

                ELSE NULL
            END)                            AS attrnames
        FROM
            pg_catalog.pg_type AS t
            INNER JOIN pg_catalog.pg_namespace ns ON (
                ns.oid = t.typnamespace)
            LEFT JOIN pg_type elem_t ON (
                t.typlen = -1 AND
                t.typelem != 0 AND
                t.typelem = elem_t.oid
            )
            LEFT JOIN pg_range range_t ON (
                t.oid = range_t.rngtypid
            )
            LEFT JOIN pg_range multirange_t ON (
                t.oid = multirange_t.rngmultitypid
            )
    )
 AS ti
    WHERE
        ti.oid = any(%s::oid[])

    UNION ALL

    SELECT
        ti.oid, ti.ns, ti.name, ti.kind, ti.basetype,
        ti.elemtype, ti.elemdelim, ti.range_subtype,
        ti.attrtypoids, ti.attrnames, tt.depth + 1
    FROM
            (
        SELECT
            t.oid                           AS oid,
            ns.nspname                      AS ns,
            t.typname                       AS name,
            t.typtype                       AS kind,
            (CASE WHEN t.typtype = 'd' THEN
                (WITH RECURSIVE typebases(oid, depth) AS (
                    SELECT
                        t2.typbasetype      AS oid,
                        0                   AS depth
                    FROM
                        pg_type t2
                    WHERE
                        t2.oid = t.oid

                    UNION ALL

                    SELECT
                        t2.typbasetype      AS oid,
                        tb.depth + 1        AS depth
                    FROM
                        pg_type t2,
                        typebases tb
                    WHERE
                       tb.oid = t2.oid
                       AND t2.typbasetype != 0
               ) SELECT oid FROM typebases ORDER BY depth DESC LIMIT 1)

               ELSE NULL
            END)                            AS basetype,
            t.typelem                       AS elemtype,
            elem_t.typdelim                 AS elemdelim,
            COALESCE(
                range_t.rngsubtype,
                multirange_t.rngsubtype)    AS range_subtype,
            (CASE WHEN t.typtype = 'c' THEN
                (SELECT
                    array_agg(ia.atttypid ORDER BY ia.attnum)
                FROM
                    pg_attribute ia
                    INNER JOIN pg_class c
                        ON (ia.attrelid = c.oid)
                WHERE
                    ia.attnum > 0 AND NOT ia.attisdropped
                    AND c.reltype = t.oid)

                ELSE NULL
            END)                            AS attrtypoids,
            (CASE WHEN t.typtype = 'c' THEN
                (SELECT
                    array_agg(ia.attname::text ORDER BY ia.attnum)
                FROM
                    pg_attribute ia
                    INNER JOIN pg_class c
                        ON (ia.attrelid = c.oid)
                WHERE
                    ia.attnum > 0 AND NOT ia.attisdropped
                    AND c.reltype = t.oid)

                ELSE NULL
            END)                            AS attrnames
        FROM
            pg_catalog.pg_type AS t
            INNER JOIN pg_catalog.pg_namespace ns ON (
                ns.oid = t.typnamespace)
            LEFT JOIN pg_type elem_t ON (
                t.typlen = -1 AND
                t.typelem != 0 AND
                t.typelem = elem_t.oid
            )
            LEFT JOIN pg_range range_t ON (
                t.oid = range_t.rngtypid
            )
            LEFT JOIN pg_range multirange_t ON (
                t.oid = multirange_t.rngmultitypid
            )
    )
 ti,
        typeinfo_tree tt
    WHERE
        (tt.elemtype IS NOT NULL AND ti.oid = tt.elemtype)
        OR (tt.attrtypoids IS NOT NULL AND ti.oid = any(tt.attrtypoids))
        OR (tt.range_subtype IS NOT NULL AND ti.oid = tt.range_subtype)
        OR (tt.basetype IS NOT NULL AND ti.oid = tt.basetype)
)

SELECT DISTINCT
    *,
    basetype::regtype::text AS basetype_name,
    elemtype::regtype::text AS elemtype_name,
    range_subtype::regtype::text AS range_subtype_name
FROM
    typeinfo_tree
ORDER BY
    depth DESC
"""


def test_asyncpg_type_introspection(conn):
    rows = conn.execute(ASYNCPG_TYPEINFO, ([16, 1000, 3904],)).fetchall()
    assert sorted(rows, key=lambda r: (r[0], r[10])) == [
        (16, "pg_catalog", "bool", "b", None, 0, None, None, None, None, 0, None, "-", None),
        (16, "pg_catalog", "bool", "b", None, 0, None, None, None, None, 1, None, "-", None),
        (23, "pg_catalog", "int4", "b", None, 0, None, None, None, None, 1, None, "-", None),
        (1000, "pg_catalog", "_bool", "b", None, 16, ",", None, None, None, 0, None, "boolean",
         None),
        (3904, "pg_catalog", "int4range", "r", None, 0, None, 23, None, None, 0, None, "-",
         "integer"),
    ]


def test_asyncpg_introspects_an_enum(conn, unique_name):
    mood = unique_name("mood")
    conn.execute(f"CREATE TYPE {mood} AS ENUM ('a', 'b')")
    oid = conn.execute("SELECT oid FROM pg_type WHERE typname = %s", (mood,)).fetchone()[0]
    rows = conn.execute(ASYNCPG_TYPEINFO, ([oid],)).fetchall()
    assert [(r[1], r[2], r[3], r[10]) for r in rows] == [("public", mood, "e", 0)]


def _django_schema(conn, unique_name):
    q, c = unique_name("djq"), unique_name("djc")
    conn.execute(f"CREATE TABLE {q} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                 f"question_text varchar(200) NOT NULL, slug varchar(50) UNIQUE, "
                 f"pub_date timestamptz NOT NULL)")
    conn.execute(f"CREATE TABLE {c} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                 f"question_id bigint NOT NULL, votes integer NOT NULL DEFAULT 0, "
                 f"choice_text varchar(200) NOT NULL)")
    conn.execute(f"ALTER TABLE {c} ADD CONSTRAINT {c}_fk FOREIGN KEY (question_id) "
                 f"REFERENCES {q} (id) DEFERRABLE INITIALLY DEFERRED")
    conn.execute(f"CREATE INDEX {c}_question_idx ON {c} (question_id)")
    return q, c


def test_django_inspectdb_constraints(conn, unique_name):
    q, c = _django_schema(conn, unique_name)
    rows = conn.execute(
        "SELECT c.conname, array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY "
        "cols(colid, arridx) JOIN pg_attribute AS ca ON cols.colid = ca.attnum "
        "WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx), c.contype, "
        "(SELECT fkc.relname || '.' || fka.attname FROM pg_attribute AS fka "
        "JOIN pg_class AS fkc ON fka.attrelid = fkc.oid "
        "WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]), cl.reloptions "
        "FROM pg_constraint AS c JOIN pg_class AS cl ON c.conrelid = cl.oid "
        "WHERE cl.relname = %s AND pg_catalog.pg_table_is_visible(cl.oid) ORDER BY 1",
        (c,)).fetchall()
    assert rows == [(f"{c}_fk", ["question_id"], "f", f"{q}.id", None),
                    (f"{c}_pkey", ["id"], "p", None, None)]


def test_django_inspectdb_indexes(conn, unique_name):
    _, c = _django_schema(conn, unique_name)
    rows = conn.execute(
        "SELECT indexname, array_agg(attname ORDER BY arridx), indisunique, indisprimary, "
        "array_agg(ordering ORDER BY arridx), amname, exprdef, s2.attoptions FROM ("
        " SELECT c2.relname as indexname, idx.*, attr.attname, am.amname,"
        " CASE WHEN idx.indexprs IS NOT NULL THEN pg_get_indexdef(idx.indexrelid) END AS exprdef,"
        " CASE am.amname WHEN 'btree' THEN CASE (option & 1) WHEN 1 THEN 'DESC' ELSE 'ASC' END"
        " END as ordering, c2.reloptions as attoptions"
        " FROM (SELECT * FROM pg_index i, unnest(i.indkey, i.indoption)"
        " WITH ORDINALITY koi(key, option, arridx)) idx"
        " LEFT JOIN pg_class c ON idx.indrelid = c.oid"
        " LEFT JOIN pg_class c2 ON idx.indexrelid = c2.oid"
        " LEFT JOIN pg_am am ON c2.relam = am.oid"
        " LEFT JOIN pg_attribute attr ON attr.attrelid = c.oid AND attr.attnum = idx.key"
        " WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)) s2 "
        "GROUP BY indexname, indisunique, indisprimary, amname, exprdef, attoptions ORDER BY 1",
        (c,)).fetchall()
    assert rows == [
        (f"{c}_pkey", ["id"], True, True, ["ASC"], "btree", None, None),
        (f"{c}_question_idx", ["question_id"], False, False, ["ASC"], "btree", None, None),
    ]


def test_django_inspectdb_columns(conn, unique_name):
    _, c = _django_schema(conn, unique_name)
    rows = conn.execute(
        "SELECT a.attname AS column_name, "
        "NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS is_nullable, "
        "pg_get_expr(ad.adbin, ad.adrelid) AS column_default, "
        "CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation, "
        "a.attidentity != '' AS is_autofield, col_description(a.attrelid, a.attnum) "
        "FROM pg_attribute a LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid "
        "AND a.attnum = ad.adnum LEFT JOIN pg_collation co ON a.attcollation = co.oid "
        "JOIN pg_type t ON a.atttypid = t.oid JOIN pg_class c ON a.attrelid = c.oid "
        "JOIN pg_namespace n ON c.relnamespace = n.oid "
        "WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v') AND c.relname = %s "
        "AND n.nspname NOT IN ('pg_catalog', 'pg_toast') "
        "AND pg_catalog.pg_table_is_visible(c.oid) AND a.attnum > 0 ORDER BY a.attnum",
        (c,)).fetchall()
    assert rows == [("id", False, None, None, True, None),
                    ("question_id", False, None, None, False, None),
                    ("votes", False, "0", None, False, None),
                    ("choice_text", False, None, None, False, None)]
