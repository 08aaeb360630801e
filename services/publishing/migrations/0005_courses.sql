-- Who registered to a course, and who completed it (docs/publishing.md): the source of
-- micro-credentials. A user's registrations are deleted when their account is erased.

CREATE TABLE course_registrations (
    course_id     uuid        NOT NULL REFERENCES contents (id),
    user_id       uuid        NOT NULL,
    registered_at timestamptz NOT NULL,
    completed_at  timestamptz,                  -- null until the author or a validator marks it
    completed_by  uuid,
    PRIMARY KEY (course_id, user_id)
);
-- the registrations of a course, oldest first (keyset on registered_at, user_id)
CREATE INDEX course_registrations_by_course ON course_registrations (course_id, registered_at, user_id);
CREATE INDEX course_registrations_by_user ON course_registrations (user_id);
