-- c2c schema, version 2: target groups of an action (a set, merged as a set).
ALTER TABLE actions ADD COLUMN target_groups TEXT;

INSERT INTO c2c_fields (tbl, name, pos, type, elem, required, immutable, min, allowed, ref, summary) VALUES
 ('actions', 'target_groups', 17, 'set', 'enum', 0, 0, NULL,
  'women,youth,children,refugees,asylum_seekers,victims_of_trafficking,migrants,returnees,internally_displaced,host_community',
  NULL, 'groups the action is for');
