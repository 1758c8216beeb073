"""GGUF models in process, through llama-cpp-python.

One model object serves one request at a time (a lock); llama.cpp keeps the KV cache of the
previous prompt, so a conversation that grows turn by turn only evaluates its new tokens.
"""

from __future__ import annotations

import asyncio
import os
import threading
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from ste.errors import ModelError
from ste.models.base import GREEDY, ChatResponse, Generation, Message, Tools, Usage
from ste.models.cpu_buffers import extra_buffers, without_extra_buffers
from ste.models.threads import threads_from_environment, threads_now
from ste.models.tool_text import tool_calls_from_text, tool_turns_as_text

DEFAULT_CONTEXT = 8192


def _prompt_tokens_evaluated(llm: Any) -> int:
    """llama.cpp's running count of prompt tokens it has computed in this context."""
    import llama_cpp

    return int(llama_cpp.llama_perf_context(llm._ctx.ctx).n_p_eval)


@lru_cache(maxsize=32)
def _grammar(text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


class LocalModel:
    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        # a fixed count, or None: chosen per request (`ste.models.threads`)
        self.threads = threads or threads_from_environment()
        self.cores = os.cpu_count() or 2
        self._threads_set = 0
        self.name = name or self.path.stem
        self.max_concurrency = 1  # one llama.cpp context: one request at a time
        self.n_ctx = n_ctx
        self._llm: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelError(
                    "local GGUF models need llama-cpp-python: pip install llama-cpp-python"
                ) from None
            loading = nullcontext() if extra_buffers(self.path) else without_extra_buffers()
            try:
                with loading:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.n_ctx,
                        n_threads=self.threads or self.cores,
                        n_threads_batch=self.threads or self.cores,
                        verbose=False,
                    )
            except ValueError as error:
                raise ModelError(f"{self.path}: llama.cpp cannot load it ({error})") from None
        return self._llm

    def _complete(self, request: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The completion and how many prompt tokens llama.cpp evaluated (not reused)."""
        with self._lock:
            llm = self._load()
            threads = self.threads or threads_now(self.cores)
            if threads != self._threads_set:
                llm._ctx.set_n_threads(threads, threads)
                self._threads_set = threads
            try:
                before = _prompt_tokens_evaluated(llm)
                completion = llm.create_chat_completion(**request)
                return completion, _prompt_tokens_evaluated(llm) - before
            except ValueError as error:
                if "context window" in str(error):
                    raise ModelError(
                        f"{self.name}: the conversation no longer fits the {self.n_ctx}-token "
                        "context window"
                    ) from None
                raise

    async def chat(
        self, messages: list[Message], *, tools: Tools = None, generation: Generation = GREEDY
    ) -> ChatResponse:
        request: dict[str, Any] = {
            "messages": tool_turns_as_text(messages),
            "temperature": generation.temperature,
            "max_tokens": generation.max_tokens,
            "stop": list(generation.stop),
        }
        if tools:
            request["tools"] = tools
        if generation.seed is not None:
            request["seed"] = generation.seed
        if generation.gbnf:
            request["grammar"] = _grammar(generation.gbnf)
        completion, evaluated = await asyncio.to_thread(self._complete, request)
        choice = completion["choices"][0]
        text = choice["message"].get("content") or ""
        usage = completion.get("usage") or {}
        return ChatResponse(
            text=text,
            tool_calls=tool_calls_from_text(text) if tools else [],
            usage=Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                calls=1,
                evaluated_prompt_tokens=evaluated,
            ),
            finish_reason=choice.get("finish_reason"),
        )
