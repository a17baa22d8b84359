-- c2c schema, version 13: the figures of the office's report and dashboard
-- (office.c) read from an index rather than from the rows: every column the
-- actions' figures need (counts, budgets and people reached by status, SDG
-- targets, objectives), so that the report reads a few bytes per action,
-- not the whole record with its bookkeeping. IF NOT EXISTS: a database
-- taken back to an older schema by hand may still hold it.
CREATE INDEX IF NOT EXISTS actions_figures ON actions(city, status, budget_eur, cofunding_eur,
  people_reached_female, people_reached_male, sdg_targets, objectives);
