"""Readable terminal renderings of tools, models and trajectories (Rich)."""

from __future__ import annotations

import json

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ste.agent.trajectory import Step, Trajectory
from ste.tools.tool import Tool


def table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    """A titled table of text cells: the shape of every per-tool summary ste prints.

    On a narrow terminal the cells keep their width (a tool's name: `convert_units` and
    `convert_time` must stay apart; a figure must stay whole) and the headers are cut
    instead: `ste show`'s ten columns fit 80."""
    rendered = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for index, column in enumerate(columns):
        widest = max((Text.from_markup(row[index]).cell_len for row in rows), default=0)
        rendered.add_column(column, no_wrap=index == 0, min_width=widest)
    for row in rows:
        rendered.add_row(*row)
    return rendered


def query_line(query: str) -> Text:
    return Text.assemble(("Query: ", "bold"), query)


def step_panel(number: int, step: Step) -> Panel:
    """One model reply (or one of its calls) and what came back, as `turn N`."""
    body = Text()
    if step.thought and not step.parse_error:
        body.append("Thought: ", style="bold cyan")
        body.append(step.thought + "\n")
    if step.call is not None:
        body.append("Action: ", style="bold magenta")
        body.append(step.call.name + "\n")
        body.append("Action Input: ", style="bold magenta")
        body.append(json.dumps(step.call.arguments, ensure_ascii=False) + "\n")
    if step.parse_error:
        body.append("Not understood: ", style="bold red")
        body.append(step.raw.strip()[:500] + "\n", style="dim")
        body.append("Feedback: ", style="bold yellow")
        body.append(step.parse_error + "\n")
    elif step.observation is not None:
        style = "green" if step.tool_ok else "red"
        body.append("Observation: ", style=f"bold {style}")
        body.append(step.observation + "\n")
    if step.final_answer is not None:
        body.append("Final Answer: ", style="bold green")
        body.append(step.final_answer + "\n")
    body.rstrip()
    return Panel(body or Text("(empty reply)"), title=f"turn {number}", title_align="left")


def trajectory_footer(trajectory: Trajectory) -> Text:
    usage = trajectory.usage
    return Text(
        f"{trajectory.stop_reason} · {len(trajectory.calls)} tool call(s) · "
        f"{usage.calls} model call(s) · {usage.prompt_tokens} prompt + "
        f"{usage.completion_tokens} completion tokens · {trajectory.seconds:.1f}s · "
        f"{trajectory.model} ({trajectory.protocol})",
        style="dim",
    )


def trajectory_view(trajectory: Trajectory) -> Group:
    panels = [step_panel(n, step) for n, step in enumerate(trajectory.steps, 1)]
    return Group(query_line(trajectory.query), *panels, trajectory_footer(trajectory))


def effect_label(tool: Tool) -> str:
    """A tool's effect class, what told us, and whether it runs without being allowed."""
    runs = "" if tool.runs_by_default else ", runs only if allowed"
    return f"{tool.effect} ({tool.effect_from}{runs})"


def tools_table(tools: list[Tool]) -> Table:
    table = Table("tool", "parameters", "description", "source", "effect", show_lines=True)
    for column in (table.columns[0], table.columns[1]):
        column.overflow = "fold"  # names a user must type are never cut
    for tool in tools:
        required = set(tool.parameters.get("required", []))
        properties = tool.parameters.get("properties", {})
        params = ", ".join(name + ("" if name in required else "?") for name in properties)
        table.add_row(tool.name, params, tool.description, tool.source, effect_label(tool))
    return table


def print_error(console: Console, message: str) -> None:
    console.print(Text.assemble(("error: ", "bold red"), message), highlight=False, soft_wrap=True)
