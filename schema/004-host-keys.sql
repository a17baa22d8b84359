-- c2c schema, version 4: the host key each ssh:// remote is trusted with.
ALTER TABLE c2c_remotes ADD COLUMN host_key TEXT; -- "SHA256:<base64>", as ssh-keygen -l prints it
