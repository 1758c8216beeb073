"""Requests to an endpoint: every attempt recorded, retried with backoff, and a clear end.

`RequestPolicy` is the one settings object for it (`--request-timeout`, `--retries`, and how
many failed requests in a row end a run). `with_retries` makes one request: each failed
attempt (a 429, a 5xx, a reset, a hang past the timeout, a reply that is not a chat
completion) is an `Attempt`; `Retry-After` is obeyed. A request that still fails raises
`RequestFailed`, which fails one trial or one test item and lets the run go on; when
`give_up_after` requests in a row have failed, `EndpointDown` (a `ModelError`) ends the run
with one line, resumable.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ste.errors import ModelError
from ste.models.base import Attempt

T = TypeVar("T")

DEFAULT_REQUEST_TIMEOUT_S = 120.0
DEFAULT_RETRIES = 3
DEFAULT_GIVE_UP_AFTER = 8
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class RequestPolicy:
    """How long one attempt may take, how often a request is retried, when a run gives up."""

    timeout: float = DEFAULT_REQUEST_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    give_up_after: int = DEFAULT_GIVE_UP_AFTER  # failed requests in a row that end a run
    backoff: float = 0.5  # seconds before the first retry, doubled each time (with jitter)


class RetryableError(Exception):
    """An attempt that failed in a way a retry may fix; `retry_after` from the server."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class RequestFailed(Exception):
    """A request that failed on every attempt: its trial or test item fails, the run goes on."""

    def __init__(self, reason: str, attempts: list[Attempt]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class EndpointDown(ModelError):
    """So many requests in a row failed that the run stops (resumable)."""

    def __init__(self, message: str, attempts: list[Attempt]) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class FailureCounter:
    """Failed requests in a row, shared by every concurrent request to one endpoint."""

    in_a_row: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def succeeded(self) -> None:
        with self._lock:
            self.in_a_row = 0

    def failed(self) -> int:
        with self._lock:
            self.in_a_row += 1
            return self.in_a_row


def _delay(policy: RequestPolicy, retry: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_BACKOFF_S)
    base = policy.backoff * (2**retry)
    return min(base * (0.75 + random.random() / 2), MAX_BACKOFF_S)


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RequestPolicy,
    counter: FailureCounter,
    where: str,
) -> tuple[T, list[Attempt]]:
    """The value of the first attempt that succeeds, and every attempt made (the last "ok")."""
    attempts: list[Attempt] = []
    for retry in range(policy.retries + 1):
        started = time.perf_counter()
        try:
            value = await asyncio.wait_for(attempt(), timeout=policy.timeout)
        except TimeoutError:
            failure = RetryableError(f"no reply within {policy.timeout:g} s")
        except RetryableError as error:
            failure = error
        else:
            attempts.append(Attempt("ok", round(time.perf_counter() - started, 4)))
            counter.succeeded()
            return value, attempts
        attempts.append(
            Attempt(failure.reason, round(time.perf_counter() - started, 4), failure.status)
        )
        if retry < policy.retries:
            await asyncio.sleep(_delay(policy, retry, failure.retry_after))
    tries = f"{len(attempts)} attempt{'s' if len(attempts) != 1 else ''}"
    reason = f"{where}: the request failed after {tries} (last: {attempts[-1].outcome})"
    in_a_row = counter.failed()
    if in_a_row >= policy.give_up_after:
        raise EndpointDown(
            f"{reason}; {in_a_row} requests in a row have failed, so the run stops here "
            "(finished work is kept: run the same command with --resume when the endpoint "
            "is back; --retries and --request-timeout set how patient a request is)",
            attempts,
        )
    raise RequestFailed(reason, attempts)
