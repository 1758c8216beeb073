"""A dataset's chat export, tokenized in the base model's own chat template with a mask of
the tokens the model must learn to write: the assistant turns (their text, their tool calls
and their end-of-turn marker), never the system, user or tool turns.

The mask comes from rendering prefixes: for each assistant message i, the text between
`render(messages[:i], add_generation_prompt=True)` and `render(messages[:i + 1])` is the
assistant's. That only works when each render is a prefix of the next; a template that
rewrites earlier turns (e.g. drops past reasoning) breaks it and is refused with an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ste.errors import SteError
from ste.models.base import Message
from ste.models.chat_format import TemplateSupport, render_chat, template_support
from ste.prompts import render

DEFAULT_MAX_LENGTH = 2048
ROLES = ("system", "user", "assistant", "tool")
CHAT_FILES = ("openai.train.jsonl", "openai.jsonl")

Chat = dict[str, Any]


def chat_file(dataset_dir: Path) -> Path:
    """The training chats of a `ste distill` dataset: its train split when it has a dev one."""
    dataset_dir = Path(dataset_dir)
    if not dataset_dir.is_dir():
        raise SteError(f"{dataset_dir}: no such dataset directory")
    for name in CHAT_FILES:
        if (dataset_dir / name).is_file():
            return dataset_dir / name
    raise SteError(
        f"{dataset_dir}: no {' or '.join(CHAT_FILES)}; train on a `ste distill` output directory"
    )


def _check_chat(value: Any, where: str) -> Chat:
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        raise SteError(f"{where}: expected an object with a 'messages' list")
    messages = value["messages"]
    if not messages:
        raise SteError(f"{where}: 'messages' is empty")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise SteError(
                f"{where}: message {index} needs a role of {', '.join(ROLES)}, got {message!r:.80}"
            )
    if not any(m["role"] == "assistant" for m in messages):
        raise SteError(f"{where}: no assistant message to learn from")
    if messages[0]["role"] == "assistant":
        raise SteError(f"{where}: the conversation starts with an assistant message")
    tools = value.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise SteError(f"{where}: 'tools' must be a list of OpenAI tool specs")
    return {"messages": messages, "tools": tools or None}


def load_chats(path: Path) -> list[Chat]:
    """Read and check a JSONL file of {"messages": [...], "tools": [...]} chats."""
    path = Path(path)
    if not path.is_file():
        raise SteError(f"{path}: no such file")
    chats = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise SteError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        chats.append(_check_chat(value, f"{path}:{number}"))
    if not chats:
        raise SteError(f"{path}: contains no chats")
    return chats


def load_dataset_chats(dataset_dir: Path) -> list[Chat]:
    return load_chats(chat_file(dataset_dir))


def with_agent_system(messages: list[Message], tools: list[dict[str, Any]] | None) -> list[Message]:
    """Add the native agent's system message to a tool chat that has none: `ste run` and
    `ste eval --protocol native` always send it, so the model trains on the prompt it gets."""
    if not tools or messages[0]["role"] == "system":
        return messages
    return [{"role": "system", "content": render("native_system")}, *messages]


def assistant_spans(
    tokenizer: Any, chat: Chat, support: TemplateSupport
) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its assistant turns."""
    messages = with_agent_system(chat["messages"], chat["tools"])
    tools = chat["tools"]
    full = render_chat(tokenizer, messages, tools, support)
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render_chat(
            tokenizer, messages[:index], tools, support, add_generation_prompt=True
        )
        upto = render_chat(tokenizer, messages[: index + 1], tools, support)
        start = spans[-1][1] if spans else 0
        if not (upto.startswith(prompt) and full.startswith(upto) and len(prompt) >= start):
            raise SteError(
                f"the chat template does not render conversations incrementally (the text up to "
                f"message {index} is not a prefix of the next render), so the assistant tokens "
                "cannot be found; use a model whose template keeps earlier turns unchanged"
            )
        spans.append((len(prompt), len(upto)))
    return full, spans


@dataclass
class Tokenized:
    input_ids: list[int]
    assistant_masks: list[int]
    truncated: bool = False


def tokenize_chat(
    tokenizer: Any, chat: Chat, support: TemplateSupport, max_length: int = DEFAULT_MAX_LENGTH
) -> Tokenized:
    """Token ids and the assistant mask, tokenized piece by piece so the mask is exact."""
    text, spans = assistant_spans(tokenizer, chat, support)
    ids: list[int] = []
    mask: list[int] = []
    cursor = 0
    pieces = []
    for start, end in spans:
        pieces += [(text[cursor:start], 0), (text[start:end], 1)]
        cursor = end
    pieces.append((text[cursor:], 0))
    for piece, bit in pieces:
        if piece:
            piece_ids = tokenizer(piece, add_special_tokens=False)["input_ids"]
            ids += piece_ids
            mask += [bit] * len(piece_ids)
    return Tokenized(ids[:max_length], mask[:max_length], truncated=len(ids) > max_length)


@dataclass
class DataStats:
    examples: int = 0
    tokens: int = 0
    assistant_tokens: int = 0
    truncated: int = 0
    dropped: int = 0  # truncation left no assistant token to learn from
    template: dict[str, bool] = field(default_factory=dict)


def build_dataset(
    tokenizer: Any, chats: list[Chat], max_length: int = DEFAULT_MAX_LENGTH
) -> tuple[Any, DataStats]:
    """A `datasets.Dataset` with `input_ids` and `assistant_masks`, as TRL's SFTTrainer takes."""
    from datasets import Dataset

    support = template_support(tokenizer)
    stats = DataStats(template={"tools": support.tools, "tool_calls": support.tool_calls})
    rows: dict[str, list[list[int]]] = {"input_ids": [], "assistant_masks": []}
    for chat in chats:
        tokenized = tokenize_chat(tokenizer, chat, support, max_length)
        stats.truncated += tokenized.truncated
        if 1 not in tokenized.assistant_masks:
            stats.dropped += 1
            continue
        rows["input_ids"].append(tokenized.input_ids)
        rows["assistant_masks"].append(tokenized.assistant_masks)
        stats.examples += 1
        stats.tokens += len(tokenized.input_ids)
        stats.assistant_tokens += sum(tokenized.assistant_masks)
    if not stats.examples:
        raise SteError(
            f"no example keeps an assistant token within --max-length {max_length}; raise it"
        )
    return Dataset.from_dict(rows), stats
