"""What a rebuild changes: paragraphs added, changed, deleted and unchanged since the serving version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ingest import Paragraph


@dataclass(frozen=True)
class Changes:
    """Paragraph keys (``doc#n`` or ``doc#n.part``) by what happened to them.

    A paragraph is *changed* when its key stays but anything that is indexed differs
    (its text, its document title, its section or its page).
    """

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether anything was added, changed or deleted."""
        return bool(self.added or self.changed or self.deleted)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("added", "changed", "deleted", "unchanged")}

    def summary(self) -> str:
        """``added 3, changed 1, deleted 0, unchanged 60 paragraphs``."""
        return ", ".join(f"{name} {count}" for name, count in self.counts().items()) + " paragraphs"


def _indexed_content(paragraph: Paragraph) -> tuple:
    return paragraph.hash, paragraph.doc_title, paragraph.section, paragraph.kind, paragraph.page


def diff_paragraphs(old: Iterable[Paragraph], new: Iterable[Paragraph]) -> Changes:
    """Compare the paragraphs of the serving version with those of the corpus now, by key and content."""
    before = {p.key: _indexed_content(p) for p in old}
    changes = Changes()
    seen = set()
    for paragraph in new:
        seen.add(paragraph.key)
        if paragraph.key not in before:
            changes.added.append(paragraph.key)
        elif before[paragraph.key] != _indexed_content(paragraph):
            changes.changed.append(paragraph.key)
        else:
            changes.unchanged.append(paragraph.key)
    changes.deleted.extend(key for key in before if key not in seen)
    return changes
