-- c2c schema, version 1: the record types of a city node and of the network.
--
-- Every record table has the record's id, one column per field, and two
-- bookkeeping columns: _c2c (the record's clocks, as canonical JSON) and
-- _extra (fields this node does not know, written by newer nodes, kept as
-- a canonical JSON object so that they are written back unchanged).
-- Sets are canonical JSON arrays of strings, sorted by their bytes.
--
-- Allowed values are not CHECK constraints: a record from a newer node may
-- carry a value outside this node's set, and it must be kept (SPEC 7).
-- Local input is checked against c2c_fields by the program.

CREATE TABLE c2c_state (
  key   TEXT PRIMARY KEY,
  value TEXT
) STRICT;

-- Record types, and their fields with type and allowed values.
CREATE TABLE c2c_tables (
  name        TEXT PRIMARY KEY,
  pos         INTEGER NOT NULL,
  scope       TEXT NOT NULL CHECK (scope IN ('network', 'city')),
  natural_key TEXT,            -- comma-separated fields that make the id, or NULL
  summary     TEXT NOT NULL
) STRICT;

CREATE TABLE c2c_fields (
  tbl       TEXT NOT NULL REFERENCES c2c_tables(name),
  name      TEXT NOT NULL,
  pos       INTEGER NOT NULL,
  type      TEXT NOT NULL CHECK (type IN ('text', 'int', 'enum', 'date', 'month', 'ref', 'set')),
  elem      TEXT CHECK (elem IN ('text', 'enum', 'ref', 'sdg_target')), -- element type of a set
  required  INTEGER NOT NULL DEFAULT 0,
  immutable INTEGER NOT NULL DEFAULT 0, -- part of the record's identity or path
  min       INTEGER,                    -- least allowed integer
  allowed   TEXT,                       -- comma-separated allowed values of an enum
  ref       TEXT,                       -- table a ref points into
  summary   TEXT NOT NULL,
  PRIMARY KEY (tbl, name)
) STRICT;

-- Deleted records: the whole last record file (with its tombstone).
CREATE TABLE c2c_tombstones (
  tbl    TEXT NOT NULL,
  id     TEXT NOT NULL,
  path   TEXT NOT NULL,
  record TEXT NOT NULL,
  PRIMARY KEY (tbl, id)
) STRICT;

------------------------------------------------------------------ network
CREATE TABLE cities (
  id TEXT PRIMARY KEY, name TEXT, country TEXT, region TEXT, phase INTEGER,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE nodes (
  id TEXT PRIMARY KEY, city TEXT, role TEXT, pubkey TEXT, name TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE themes (
  id TEXT PRIMARY KEY, name TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE sdgs (
  id TEXT PRIMARY KEY, number INTEGER, name TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE events (
  id TEXT PRIMARY KEY, number INTEGER, host TEXT, month TEXT, theme TEXT, format TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;

------------------------------------------------------------------ per city
CREATE TABLE profile_sections (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, section TEXT, lang TEXT, body TEXT, status TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE migration_stats (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, indicator TEXT, year INTEGER, value INTEGER,
  sex TEXT, origin TEXT, source TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE stakeholders (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT, kind TEXT, role TEXT, contact TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE practices (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, title TEXT, description TEXT, themes TEXT, year INTEGER,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE priorities (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, rank INTEGER, theme TEXT, challenge TEXT,
  proposed_action TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE actions (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, title TEXT, call TEXT, status TEXT,
  budget_eur INTEGER, cofunding_eur INTEGER, partners TEXT, start_date TEXT, end_date TEXT,
  sdg_targets TEXT, objectives TEXT, themes TEXT, outcomes TEXT,
  people_reached_female INTEGER, people_reached_male INTEGER, priority TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;
CREATE TABLE event_participation (
  id TEXT PRIMARY KEY, city TEXT NOT NULL, event TEXT, role TEXT, participants INTEGER, notes TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;

CREATE INDEX profile_sections_city ON profile_sections(city);
CREATE INDEX migration_stats_city ON migration_stats(city);
CREATE INDEX stakeholders_city ON stakeholders(city);
CREATE INDEX practices_city ON practices(city);
CREATE INDEX priorities_city ON priorities(city);
CREATE INDEX actions_city ON actions(city, status);
CREATE INDEX event_participation_city ON event_participation(city);

------------------------------------------------------------------ metadata
INSERT INTO c2c_tables VALUES
 ('cities',              1, 'network', NULL, 'cities of the network, with country and region'),
 ('nodes',               2, 'network', NULL, 'registered nodes and their public keys'),
 ('themes',              3, 'network', NULL, 'themes named by the project'),
 ('sdgs',                4, 'network', NULL, 'the seventeen Sustainable Development Goals'),
 ('events',              5, 'network', NULL, 'peer-learning events'),
 ('profile_sections',    6, 'city', 'city,section,lang', 'City Migration Profile, one section in one language'),
 ('migration_stats',     7, 'city', NULL, 'migration figures of a city'),
 ('stakeholders',        8, 'city', NULL, 'stakeholders of a city'),
 ('practices',           9, 'city', NULL, 'interventions and practices'),
 ('priorities',         10, 'city', NULL, 'Priority Paper: ranked priorities'),
 ('actions',            11, 'city', NULL, 'Targeted City Actions (pilot projects)'),
 ('event_participation',12, 'city', 'city,event', 'a city''s part in a peer-learning event');

INSERT INTO c2c_fields (tbl, name, pos, type, elem, required, immutable, min, allowed, ref, summary) VALUES
 ('cities', 'name',    1, 'text', NULL, 1, 0, NULL, NULL, NULL, 'name of the city'),
 ('cities', 'country', 2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'ISO 3166-1 alpha-2 code'),
 ('cities', 'region',  3, 'enum', NULL, 0, 0, NULL, 'europe,southern_mediterranean', NULL, 'region'),
 ('cities', 'phase',   4, 'int',  NULL, 0, 0, 1, NULL, NULL, 'project phase the city joined in'),

 ('nodes', 'city',   1, 'ref',  NULL, 0, 1, NULL, NULL, 'cities', 'city of the node (none for the office)'),
 ('nodes', 'role',   2, 'enum', NULL, 1, 0, NULL, 'city,office,hub', NULL, 'what the node is'),
 ('nodes', 'pubkey', 3, 'text', NULL, 0, 0, NULL, NULL, NULL, 'ssh-ed25519 public key'),
 ('nodes', 'name',   4, 'text', NULL, 0, 0, NULL, NULL, NULL, 'who runs the node'),

 ('themes', 'name', 1, 'text', NULL, 1, 0, NULL, NULL, NULL, 'name of the theme'),

 ('sdgs', 'number', 1, 'int',  NULL, 1, 0, 1, NULL, NULL, 'goal number, 1 to 17'),
 ('sdgs', 'name',   2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'name of the goal'),

 ('events', 'number', 1, 'int',   NULL, 1, 0, 1, NULL, NULL, 'event number'),
 ('events', 'host',   2, 'ref',   NULL, 1, 0, NULL, NULL, 'cities', 'host city'),
 ('events', 'month',  3, 'month', NULL, 0, 0, NULL, NULL, NULL, 'YYYY-MM'),
 ('events', 'theme',  4, 'text',  NULL, 1, 0, NULL, NULL, NULL, 'theme of the event'),
 ('events', 'format', 5, 'enum',  NULL, 0, 0, NULL, 'in_person,online', NULL, 'in person or online'),

 ('profile_sections', 'city',    1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('profile_sections', 'section', 2, 'enum', NULL, 1, 1, NULL,
   'overview,migration_data,governance,policy,stakeholders,practices,services,inclusion,perceptions,challenges,priorities',
   NULL, 'part of the City Migration Profile'),
 ('profile_sections', 'lang',    3, 'enum', NULL, 1, 1, NULL, 'ar,en,es,fr', NULL, 'language'),
 ('profile_sections', 'body',    4, 'text', NULL, 0, 0, NULL, NULL, NULL, 'text of the section'),
 ('profile_sections', 'status',  5, 'enum', NULL, 0, 0, NULL, 'draft,submitted,validated', NULL, 'review status'),

 ('migration_stats', 'city',      1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('migration_stats', 'indicator', 2, 'enum', NULL, 1, 0, NULL,
   'population,migrant_population,asylum_seekers,refugees,internal_migrants,new_arrivals,naturalisations',
   NULL, 'what is counted'),
 ('migration_stats', 'year',      3, 'int',  NULL, 1, 0, 1900, NULL, NULL, 'reference year'),
 ('migration_stats', 'value',     4, 'int',  NULL, 1, 0, 0, NULL, NULL, 'number of people'),
 ('migration_stats', 'sex',       5, 'enum', NULL, 0, 0, NULL, 'female,male,total', NULL, 'sex'),
 ('migration_stats', 'origin',    6, 'text', NULL, 0, 0, NULL, NULL, NULL, 'country or region of origin'),
 ('migration_stats', 'source',    7, 'text', NULL, 0, 0, NULL, NULL, NULL, 'where the figure comes from'),

 ('stakeholders', 'city',    1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('stakeholders', 'name',    2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'name of the organisation'),
 ('stakeholders', 'kind',    3, 'enum', NULL, 0, 0, NULL,
   'municipal,national,civil_society,migrant_organisation,international,private,academic', NULL, 'kind of stakeholder'),
 ('stakeholders', 'role',    4, 'text', NULL, 0, 0, NULL, NULL, NULL, 'role in migration governance'),
 ('stakeholders', 'contact', 5, 'text', NULL, 0, 0, NULL, NULL, NULL, 'contact'),

 ('practices', 'city',        1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('practices', 'title',       2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'title'),
 ('practices', 'description', 3, 'text', NULL, 0, 0, NULL, NULL, NULL, 'description'),
 ('practices', 'themes',      4, 'set',  'ref', 0, 0, NULL, NULL, 'themes', 'themes (slugs)'),
 ('practices', 'year',        5, 'int',  NULL, 0, 0, 1900, NULL, NULL, 'year'),

 ('priorities', 'city',            1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('priorities', 'rank',            2, 'int',  NULL, 1, 0, 1, NULL, NULL, 'rank, 1 first'),
 ('priorities', 'theme',           3, 'ref',  NULL, 0, 0, NULL, NULL, 'themes', 'theme (slug)'),
 ('priorities', 'challenge',       4, 'text', NULL, 1, 0, NULL, NULL, NULL, 'the challenge'),
 ('priorities', 'proposed_action', 5, 'text', NULL, 0, 0, NULL, NULL, NULL, 'proposed pilot action'),

 ('actions', 'city',                  1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('actions', 'title',                 2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'title'),
 ('actions', 'call',                  3, 'enum', NULL, 0, 0, NULL, 'first,second', NULL, 'call for proposals'),
 ('actions', 'status',                4, 'enum', NULL, 0, 0, NULL, 'proposed,approved,ongoing,completed,cancelled', NULL, 'status'),
 ('actions', 'budget_eur',            5, 'int',  NULL, 0, 0, 0, NULL, NULL, 'budget in EUR'),
 ('actions', 'cofunding_eur',         6, 'int',  NULL, 0, 0, 0, NULL, NULL, 'co-funding in EUR'),
 ('actions', 'partners',              7, 'set',  'text', 0, 0, NULL, NULL, NULL, 'partner organisations'),
 ('actions', 'start_date',            8, 'date', NULL, 0, 0, NULL, NULL, NULL, 'YYYY-MM-DD'),
 ('actions', 'end_date',              9, 'date', NULL, 0, 0, NULL, NULL, NULL, 'YYYY-MM-DD'),
 ('actions', 'sdg_targets',          10, 'set',  'sdg_target', 0, 0, NULL, NULL, NULL, 'SDG target codes (10.7)'),
 ('actions', 'objectives',           11, 'set',  'enum', 0, 0, NULL, 'A,B,C,D', NULL, 'call objectives A-D'),
 ('actions', 'themes',               12, 'set',  'ref', 0, 0, NULL, NULL, 'themes', 'themes (slugs)'),
 ('actions', 'outcomes',             13, 'text', NULL, 0, 0, NULL, NULL, NULL, 'outcomes'),
 ('actions', 'people_reached_female',14, 'int',  NULL, 0, 0, 0, NULL, NULL, 'women and girls reached'),
 ('actions', 'people_reached_male',  15, 'int',  NULL, 0, 0, 0, NULL, NULL, 'men and boys reached'),
 ('actions', 'priority',             16, 'ref',  NULL, 0, 0, NULL, NULL, 'priorities', 'linked priority (id)'),

 ('event_participation', 'city',         1, 'ref',  NULL, 1, 1, NULL, NULL, 'cities', 'city'),
 ('event_participation', 'event',        2, 'ref',  NULL, 1, 1, NULL, NULL, 'events', 'event (id)'),
 ('event_participation', 'role',         3, 'enum', NULL, 0, 0, NULL, 'host,participant,speaker', NULL, 'part the city took'),
 ('event_participation', 'participants', 4, 'int',  NULL, 0, 0, 0, NULL, NULL, 'people the city sent'),
 ('event_participation', 'notes',        5, 'text', NULL, 0, 0, NULL, NULL, NULL, 'notes');
