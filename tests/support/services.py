"""Two probe services built only on the kernel: a producer emits through its outbox, a consumer
applies through its inbox. Notes whose text starts with "poison" fail until a fix is recorded."""

from kernel.entrypoints import rpc
from kernel.events.consumer import on_event
from kernel.service import PlatformService
from tests.support.events import NOTE_WRITTEN


class ProducerService(PlatformService):
    name = "probe_producer"

    @rpc
    def write_note(self, note_id, text):
        self.db.execute("INSERT INTO notes (note_id, text) VALUES (%s, %s)", (note_id, text))
        self.db.emit(NOTE_WRITTEN, subject=f"note/{note_id}", data={"note_id": note_id, "text": text})
        return note_id

    @rpc
    def write_notes(self, prefix, count):
        for i in range(count):
            note_id = f"{prefix}-{i}"
            self.db.execute("INSERT INTO notes (note_id, text) VALUES (%s, %s)", (note_id, "bulk"))
            self.db.emit(NOTE_WRITTEN, subject=f"note/{note_id}", data={"note_id": note_id, "text": "bulk"})
        return count

    @rpc
    def write_invalid(self, note_id):
        """Writes a note, then emits an event whose data breaks its schema: nothing must remain."""
        self.db.execute("INSERT INTO notes (note_id, text) VALUES (%s, %s)", (note_id, "x"))
        self.db.emit(NOTE_WRITTEN, subject=f"note/{note_id}", data={"note_id": note_id})

    @rpc
    def write_unknown_type(self, note_id):
        self.db.execute("INSERT INTO notes (note_id, text) VALUES (%s, %s)", (note_id, "x"))
        self.db.emit("ecommunity.probe_producer.note.vanished.v1", subject=f"note/{note_id}", data={})


class ConsumerService(PlatformService):
    name = "probe_consumer"

    @on_event(NOTE_WRITTEN)
    def apply_note(self, event):
        note_id = event.data["note_id"]
        poison = event.data["text"].startswith("poison")
        if poison and not self.db.fetchone("SELECT 1 FROM fixes WHERE note_id = %s", (note_id,)):
            raise RuntimeError(f"cannot apply poison note {note_id}")
        self.db.execute(
            "INSERT INTO applied_notes (note_id, text, correlation_id) VALUES (%s, %s, %s)"
            " ON CONFLICT (note_id) DO UPDATE SET times_applied = applied_notes.times_applied + 1",
            (note_id, event.data["text"], event.correlation_id),
        )
