-- c2c schema, version 3: remotes (peers and hubs) and how their last sync went.
CREATE TABLE c2c_remotes (
  name         TEXT PRIMARY KEY,
  url          TEXT NOT NULL,
  added        INTEGER NOT NULL,  -- unix time
  last_attempt INTEGER,           -- unix time of the last sync
  last_ok      INTEGER,           -- unix time of the last sync that succeeded
  last_result  TEXT               -- what it did, or the error
) STRICT;
