"""Models: one async chat interface over local GGUF models and OpenAI-compatible endpoints."""

from ste.models.base import ChatModel, ChatResponse, Message, ToolCall, Usage
from ste.models.registry import DEFAULT_MODEL, REGISTRY
from ste.models.resolve import load_model

__all__ = [
    "DEFAULT_MODEL",
    "REGISTRY",
    "ChatModel",
    "ChatResponse",
    "Message",
    "ToolCall",
    "Usage",
    "load_model",
]
