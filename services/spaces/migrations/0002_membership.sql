-- Members listed by role (list_members with a role filter) page on (joined_at, user_id) within the
-- role, as the unfiltered list does on members_listing: a page costs the same wherever it is and
-- however rare the role, never a scan of the community's other members.
CREATE INDEX members_role_listing ON members (community_id, role, joined_at, user_id);
