"""`ste serve`: STE demonstrations for any agent that speaks the OpenAI API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ste.cli.app import app, console, user_errors
from ste.cli.common import load_model_with_progress
from ste.errors import SteError
from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.icl.chat_request import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_TOKENS, Limits
from ste.models.endpoint import Endpoint
from ste.models.registry import DEFAULT_MODEL

DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


@app.command()
@user_errors
def serve(
    demos: Annotated[
        Path | None, typer.Option(help="A `ste distill` dataset (none: a plain proxy).")
    ] = None,
    upstream: Annotated[
        str,
        typer.Option(help="A registry model, a .gguf file, or openai:MODEL for an endpoint."),
    ] = DEFAULT_MODEL,
    base_url: Annotated[
        str | None,
        typer.Option(help="The endpoint of an openai:MODEL upstream (default: $OPENAI_BASE_URL)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="STE_SERVE_TOKEN", help="Require this bearer token ($STE_SERVE_TOKEN)."
        ),
    ] = None,
    k: Annotated[int, typer.Option(min=1, help="Demonstrations per request.")] = DEFAULT_K,
    demo_tokens: Annotated[
        int, typer.Option(min=100, help="Their token budget.")
    ] = DEFAULT_TOKEN_BUDGET,
    notes: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: show the model its tool notes."),
    ] = None,
    notes_for: Annotated[
        str,
        typer.Option(
            help="routed: the notes of the tool the latest user message is most about, in the "
            "system message; all: every offered tool's notes in its description."
        ),
    ] = "routed",
    max_body_mb: Annotated[
        float, typer.Option(min=0.01, max=1024, help="Larger request bodies get a 413.")
    ] = DEFAULT_MAX_BODY_BYTES / 2**20,
    max_tokens: Annotated[
        int, typer.Option(min=1, help="A request asking for more tokens gets a 400.")
    ] = DEFAULT_MAX_TOKENS,
) -> None:
    """Serve /v1/chat/completions: requests with tools get the most similar practised examples."""
    import uvicorn

    from ste.icl.bank import DemoBank
    from ste.icl.serve import EndpointUpstream, ModelUpstream, create_app

    if notes_for not in ("all", "routed"):
        raise SteError(f"--notes-for must be all or routed, got {notes_for!r}")
    bank = DemoBank(demos) if demos else None
    tool_notes = None
    if notes is not None:
        from ste.distill.notes import load_notes

        tool_notes = load_notes(notes)
    if bank is not None:
        with console.status("indexing the demonstrations"):
            bank.warm()
    if upstream.startswith("openai:"):
        name = upstream.removeprefix("openai:")
        if not name:
            raise SteError("--upstream openai:MODEL needs a model name after 'openai:'")
        url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_URL
        target = EndpointUpstream(url, os.environ.get("OPENAI_API_KEY"), name)
        where = f"{name} at {url}"
    else:
        model = load_model_with_progress(upstream, Endpoint())
        target = ModelUpstream(model)
        where = f"{model.name} (in process)"
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        console.print(
            f"[yellow]warning:[/yellow] serving on {host} without --token: anyone who can reach "
            "this port can use the model",
        )
    examples = (
        f"{len(bank.examples)} demonstrations ({bank.method})" if bank else "no demonstrations"
    )
    if tool_notes is not None:
        examples += f", notes for {sum(bool(n) for n in tool_notes.values())} tool(s)"
    console.print(
        f"ste serve: http://{host}:{port}/v1 -> {where}, {examples}"
        + (", bearer token required" if token else ""),
        highlight=False,
    )
    limits = Limits(max_body_bytes=int(max_body_mb * 2**20), max_tokens=max_tokens)
    application = create_app(
        target,
        bank,
        token=token,
        k=k,
        token_budget=demo_tokens,
        limits=limits,
        notes=tool_notes,
        notes_for=notes_for,
    )
    uvicorn.run(application, host=host, port=port, log_level="warning")
