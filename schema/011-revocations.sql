-- c2c schema, version 11: keys have a life (SPEC 7).
--
-- A revocation is a network record (the office writes network/**) whose id
-- is the revoked node's id. It names the key it revokes and the cut: the
-- last commit of that node the office accepts. Every node and hub refuses
-- any commit signed by that key outside the cut's history, judged against
-- the revocations of the history the receiver has accepted, never those of
-- the commit's own tree. A revocation is never changed nor deleted (the
-- incoming checks refuse a commit that would), so once seen it never goes
-- back.
CREATE TABLE revocations (
  id TEXT PRIMARY KEY, pubkey TEXT, keep_until TEXT, reason TEXT, revoked_at TEXT, revoked_by TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;

-- The root of trust handed over: one record per new root, whose id is the
-- new root's node id, signed by the root it replaces (previous).
CREATE TABLE roots (
  id TEXT PRIMARY KEY, pubkey TEXT, previous TEXT, handed_at TEXT,
  _c2c TEXT NOT NULL, _extra TEXT
) STRICT;

INSERT INTO c2c_tables (name, pos, scope, natural_key, summary) VALUES
 ('revocations', 14, 'network', NULL, 'revoked node keys, each with the last commit the office accepts'),
 ('roots',       15, 'network', NULL, 'hand-overs of the root key of trust');

INSERT INTO c2c_fields (tbl, name, pos, type, elem, required, immutable, min, allowed, ref, summary) VALUES
 ('revocations', 'pubkey',     1, 'text', NULL, 1, 0, NULL, NULL, NULL, 'the revoked ssh-ed25519 public key'),
 ('revocations', 'keep_until', 2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'the last commit of the node that stays valid'),
 ('revocations', 'reason',     3, 'text', NULL, 0, 0, NULL, NULL, NULL, 'why the key was revoked'),
 ('revocations', 'revoked_at', 4, 'text', NULL, 1, 0, NULL, NULL, NULL, 'when (UTC, YYYY-MM-DDTHH:MM:SSZ)'),
 ('revocations', 'revoked_by', 5, 'text', NULL, 0, 0, NULL, NULL, NULL, 'the office node that revoked it'),

 ('roots', 'pubkey',    1, 'text', NULL, 1, 0, NULL, NULL, NULL, 'the new root ssh-ed25519 public key'),
 ('roots', 'previous',  2, 'text', NULL, 1, 0, NULL, NULL, NULL, 'the root key it replaces, which signs the hand-over'),
 ('roots', 'handed_at', 3, 'text', NULL, 0, 0, NULL, NULL, NULL, 'when (UTC, YYYY-MM-DDTHH:MM:SSZ)');
