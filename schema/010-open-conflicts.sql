-- c2c schema, version 10: records that hold an open conflict (or a deletion they
-- outlived), found without reading every row: the web interface's home and
-- conflicts pages, and status, cost what the conflicts cost, not the node's size.
-- A partial index: a query uses it when its WHERE holds this same term.
CREATE INDEX cities_open ON cities(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX nodes_open ON nodes(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX themes_open ON themes(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX sdgs_open ON sdgs(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX events_open ON events(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX profile_sections_open ON profile_sections(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX migration_stats_open ON migration_stats(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX stakeholders_open ON stakeholders(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX practices_open ON practices(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX priorities_open ON priorities(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX actions_open ON actions(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
CREATE INDEX event_participation_open ON event_participation(id) WHERE instr(_c2c, '"conflicts"') OR instr(_c2c, '"deleted"');
