-- The validation policy a space sets for its content (null: its parent's, at the root the community's
-- charter's ``validation`` in access_communities.settings).

ALTER TABLE access_spaces ADD COLUMN validation jsonb;
