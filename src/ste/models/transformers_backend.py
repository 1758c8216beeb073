"""Hugging Face models in process, through transformers: what `ste train` writes.

A directory with `config.json` is a full model (`ste train`'s `merged/`); one with
`adapter_config.json` is a LoRA adapter, loaded on top of its base: the ste base spec in
the `base.json` that `ste train` writes beside it, else the adapter's
`base_model_name_or_path`. Tools and calls go through the tokenizer's chat template the way
`ste.train.data` rendered them for training (`ste.models.chat_format`), and calls are read
back from the text. Tool results stay `tool` messages, as in training. One generation at a
time (a lock), in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

from ste.errors import ModelError
from ste.models.base import GREEDY, ChatResponse, Generation, Message, Tools, Usage
from ste.models.chat_format import TemplateSupport, render_chat, template_support
from ste.models.tool_text import tool_calls_from_text


def is_model_dir(path: Path) -> bool:
    return path.is_dir() and (
        (path / "config.json").is_file() or (path / "adapter_config.json").is_file()
    )


def cut_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """The text before the first stop string, and whether one was found."""
    positions = [i for s in stop or [] if s and (i := text.find(s)) >= 0]
    return (text[: min(positions)], True) if positions else (text, False)


def _base_spec(adapter: Path) -> str:
    base_file = adapter / "base.json"
    if base_file.is_file():
        try:
            return str(json.loads(base_file.read_text())["base"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ModelError(f'{base_file}: expected {{"base": MODEL_SPEC}}') from None
    try:
        config = json.loads((adapter / "adapter_config.json").read_text())
        return str(config["base_model_name_or_path"])
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ModelError(f"{adapter}: adapter_config.json names no base model") from None


class TransformersModel:
    def __init__(self, path: Path, *, name: str | None = None, reuse_cache: bool = True) -> None:
        self.path = Path(path)
        if not is_model_dir(self.path):
            raise ModelError(
                f"{self.path}: not a Hugging Face model directory (no config.json or "
                "adapter_config.json)"
            )
        self.name = name or f"hf:{self.path}"
        self.max_concurrency = 1  # one model in process: one request at a time
        self._model: Any = None
        self._tokenizer: Any = None
        self._support: TemplateSupport | None = None
        self._lock = threading.Lock()
        self.reuse_cache = reuse_cache
        self._cache: Any = None  # the key/value cache of `_cached_ids`
        self._cached_ids: list[int] = []

    def _load_adapter(self) -> tuple[Any, Any]:
        from ste.models.transformers_loading import (
            BaseSource,
            load_tokenizer,
            load_transformers_model,
            resolve_base,
        )

        try:
            from peft import PeftModel
        except ImportError:
            raise ModelError("LoRA adapters need peft: pip install 'ste[train]'") from None
        source = resolve_base(_base_spec(self.path))
        model = PeftModel.from_pretrained(load_transformers_model(source), str(self.path))
        if (self.path / "tokenizer_config.json").is_file():
            return model, load_tokenizer(BaseSource(str(self.path), self.path))
        return model, load_tokenizer(source)

    def _load(self) -> tuple[Any, Any, TemplateSupport]:
        if self._model is None:
            try:
                import torch  # noqa: F401
                import transformers  # noqa: F401
            except ImportError:
                raise ModelError(
                    "Hugging Face models need transformers and torch: pip install 'ste[train]'"
                ) from None
            from ste.models.transformers_loading import (
                BaseSource,
                load_tokenizer,
                load_transformers_model,
            )

            if (self.path / "adapter_config.json").is_file():
                model, tokenizer = self._load_adapter()
            else:
                source = BaseSource(str(self.path), self.path)
                model, tokenizer = load_transformers_model(source), load_tokenizer(source)
            support = template_support(tokenizer)
            model.eval()
            if _cuda():
                model.to("cuda")
            self._model, self._tokenizer, self._support = model, tokenizer, support
        assert self._support is not None
        return self._model, self._tokenizer, self._support

    def _generate(
        self,
        messages: list[Message],
        tools: Tools,
        generation: Generation,
    ) -> tuple[str, int, int, str, int]:
        import torch

        with self._lock:
            model, tokenizer, support = self._load()
            prompt = render_chat(tokenizer, messages, tools, support, add_generation_prompt=True)
            ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
            ids = ids.to(model.device)
            cache, reused = self._reusable_cache(model, ids[0].tolist())
            self._cache, self._cached_ids = None, []  # kept again only if generation completes
            sampling: dict[str, Any] = {"do_sample": False}
            if generation.temperature > 0:
                sampling = {
                    "do_sample": True,
                    "temperature": generation.temperature,
                    "top_p": 1.0,
                }
                if generation.seed is not None:
                    torch.manual_seed(generation.seed)
            with torch.no_grad():
                output = model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=generation.max_tokens,
                    eos_token_id=_end_ids(model, tokenizer),
                    pad_token_id=tokenizer.pad_token_id,
                    stop_strings=[s for s in generation.stop if s] or None,
                    tokenizer=tokenizer,
                    past_key_values=cache,
                    **sampling,
                )
            self._cache = cache
            self._cached_ids = output[0, : cache.get_seq_length()].tolist()
        new = output[0, ids.shape[1] :].tolist()
        ends = set(_end_ids(model, tokenizer))
        ended = next((i for i, token in enumerate(new) if token in ends), None)
        kept = new if ended is None else new[:ended]
        # Control tokens are not text (llama.cpp does not render them either); tool-call tags
        # such as Qwen's <tool_call> are ordinary added tokens and stay.
        text, stopped = cut_at_stop(
            tokenizer.decode(kept, skip_special_tokens=True), list(generation.stop)
        )
        reason = "stop" if ended is not None or stopped else "length"
        return text, int(ids.shape[1]), len(new), reason, reused

    def _reusable_cache(self, model: Any, ids: list[int]) -> tuple[Any, int]:
        """The kept cache cut to its common prefix with `ids` (at least one token is left to
        evaluate), or a new one; and how many prompt tokens it spares. A cache with sliding
        window layers is never reused: cutting it back would lose what it slid past."""
        from transformers import DynamicCache

        common = 0
        for old, new in zip(self._cached_ids, ids, strict=False):
            if old != new:
                break
            common += 1
        common = min(common, len(ids) - 1)
        cache = self._cache
        if (
            not self.reuse_cache
            or cache is None
            or common <= 0
            or any(getattr(layer, "is_sliding", False) for layer in cache.layers)
        ):
            return DynamicCache(config=model.config), 0
        surplus = cache.get_seq_length() - common
        if surplus > 0:
            cache.crop(-surplus)  # a negative count removes that many tokens (transformers 4 and 5)
        return cache, common

    async def chat(
        self, messages: list[Message], *, tools: Tools = None, generation: Generation = GREEDY
    ) -> ChatResponse:
        text, prompt_tokens, completion_tokens, reason, reused = await asyncio.to_thread(
            self._generate, messages, tools, generation
        )
        return ChatResponse(
            text=text,
            tool_calls=tool_calls_from_text(text) if tools else [],
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                calls=1,
                evaluated_prompt_tokens=prompt_tokens - reused,
            ),
            finish_reason=reason,
        )


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _end_ids(model: Any, tokenizer: Any) -> list[int]:
    """End-of-turn tokens: the tokenizer's end and padding tokens and the generation config's.
    A model that writes its end-of-text (Qwen's padding token) has ended, as llama.cpp
    decides too; without it a fine-tuned model was seen to write on past it."""
    configured = model.generation_config.eos_token_id
    ids = configured if isinstance(configured, list) else [configured]
    candidates = [tokenizer.eos_token_id, tokenizer.pad_token_id, *ids]
    return sorted({i for i in candidates if i is not None})
