-- c2c schema, version 8: branches a sync holds back (SPEC 7, "No node can
-- stop another"): each remote's branches whose new commits failed a check,
-- or wait for a registration, as the last sync with that remote left them.
-- A sync replaces its remote's rows; `c2c status` lists them.
CREATE TABLE c2c_held (
  remote TEXT NOT NULL,   -- the remote's name (or the bundle's)
  branch TEXT NOT NULL,   -- e.g. nodes/sfax-1a2b3c4d, or main for a peer
  node   TEXT,            -- the node whose branch it is, if known
  city   TEXT,            -- its city in the registry, NULL if not registered
  tip    TEXT NOT NULL,   -- the branch's tip
  commit_id TEXT NOT NULL,-- the commit that was refused
  rule   TEXT NOT NULL,   -- the rule it broke, in words
  release TEXT NOT NULL,  -- what would release it
  since  INTEGER NOT NULL,-- unix time it was first held at this tip
  PRIMARY KEY (remote, branch)
) STRICT;
