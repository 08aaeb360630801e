-- A space's own validation policy (docs/spaces.md, "Validation per space and content type"):
-- {mode?, steps?, types: {content type: {mode, steps}}}; null: the space follows its parent's (at the
-- root: the community charter's).

ALTER TABLE spaces ADD COLUMN validation jsonb;
