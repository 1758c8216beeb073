"""One chat interface for every backend.

Messages use the OpenAI chat layout (`role`, `content`, assistant `tool_calls`, `tool`
messages with `tool_call_id`), so the agent speaks one language and each backend adapts it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

Message = dict[str, Any]


@dataclass
class ToolCall:
    """A call the model asked for. `arguments` is the decoded JSON object, or the raw text
    when the model's arguments were not valid JSON (the agent reports that back)."""

    name: str
    arguments: dict[str, Any] | str
    id: str = ""


@dataclass
class Usage:
    """Tokens of one or more requests. `evaluated_prompt_tokens` counts the prompt tokens the
    backend actually computed: fewer than `prompt_tokens` when it reused a cached prefix
    (llama.cpp's KV cache, an endpoint's prompt caching)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    evaluated_prompt_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.evaluated_prompt_tokens += other.evaluated_prompt_tokens

    def as_dict(self) -> dict[str, int]:
        """As run files record it."""
        return asdict(self)


@dataclass(frozen=True)
class Generation:
    """How one reply is sampled: the one settings object every backend's `chat` takes."""

    temperature: float = 0.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int | None = None
    gbnf: str | None = None  # a grammar the reply must follow (llama.cpp models; others ignore it)

    def but(self, **changes: Any) -> Generation:
        """A copy with some fields changed (`stop` may be given as a list)."""
        if "stop" in changes:
            changes["stop"] = tuple(changes["stop"] or ())
        return replace(self, **changes)


GREEDY = Generation()  # temperature 0: evaluation, judging, reflection
Tools = list[dict[str, Any]] | None  # OpenAI-layout tool specs


@dataclass
class Attempt:
    """One try at a request to an endpoint: "ok" or why it failed, and how long it took."""

    outcome: str
    seconds: float
    status: int | None = None


@dataclass
class ChatResponse:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    cached: bool = False  # answered from a response cache
    attempts: list[Attempt] = field(default_factory=list)  # an endpoint's tries, the last "ok"


class ChatModel(Protocol):
    """What the agent needs from a model. Implementations must be safe to await concurrently.

    A backend may say how many requests it serves at once (`max_concurrency`: an in-process
    model serves one at a time, an endpoint many); `concurrency` reads it.
    """

    name: str

    async def chat(
        self, messages: list[Message], *, tools: Tools = None, generation: Generation = GREEDY
    ) -> ChatResponse: ...


ENDPOINT_CONCURRENCY = 16  # requests in flight to an OpenAI-compatible endpoint by default


def concurrency(model: object, wanted: int | None = None, work: int | None = None) -> int:
    """How many requests to keep in flight: `wanted` when the user gave it, else what the
    model serves at once (1 when it does not say), never more than the `work` there is."""
    chosen = wanted or int(getattr(model, "max_concurrency", 1))
    return max(1, min(chosen, work) if work else chosen)
