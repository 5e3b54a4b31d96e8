# ruff: noqa: ISC004  (expectations are pprint output of PostgreSQL results)
"""String, regular-expression, LIKE and SIMILAR TO functions and operators against PostgreSQL 15.

Every expectation below was produced by PostgreSQL 15 itself (a throwaway cluster,
TimeZone=UTC, values in text format), so the tests pin PostgreSQL's output format,
result column names and types, SQLSTATEs and error wording. Run the file with
OMENDB_TEST_TARGET_DSN pointing at PostgreSQL to re-check them.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.adapt import Loader


class _Text(Loader):
    """Keep every value in PostgreSQL's text output format (no client-side parsing)."""

    def load(self, data):  # type: ignore[override]
        return bytes(data).decode()


@pytest.fixture(scope="module")
def text_conn(omendb_server):
    c = omendb_server.connect(autocommit=True)
    for oid in range(1, 6000):
        c.adapters.register_loader(oid, _Text)
    c.execute("SET TimeZone = 'UTC'")
    yield c
    c.close()


def check(conn, sql, cols, expected):
    if cols == "ERROR":
        sqlstate, message, hint = expected
        with pytest.raises(psycopg.Error) as info:
            conn.execute(sql).fetchall()
        diag = info.value.diag
        assert (diag.sqlstate, diag.message_primary) == (sqlstate, message)
        if hint is not None:
            assert diag.message_hint == hint
        return
    cur = conn.execute(sql)
    assert [(d.name, d.type_code) for d in cur.description] == cols
    assert [tuple(r) for r in cur.fetchall()] == expected


CASES = [("select length('abc'), char_length('héllo'), lower('ABC'), upper('abc'), initcap('hello wORLD "
  "foo-bar')",
  [('length', 23), ('char_length', 23), ('lower', 25), ('upper', 25), ('initcap', 25)],
  [('3', '5', 'abc', 'ABC', 'Hello World Foo-Bar')]),
 ("select octet_length('héllo'), bit_length('a'), length('ab'::char(4)), length(null::text)",
  [('octet_length', 23), ('bit_length', 23), ('length', 23), ('length', 23)],
  [('6', '8', '2', None)]),
 ("select substr('hello', 2, 3), substring('hello' from 2 for 3), substring('hello' from 2), "
  "substring('foobar' from 'o.b'), substring('foobar' from 'o(.)b')",
  [('substr', 25), ('substring', 25), ('substring', 25), ('substring', 25), ('substring', 25)],
  [('ell', 'ell', 'ello', 'oob', 'o')]),
 ("select substr('abc', 0, 2), substr('abc', -1), substring('abc' from 5)",
  [('substr', 25), ('substr', 25), ('substring', 25)],
  [('a', 'abc', '')]),
 ("select substr('abc', 1, -1)", 'ERROR', ('22011', 'negative substring length not allowed', None)),
 ("select position('lo' in 'hello'), strpos('hello','l'), strpos('hello', 'z')",
  [('position', 23), ('strpos', 23), ('strpos', 23)],
  [('4', '3', '0')]),
 ("select trim('  x  '), ltrim('xxyx', 'x'), rtrim('yxxx', 'x'), btrim('xyxhixy','xy'), "
  "trim(leading 'x' from 'xxa'), trim(trailing from 'a  '), trim(both 'ab' from 'abcba')",
  [('btrim', 25),
   ('ltrim', 25),
   ('rtrim', 25),
   ('btrim', 25),
   ('ltrim', 25),
   ('rtrim', 25),
   ('btrim', 25)],
  [('x', 'yx', 'y', 'hi', 'a', 'a', 'c')]),
 ("select lpad('hi', 5), lpad('hi', 5, 'ab'), rpad('hi', 5, 'xy'), lpad('hello', 3), lpad('hi', "
  "-1), rpad('hi', 4, '')",
  [('lpad', 25), ('lpad', 25), ('rpad', 25), ('lpad', 25), ('lpad', 25), ('rpad', 25)],
  [('   hi', 'abahi', 'hixyx', 'hel', '', 'hi')]),
 ("select split_part('a,b,c', ',', 2), split_part('a,b,c', ',', -1), split_part('a,b,c', ',', 5), "
  "split_part('', ',', 1)",
  [('split_part', 25), ('split_part', 25), ('split_part', 25), ('split_part', 25)],
  [('b', 'c', '', '')]),
 ("select split_part('a,b', ',', 0)", 'ERROR', ('22023', 'field position must not be zero', None)),
 ("select concat('a', null, 1, true, 1.50), concat_ws('-', 'a', null, 'b'), concat_ws(null, 'a'), "
  "left('hello', 2), left('hello', -2), right('hello', 2), right('hello', -2)",
  [('concat', 25),
   ('concat_ws', 25),
   ('concat_ws', 25),
   ('left', 25),
   ('left', 25),
   ('right', 25),
   ('right', 25)],
  [('a1t1.50', 'a-b', None, 'he', 'hel', 'lo', 'llo')]),
 ("select repeat('ab', 3), repeat('x', -1), reverse('abc'), md5('abc'), md5(''), to_hex(255), "
  'to_hex(-1), to_hex(-1::bigint)',
  [('repeat', 25),
   ('repeat', 25),
   ('reverse', 25),
   ('md5', 25),
   ('md5', 25),
   ('to_hex', 25),
   ('to_hex', 25),
   ('to_hex', 25)],
  [('ababab',
    '',
    'cba',
    '900150983cd24fb0d6963f7d28e17f72',
    'd41d8cd98f00b204e9800998ecf8427e',
    'ff',
    'ffffffff',
    'ffffffffffffffff')]),
 ("select ascii('A'), ascii(''), chr(65), chr(233), replace('abcabc', 'b', 'X'), replace('abc', "
  "'', 'X'), translate('12345', '143', 'ax')",
  [('ascii', 23),
   ('ascii', 23),
   ('chr', 25),
   ('chr', 25),
   ('replace', 25),
   ('replace', 25),
   ('translate', 25)],
  [('65', '0', 'A', 'é', 'aXcaXc', 'abc', 'a2x5')]),
 ('select chr(0)', 'ERROR', ('54000', 'null character not permitted', None)),
 ("select format('%s is %I and %L', 'x', 'My Col', 'it''s'), format('%5s|%-5s|', 'a', 'b'), "
  "format('%2$s %1$s', 'a', 'b'), format('%s/%L', null, null), format('100%%')",
  [('format', 25), ('format', 25), ('format', 25), ('format', 25), ('format', 25)],
  [('x is "My Col" and \'it\'\'s\'', '    a|b    |', 'b a', '/NULL', '100%')]),
 ("select format('%s %s', 'a')", 'ERROR', ('22023', 'too few arguments for format()', None)),
 ("select quote_ident('a b'), quote_ident('abc'), quote_ident('select'), quote_ident('Abc'), "
  "quote_literal('o''k'), quote_literal(E'a\\\\b'), quote_literal(42), quote_nullable(null)",
  [('quote_ident', 25),
   ('quote_ident', 25),
   ('quote_ident', 25),
   ('quote_ident', 25),
   ('quote_literal', 25),
   ('quote_literal', 25),
   ('quote_literal', 25),
   ('quote_nullable', 25)],
  [('"a b"', 'abc', '"select"', '"Abc"', "'o''k'", "E'a\\\\b'", "'42'", 'NULL')]),
 ("select starts_with('hello', 'he'), starts_with('hello', 'lo')",
  [('starts_with', 16), ('starts_with', 16)],
  [('t', 'f')]),
 ("select 'abc' || 'def', 'ab'::char(4) || 'c', 'x' || 1, 1 || 'x', 'a' || null",
  [('?column?', 25), ('?column?', 25), ('?column?', 25), ('?column?', 25), ('?column?', 25)],
  [('abcdef', 'abc', 'x1', '1x', None)]),
 ("select 'abc' ~ 'b', 'ABC' ~* 'b', 'abc' !~ 'b', 'abc' !~* 'B', 'abc' ~ '^a.c$', 'a1' ~ "
  "'[[:digit:]]', 'foo bar' ~ '\\mbar'",
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 't', 'f', 'f', 't', 't', 't')]),
 ("select regexp_replace('foobarbaz', 'b..', 'X'), regexp_replace('foobarbaz', 'b..', 'X', 'g'), "
  "regexp_replace('Hello World', '(\\w+) (\\w+)', '\\2 \\1'), regexp_replace('AAA', 'a', 'b', "
  "'gi'), regexp_replace('abc', 'b', '[\\&]')",
  [('regexp_replace', 25),
   ('regexp_replace', 25),
   ('regexp_replace', 25),
   ('regexp_replace', 25),
   ('regexp_replace', 25)],
  [('fooXbaz', 'fooXX', 'World Hello', 'bbb', 'a[b]c')]),
 ("select regexp_replace('abcabc', 'b', 'X', 1, 2), regexp_replace('abcabc', 'b', 'X', 3)",
  [('regexp_replace', 25), ('regexp_replace', 25)],
  [('abcaXc', 'abcaXc')]),
 ("select regexp_match('foobar', '(o+)(b)'), regexp_match('abc', 'x'), regexp_match('ABC', 'b', "
  "'i'), regexp_match('abc', 'b')",
  [('regexp_match', 1009), ('regexp_match', 1009), ('regexp_match', 1009), ('regexp_match', 1009)],
  [('{oo,b}', None, '{B}', '{b}')]),
 ("select regexp_match('abc', 'b', 'g')",
  'ERROR',
  ('22023',
   'regexp_match() does not support the "global" option',
   'Use the regexp_matches function instead.')),
 ("select regexp_matches('a1b2c3', '[0-9]', 'g')",
  [('regexp_matches', 1009)],
  [('{1}',), ('{2}',), ('{3}',)]),
 ("select regexp_matches('abc', '(a)(x)?')", [('regexp_matches', 1009)], [('{a,NULL}',)]),
 ("select regexp_split_to_array('a1b2c', '[0-9]'), regexp_split_to_array('hello', ''), "
  "regexp_split_to_array('a  b c', '\\s+'), regexp_count('banana', 'an')",
  [('regexp_split_to_array', 1009),
   ('regexp_split_to_array', 1009),
   ('regexp_split_to_array', 1009),
   ('regexp_count', 23)],
  [('{a,b,c}', '{h,e,l,l,o}', '{a,b,c}', '2')]),
 ("select * from regexp_split_to_table('a,b,c', ',')",
  [('regexp_split_to_table', 25)],
  [('a',), ('b',), ('c',)]),
 ("select string_to_array('a,b,,c', ','), string_to_array('a,b,x', ',', 'x'), "
  "string_to_array('abc', null), array_to_string(array[1,null,3], ',', '*'), "
  "array_to_string(array['a','b'], '-')",
  [('string_to_array', 1009),
   ('string_to_array', 1009),
   ('string_to_array', 1009),
   ('array_to_string', 25),
   ('array_to_string', 25)],
  [('{a,b,"",c}', '{a,b,NULL}', '{a,b,c}', '1,*,3', 'a-b')]),
 ("select 'x' ~ '('",
  'ERROR',
  ('2201B', 'invalid regular expression: parentheses () not balanced', None)),
 ("select 'abc' similar to 'a%', 'abc' similar to '(a|b)c', 'a_c' similar to 'a#_c' escape '#', "
  "'abc' not similar to 'a.c', 'abc' similar to '[a-c]+'",
  [('?column?', 16), ('?column?', 16), ('?column?', 16), ('?column?', 16), ('?column?', 16)],
  [('t', 'f', 't', 't', 't')]),
 ("select 'a_c' like 'a\\_c', 'abc' like 'a\\_c', 'a_c' like 'a#_c' escape '#', 'ABC' ilike 'a%', "
  "'ABC' not ilike 'a%', 'abc' like '%', null like 'a'",
  [('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('t', 'f', 't', 't', 'f', 't', None)]),
 ("select 'a' like 'a\\'", [('?column?', 16)], [('f',)]),
 ('select length(1)',
  'ERROR',
  ('42883',
   'function length(integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ('select upper(1)',
  'ERROR',
  ('42883',
   'function upper(integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select nosuchfunc('a')",
  'ERROR',
  ('42883',
   'function nosuchfunc(unknown) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select lower('ÀÉÎ'), upper('straße ñandú'), initcap('ñandú élan'), 'abc' like any (array['%b', "
  "'x%']), 'abc' ilike all (array['A%', '%C']), 'abc' like all (array['a%', 'x%'])",
  [('lower', 25),
   ('upper', 25),
   ('initcap', 25),
   ('?column?', 16),
   ('?column?', 16),
   ('?column?', 16)],
  [('ÀÉÎ', 'STRAßE ñANDú', 'ñAndú éLan', 'f', 't', 'f')]),
 ("select 'abc' like 'a\\'",
  'ERROR',
  ('22025', 'LIKE pattern must not end with escape character', None)),
 ("select 'abc' like 'a' escape 'xx'",
  'ERROR',
  ('22025', 'invalid escape string', 'Escape string must be empty or one character.')),
 ('select chr(-1)', 'ERROR', ('22023', 'character number must be positive', None)),
 ('select to_char(1, 2)',
  'ERROR',
  ('42883',
   'function to_char(integer, integer) does not exist',
   'No function matches the given name and argument types. You might need to add explicit type '
   'casts.')),
 ("select substr('abc', 'x')",
  'ERROR',
  ('22P02', 'invalid input syntax for type integer: "x"', None)),
 ('select 1 << 100, 1::int8 << 70, 5::int2 << 2',
  [('?column?', 23), ('?column?', 20), ('?column?', 21)],
  [('16', '64', '20')]),
 ("select E'tab\\there', E'new\\nline', 'no\\escape', U&'\\0041\\00e9', U&'d!0061t!+000061' "
  "UESCAPE '!'",
  [('?column?', 25), ('?column?', 25), ('?column?', 25), ('?column?', 25), ('?column?', 25)],
  [('tab\there', 'new\nline', 'no\\escape', 'Aé', 'data')])]


@pytest.mark.parametrize("sql,cols,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_matches_postgres(text_conn, sql, cols, expected):
    check(text_conn, sql, cols, expected)
