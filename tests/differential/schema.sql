-- The fixed schema of the differential corpus, loaded identically into PostgreSQL 15 and OmenDB.
-- Every table is prefixed d_ so it cannot collide with other tests on the shared server.
-- Data is hand-written and deterministic: NULLs, duplicates, negatives, empty strings, unicode,
-- extreme values. Every table has a unique id column so ORDER BY id fully determines order.

DROP TABLE IF EXISTS d_dept;
DROP TABLE IF EXISTS d_emp;
DROP TABLE IF EXISTS d_proj;
DROP TABLE IF EXISTS d_nums;
DROP TABLE IF EXISTS d_strs;
DROP TABLE IF EXISTS d_times;
DROP TABLE IF EXISTS d_misc;
DROP TABLE IF EXISTS d_tree;
DROP TABLE IF EXISTS d_empty;

CREATE TABLE d_dept (
    id int4 PRIMARY KEY,
    name text NOT NULL,
    budget numeric(12,2),
    region varchar(10)
);
INSERT INTO d_dept VALUES
    (1, 'Engineering', 500000.00, 'north'),
    (2, 'Sales', 250000.50, 'south'),
    (3, 'Marketing', NULL, 'north'),
    (4, 'Research', 0.00, NULL),
    (5, 'Empty', -100.25, 'east');

CREATE TABLE d_emp (
    id int4 PRIMARY KEY,
    name text,
    dept_id int4,
    salary numeric(10,2),
    bonus float8,
    hired date,
    active bool,
    manager_id int4
);
INSERT INTO d_emp VALUES
    (1, 'Alice', 1, 120000.00, 5000.5, '2015-03-01', true, NULL),
    (2, 'Bob', 1, 95000.00, NULL, '2018-07-15', true, 1),
    (3, 'Carol', 2, 70000.00, 1200.0, '2019-01-10', false, 1),
    (4, 'Dave', 2, 70000.00, 1200.0, '2020-02-29', true, 3),
    (5, 'Eve', 3, 65000.50, 0.0, '2021-12-31', NULL, 1),
    (6, 'Frank', NULL, 50000.00, -250.75, '2022-06-01', true, 2),
    (7, 'Grace', 1, NULL, 3000.25, '2017-11-11', false, 1),
    (8, 'Heidi', 9, 82000.00, NULL, NULL, true, 2),
    (9, 'Alice', 3, 65000.50, 800.0, '2023-01-01', true, 5),
    (10, NULL, 2, 45000.00, 100.0, '2016-05-05', false, 3),
    (11, 'Ivan', 4, 99999.99, 7500.0, '2014-08-20', true, NULL),
    (12, 'Judy', 1, 120000.00, 5000.5, '2015-03-01', true, 1);

CREATE TABLE d_proj (
    id int4 PRIMARY KEY,
    emp_id int4,
    name text,
    hours int4
);
INSERT INTO d_proj VALUES
    (1, 1, 'apollo', 120),
    (2, 1, 'gemini', 40),
    (3, 2, 'apollo', 80),
    (4, 3, 'mercury', NULL),
    (5, 4, 'apollo', 10),
    (6, 4, 'gemini', 0),
    (7, 6, 'vostok', 25),
    (8, 99, 'orphan', 5),
    (9, NULL, 'unassigned', 15),
    (10, 9, 'apollo', 60),
    (11, 11, 'mercury', 200),
    (12, 12, 'gemini', 40);

CREATE TABLE d_nums (
    id int4 PRIMARY KEY,
    i2 int2,
    i4 int4,
    i8 int8,
    n numeric(20,6),
    nn numeric,
    f4 float4,
    f8 float8
);
INSERT INTO d_nums VALUES
    (1, 0, 0, 0, 0, 0, 0, 0),
    (2, 1, 1, 1, 1.5, 1.5, 1.5, 1.5),
    (3, -1, -1, -1, -1.5, -1.5, -1.5, -1.5),
    (4, 32767, 2147483647, 9223372036854775807, 99999999999999.999999, 12345678901234567890.123456789, 3.4e38, 1.7976931348623157e308),
    (5, -32768, -2147483648, -9223372036854775808, -99999999999999.999999, -0.000000001, -3.4e38, -1.7976931348623157e308),
    (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (7, 7, 7, 7, 2.5, 2.5, 2.5, 2.5),
    (8, 7, 7, 7, 3.5, 3.5, 0.1, 0.1),
    (9, 100, 1000, 1000000, 0.333333, 0.333333333333333333333, 1e-30, 1e-300),
    (10, -100, -1000, -1000000, -123.456, -123.456, -123.456, -123.456),
    (11, 2, 3, 5, 10, 10, 'NaN', 'NaN'),
    (12, 3, 4, 6, 11, 11, 'Infinity', '-Infinity');

CREATE TABLE d_strs (
    id int4 PRIMARY KEY,
    t text,
    v varchar(20),
    c char(5),
    b bytea
);
INSERT INTO d_strs VALUES
    (1, 'hello', 'hello', 'hello', '\x68656c6c6f'),
    (2, 'Hello', 'Hello', 'Hi', '\x00ff'),
    (3, '', '', '', '\x'),
    (4, NULL, NULL, NULL, NULL),
    (5, ' padded  ', ' padded  ', 'ab  ', '\x20'),
    (6, 'ñandú', 'ñandú', 'ñ', '\xc3b1'),
    (7, '日本語テキスト', '日本語', '日本', '\xe697a5'),
    (8, 'emoji 😀 ok', 'emoji 😀', '😀', '\xf09f9880'),
    (9, '100%_sure', '100%_sure', '%_', '\x25'),
    (10, 'back\slash', 'back\slash', '\', '\x5c'),
    (11, 'it''s', 'it''s', '''', '\x27'),
    (12, 'hello', 'HELLO', 'HELLO', '\x68656c6c6f'),
    (13, 'a,b,,c', 'a,b,,c', 'a,b', '\x2c'),
    (14, 'The Quick Brown Fox', 'quick fox', 'fox', '\xdeadbeef'),
    (15, '12345', '0042', '7', '\x3132');

CREATE TABLE d_times (
    id int4 PRIMARY KEY,
    d date,
    t time,
    ts timestamp,
    tz timestamptz,
    iv interval
);
INSERT INTO d_times VALUES
    (1, '2024-01-15', '08:30:00', '2024-01-15 08:30:00', '2024-01-15 08:30:00+00', '1 day'),
    (2, '2024-02-29', '23:59:59.999999', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.5+02', '1 mon 2 days 03:04:05'),
    (3, '2000-01-01', '00:00:00', '2000-01-01 00:00:00', '2000-01-01 00:00:00-05', '-1 day'),
    (4, '1999-12-31', '12:00:00', '1999-12-31 12:00:00', '1999-12-31 12:00:00+05:30', '1 year 6 mons'),
    (5, NULL, NULL, NULL, NULL, NULL),
    (6, '1970-01-01', '00:00:01', '1970-01-01 00:00:01', '1970-01-01 00:00:01+00', '00:00:01'),
    (7, '2024-12-31', '15:45:30.123', '2024-12-31 15:45:30.123', '2024-12-31 15:45:30.123+00', '36:00:00'),
    (8, '2023-03-26', '02:30:00', '2023-03-26 02:30:00', '2023-03-26 02:30:00+01', '-02:30:00'),
    (9, '0001-01-01', '01:02:03', '0001-01-01 00:00:00', '2100-06-15 12:00:00+00', '100 years'),
    (10, '2024-01-15', '08:30:00', '2024-01-15 08:30:00', '2024-01-15 08:30:00+00', '1 day');

CREATE TABLE d_misc (
    id int4 PRIMARY KEY,
    u uuid,
    j json,
    jb jsonb,
    ia int4[],
    ta text[],
    flag bool
);
INSERT INTO d_misc VALUES
    (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1, "b": [1, 2, 3]}', '{"a": 1, "b": [1, 2, 3]}', '{1,2,3}', '{x,y,z}', true),
    (2, '00000000-0000-0000-0000-000000000000', '{"a": null, "c": "text"}', '{"a": null, "c": "text"}', '{}', '{}', false),
    (3, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '[1, "two", {"three": 3}]', '[1, "two", {"three": 3}]', '{3,NULL,1}', '{"with space",NULL,""}', true),
    (5, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '{"nested": {"k": {"deep": true}}}', '{"nested": {"k": {"deep": true}}}', '{-5,0,5,5}', '{b,a,b}', false),
    (6, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', '"just a string"', '"just a string"', '{42}', '{ünï}', NULL),
    (7, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a14', '{"b": 2, "a": 1}', '{"b": 2, "a": 1}', '{1,2}', '{x}', true);

CREATE TABLE d_tree (
    id int4 PRIMARY KEY,
    parent_id int4,
    label text
);
INSERT INTO d_tree VALUES
    (1, NULL, 'root'),
    (2, 1, 'a'),
    (3, 1, 'b'),
    (4, 2, 'a1'),
    (5, 2, 'a2'),
    (6, 4, 'a1x'),
    (7, 3, 'b1'),
    (8, NULL, 'other-root'),
    (9, 8, 'c');

CREATE TABLE d_empty (
    id int4 PRIMARY KEY,
    v text,
    n int4
);
