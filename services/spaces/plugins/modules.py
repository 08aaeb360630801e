"""The content modules ("bricks") shipped with the platform; ``pyproject.toml`` declares each as an
``ecommunity.modules`` entry point, so another package can add its own the same way."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    """A content module a community (or one of its spaces) enables; ``content_types`` are the kinds
    of items it lets members publish (what a charter's ``content_types`` name)."""

    name: str
    title: str
    description: str
    content_types: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "content_types": list(self.content_types),
        }


NEWS = Module("news", "News", "Announcements and news items spread to the community.", ("news",))
FORUM = Module("forum", "Forum", "Discussion topics and their replies.", ("topic",))
DOCUMENTS = Module("documents", "Documents", "Documents the members write and edit together.", ("document",))
QA = Module("qa", "Questions and answers", "Questions, answers and the accepted answer.", ("question", "answer"))
PRESS_REVIEW = Module("press_review", "Press review", "Curated press articles with comments.", ("press_review",))
COURSES = Module("courses", "Courses and offers", "Courses, trainings and offers to enrol in.", ("course", "offer"))
MEETINGS = Module("meetings", "Meetings", "Meetings and events with their agenda and minutes.", ("meeting",))
