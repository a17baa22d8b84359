-- c2c schema, version 6: how syncing stands with each remote, for autosync
-- and status.
ALTER TABLE c2c_remotes ADD COLUMN failures INTEGER NOT NULL DEFAULT 0; -- failed syncs in a row
ALTER TABLE c2c_remotes ADD COLUMN next_try INTEGER;                    -- unix time of autosync's next sync; NULL when it is not running
