"""Where an OpenAI-compatible model is served, and how its requests are retried."""

from __future__ import annotations

from dataclasses import dataclass, field

from ste.models.retry import RequestPolicy


@dataclass(frozen=True)
class Endpoint:
    """`--base-url` and the request policy (`--request-timeout`, `--retries`, `--give-up-after`)
    of a command; local models ignore both."""

    base_url: str | None = None
    policy: RequestPolicy = field(default_factory=RequestPolicy)
