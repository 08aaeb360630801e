-- The version of the access read model: it moves (once per transaction, at commit) whenever a row of
-- access_communities, access_spaces, access_members or access_space_members changes. A process that
-- keeps what it derived from the model (publishing's readers, services/publishing/visibility.py)
-- knows that it still holds while the version it read beside a statement's rows has not moved.
-- Deferred to commit, the one row is locked only while a transaction commits: writers never wait on
-- it in the middle of their work, and cannot deadlock on it.

CREATE TABLE access_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint  NOT NULL DEFAULT 0,
    moved_by xid8                       -- the transaction that moved it last
);
INSERT INTO access_version DEFAULT VALUES;

CREATE FUNCTION access_version_move() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE access_version SET version = version + 1, moved_by = pg_current_xact_id()
     WHERE moved_by IS DISTINCT FROM pg_current_xact_id();
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER access_communities_version AFTER INSERT OR UPDATE OR DELETE ON access_communities
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_version_move();
CREATE CONSTRAINT TRIGGER access_spaces_version AFTER INSERT OR UPDATE OR DELETE ON access_spaces
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_version_move();
CREATE CONSTRAINT TRIGGER access_members_version AFTER INSERT OR UPDATE OR DELETE ON access_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_version_move();
CREATE CONSTRAINT TRIGGER access_space_members_version AFTER INSERT OR UPDATE OR DELETE ON access_space_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION access_version_move();
