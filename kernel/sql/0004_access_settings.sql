-- What other services apply to a community's content: its charter's settings (languages, enabled
-- modules and content types, validation policy, default knowledge level, organizations), and the
-- modules a space enables on its own (null: the community's).

ALTER TABLE access_communities ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE access_spaces ADD COLUMN modules text[];
