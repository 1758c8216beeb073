"""Which tool a request is about, to show that tool's notes from practice and no other's.

Two ways to choose it: `routed`, the tool the request's text is most similar to (below),
and `chosen`, the tool the model itself called without notes (`ste.eval.runner`: the call
is then asked again with that tool's notes beside the request).

Notes in every tool's description are read by a small model as rules for all of them: on
the dev bench a holiday tool's note ("country must be an ISO 3166-1 alpha-2 code (e.g.
'DE')") turned country_info's alpha-3 calls into alpha-2 ones (7 -> 3 correct of 10).
Routed, a request gets the notes of the one tool its text is most similar to: its name and
description, embedded (all-MiniLM-L6-v2) where the embedding model is installed, else
compared word by word. The notes go beside the request, after any demonstrations, and the
tool list stays as it is: the system prompt is the same for every request, so a local
model's cache keeps it (notes in a description made each request's prompt new: 41 s per dev
item against 23 s).

Demonstrations are routed the same way (`DemoBank.retrieve(prefer=...)`): the routed
tool's examples come first, the most similar of the others fill the rest. By query
similarity alone, 53 of the dev bench's 120 requests were shown no example of their tool,
33 of them although the bank held some (all 10 recipe requests were shown nutrition
examples).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from ste import embeddings
from ste.distill.dedup import lexical_similarity
from ste.prompts import render
from ste.tools.tool import Tool

__all__ = ["DEMOS_FOR", "NOTES_FOR", "NOTES_PLACES", "RoutedNotes", "ToolRouter", "tool_text"]

# whose notes a request reads: every tool's (in the descriptions), the routed tool's, or
# the chosen tool's (both beside the request), or the chosen tool's after its call, which
# is checked against them
NOTES_FOR = ("all", "routed", "chosen", "checked")
# which examples a request is shown: the routed tool's first, or the most similar of any tool
DEMOS_FOR = ("routed", "similar")
NOTES_PLACES = {  # how a results table names each
    "all": "every tool's, in the descriptions",
    "routed": "the request's tool's, beside it",
    "chosen": "the called tool's, the call asked again",
    "checked": "the called tool's, the call checked against them",
}


def tool_text(name: str, description: str) -> str:
    """What a request about the tool resembles: its name in words and its description."""
    return f"{name.replace('_', ' ')}: {description}"


class ToolRouter:
    """Which offered tool a request is most about, by its text."""

    def __init__(self, tools: Sequence[Tool] | Sequence[tuple[str, str]]) -> None:
        """`tools`: the tools, or (name, description) pairs (a chat request's tool specs)."""
        described = [(t.name, t.description) if isinstance(t, Tool) else t for t in tools]
        self.names = [name for name, _ in described]
        self.texts = [tool_text(name, description) for name, description in described]

    @cached_property
    def _vectors(self):  # type: ignore[no-untyped-def]
        return embeddings.embed(self.texts)

    def route(self, query: str, offered: Sequence[str]) -> str | None:
        """The name of the offered tool most similar to `query` (None: none offered)."""
        candidates = [i for i, name in enumerate(self.names) if name in offered]
        if not candidates:
            return None
        if embeddings.available():
            scores = [float(s) for s in self._vectors @ embeddings.embed([query])[0]]
        else:
            scores = lexical_similarity([query, *self.texts])[0][1:]
        return self.names[max(candidates, key=scores.__getitem__)]


class RoutedNotes:
    """Each request gets the notes of the offered tool it is most about."""

    def __init__(
        self,
        notes: dict[str, list[str]],
        tools: Sequence[Tool] | Sequence[tuple[str, str]] | ToolRouter,
    ) -> None:
        """`tools`: the tools, (name, description) pairs, or a router to share."""
        self.notes = notes
        self.router = tools if isinstance(tools, ToolRouter) else ToolRouter(tools)

    def route(self, query: str, offered: Sequence[str]) -> str | None:
        return self.router.route(query, offered)

    def notes_for(self, query: str, offered: Sequence[str]) -> tuple[str, str | None]:
        """The routed tool's notes as text to put beside the request ("" when it has none),
        and the tool's name."""
        routed = self.route(query, offered)
        return self.text_of(routed), routed

    def text_of(self, name: str | None) -> str:
        """A tool's notes as text to put beside a request ("" when it has none)."""
        notes = self.notes.get(name or "", [])
        if not notes:
            return ""
        rules = "\n".join(f"- {note}" for note in notes)
        return render("icl_notes", tool=str(name), notes=rules)
