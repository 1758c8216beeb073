"""The episode's conversation: a user turn, and a plain-text reply of the model (an
imagined request, a restated one, a reflection) added to it."""

from __future__ import annotations

from ste.agent.loop import AgentProtocol
from ste.models.base import ChatModel, Generation, Message, Usage
from ste.tools.tool import Tool


def user_message(content: str) -> Message:
    return {"role": "user", "content": content}


async def ask_text(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    usage: Usage,
    generation: Generation,
) -> str:
    """One plain-text turn in the episode's conversation: the reply, added to `messages`."""
    response = await model.chat(messages, tools=protocol.tools_param([tool]), generation=generation)
    usage.add(response.usage)
    text = response.text.strip()
    messages.append({"role": "assistant", "content": text})
    return text
