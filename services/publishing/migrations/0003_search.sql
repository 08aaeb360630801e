-- Full-text search over content items (docs/publishing.md, "Search").
-- Each item is indexed in its community's first language (the kernel read model's settings):
-- title weighted A, body (Markdown source) weighted B. A trigger keeps both columns up to date.

ALTER TABLE contents ADD COLUMN search_config regconfig NOT NULL DEFAULT 'simple';
ALTER TABLE contents ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;

-- the text search configuration of a community: its first language, 'simple' when unknown
CREATE FUNCTION content_search_config(community uuid) RETURNS regconfig
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT CASE (SELECT settings -> 'languages' ->> 0 FROM access_communities WHERE community_id = community)
        WHEN 'fr' THEN 'french'::regconfig
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'it' THEN 'italian'::regconfig
        WHEN 'de' THEN 'german'::regconfig
        WHEN 'es' THEN 'spanish'::regconfig
        ELSE 'simple'::regconfig
    END
$$;

CREATE FUNCTION contents_search_refresh() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.search_config := content_search_config(NEW.community_id);
    NEW.search := setweight(to_tsvector(NEW.search_config, coalesce(NEW.title, '')), 'A')
               || setweight(to_tsvector(NEW.search_config, NEW.body), 'B');
    RETURN NEW;
END
$$;

CREATE TRIGGER contents_search BEFORE INSERT OR UPDATE OF title, body, community_id ON contents
    FOR EACH ROW EXECUTE FUNCTION contents_search_refresh();

-- existing rows: the trigger fires on an update of title
UPDATE contents SET title = title;

-- search reads published, visible items only (services/publishing/search.py)
CREATE INDEX contents_search ON contents USING gin (search) WHERE state = 'published' AND NOT hidden;
