-- Schema objects that need DDL OmenDB may not have yet (enum types, views). PostgreSQL must load
-- all of it; on OmenDB a failing statement is tolerated and only the queries using the object
-- mismatch (corpus/optional_objects.sql), so a missing DDL feature shows up as query mismatches.

DROP VIEW IF EXISTS d_v_emp;
DROP TABLE IF EXISTS d_enum;
DROP TYPE IF EXISTS d_mood;

CREATE TYPE d_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE d_enum (
    id int4 PRIMARY KEY,
    mood d_mood,
    note text
);
INSERT INTO d_enum VALUES
    (1, 'happy', 'great'),
    (2, 'sad', NULL),
    (3, 'ok', 'fine'),
    (4, NULL, 'unknown'),
    (5, 'happy', 'again');

CREATE VIEW d_v_emp AS
    SELECT e.id, e.name, d.name AS dept, e.salary
    FROM d_emp e LEFT JOIN d_dept d ON d.id = e.dept_id
    WHERE e.active;
