-- c2c schema, version 9: the key that finds a record on import when a row
-- has no id (SPEC 10), so that importing the same file twice changes nothing.
-- natural_key makes the id itself; match_key only finds an existing record
-- and never changes an id. Tables with a natural key match on it; the
-- network's reference tables are matched by id alone.
ALTER TABLE c2c_tables ADD COLUMN match_key TEXT; -- comma-separated fields, or NULL
-- 1: this node refuses a write that gives two live records the same
-- match_key (a priority's rank is used once in a city).
ALTER TABLE c2c_tables ADD COLUMN key_unique INTEGER NOT NULL DEFAULT 0;

UPDATE c2c_tables SET match_key = natural_key WHERE natural_key IS NOT NULL;
UPDATE c2c_tables SET match_key = 'number' WHERE name = 'events';
UPDATE c2c_tables SET match_key = 'city,indicator,year,sex,origin' WHERE name = 'migration_stats';
UPDATE c2c_tables SET match_key = 'city,name' WHERE name = 'stakeholders';
UPDATE c2c_tables SET match_key = 'city,title' WHERE name = 'practices';
UPDATE c2c_tables SET match_key = 'city,rank', key_unique = 1 WHERE name = 'priorities';
UPDATE c2c_tables SET match_key = 'city,title' WHERE name = 'actions';

CREATE INDEX events_key ON events(number);
CREATE INDEX migration_stats_key ON migration_stats(city, indicator, year);
CREATE INDEX stakeholders_key ON stakeholders(city, name);
CREATE INDEX practices_key ON practices(city, title);
CREATE INDEX priorities_key ON priorities(city, rank);
CREATE INDEX actions_key ON actions(city, title);
