"""Event types used only by the kernel's tests (two probe services talk through them)."""

from marshmallow import Schema, fields

from kernel.events import catalog


class NoteWrittenSchema(Schema):
    note_id = fields.String(required=True)
    text = fields.String(required=True)


NOTE_WRITTEN = catalog.define(
    "ecommunity.probe_producer.note.written.v1", NoteWrittenSchema, "A probe note was written (tests only)."
).name
