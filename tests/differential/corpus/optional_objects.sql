-- Queries over schema_optional.sql: enum ordering/comparison/casts and a view.
SELECT * FROM d_enum;
SELECT id, mood FROM d_enum ORDER BY mood NULLS FIRST, id;
SELECT id FROM d_enum WHERE mood > 'sad';
SELECT id FROM d_enum WHERE mood = 'happy';
SELECT mood, count(*) FROM d_enum GROUP BY mood;
SELECT min(mood), max(mood) FROM d_enum;
SELECT mood::text, length(mood::text) FROM d_enum;
SELECT 'ok'::d_mood, 'ok'::d_mood < 'happy'::d_mood;
SELECT 'meh'::d_mood;
SELECT enum_range(NULL::d_mood), enum_first(NULL::d_mood), enum_last(NULL::d_mood);
SELECT id FROM d_enum WHERE mood IN ('ok', 'sad');
SELECT * FROM d_v_emp;
SELECT dept, count(*), sum(salary) FROM d_v_emp GROUP BY dept;
SELECT v.name, p.name FROM d_v_emp v JOIN d_proj p ON p.emp_id = v.id;
SELECT * FROM d_v_emp WHERE dept IS NULL;
SELECT id FROM d_v_emp ORDER BY salary DESC NULLS LAST, id LIMIT 3;
