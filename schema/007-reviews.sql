-- c2c schema, version 7: the coordination office's reviews of a city's
-- records. A review is a network record (the office writes network/**), so
-- the office judges a city's work without writing into the city's
-- namespace. Its id is the reviewed record's table and id
-- ("profile_sections.tunis.overview.ar"): one review per record, which a new
-- review replaces (history keeps the earlier ones), and two office nodes
-- reviewing the same record at once make one record that merges.
-- record_version is the git blob id of the record file the office judged:
-- a later edit by the city changes the file, and the review is out of date.
CREATE TABLE reviews (
  id TEXT PRIMARY KEY, record_table TEXT, record_id TEXT, city TEXT, status TEXT, comment TEXT,
  record_version TEXT, reviewer TEXT, reviewed_at TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE INDEX reviews_city ON reviews(city, status);

INSERT INTO c2c_tables (name, pos, scope, natural_key, summary) VALUES
 ('reviews', 13, 'network', 'record_table,record_id', 'the office''s reviews of a city''s records');

INSERT INTO c2c_fields (tbl, name, pos, type, elem, required, immutable, min, allowed, ref, summary) VALUES
 ('reviews', 'record_table',   1, 'enum', NULL, 1, 1, NULL,
   'profile_sections,migration_stats,stakeholders,practices,priorities,actions,event_participation',
   NULL, 'table of the reviewed record'),
 ('reviews', 'record_id',      2, 'text', NULL, 1, 1, NULL, NULL, NULL, 'id of the reviewed record'),
 ('reviews', 'city',           3, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city of the reviewed record'),
 ('reviews', 'status',         4, 'enum', NULL, 1, 0, NULL, 'validated,changes_requested', NULL, 'the office''s judgement'),
 ('reviews', 'comment',        5, 'text', NULL, 0, 0, NULL, NULL, NULL, 'what to change, or a note'),
 ('reviews', 'record_version', 6, 'text', NULL, 1, 0, NULL, NULL, NULL, 'git blob id of the record file judged'),
 ('reviews', 'reviewer',       7, 'text', NULL, 0, 0, NULL, NULL, NULL, 'who reviewed'),
 ('reviews', 'reviewed_at',    8, 'text', NULL, 0, 0, NULL, NULL, NULL, 'when (UTC, YYYY-MM-DDTHH:MM:SSZ)');

-- A node of an older c2c kept the office's reviews in its history without
-- rows: node_open makes them from the head, once (node.c, backfill).
INSERT OR REPLACE INTO c2c_state (key, value) VALUES ('backfill', 'reviews');
