"""What an `ste explore` call means: a new run, or one continued with its own toolbox,
model and settings, where the options given win and the rest come from the run's manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ste.agent.loop import check_protocol
from ste.errors import SteError
from ste.explore.rundir import RunDir
from ste.explore.settings import ExploreSettings, manifest
from ste.models.registry import DEFAULT_MODEL
from ste.tools import load_tools
from ste.tools.effects import SideEffectPolicy, apply_policy
from ste.tools.reset import check_reset
from ste.tools.sources import spec_of
from ste.tools.stateful import load_start_states
from ste.tools.tool import Tool


@dataclass
class RunPlan:
    run_dir: RunDir
    toolbox: str | None  # the tool source spec (None: the bundled tools)
    model: str  # the model spec
    settings: ExploreSettings
    tools: list[Tool]
    only: list[str] | None
    base_url: str | None

    def manifest(self, model_name: str) -> dict[str, Any]:
        """The manifest of this run (endpoint keys are never written; the URL is)."""
        written = manifest(model_name, self.tools, self.settings)
        written.update(
            toolbox=self.toolbox, model_spec=self.model, only=self.only, base_url=self.base_url
        )
        return written


def plan_run(
    run: Path,
    *,
    resume: bool,
    toolbox: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    only: str | None = None,
    **given: Any,
) -> RunPlan:
    """Resolve a run: `given` are ExploreSettings fields from options (None: not given)."""
    run_dir = RunDir(run)
    previous = run_dir.read_manifest() if (resume or run_dir.exists) else None
    old = previous or {}
    spec = spec_of(toolbox) if toolbox is not None else old.get("toolbox")
    values = asdict(ExploreSettings())
    # a run from before the review, or before requests written from calls: continued as
    # it began
    for added in ("review", "request_from_call"):
        if previous is not None and added not in (old.get("settings") or {}):
            values[added] = False
    values.update(old.get("settings") or {})
    values.update({key: value for key, value in given.items() if value is not None})
    check_protocol(values["protocol"])
    all_tools = apply_policy(load_tools(spec), SideEffectPolicy.parse(values["allow_side_effects"]))
    if values["reset"]:
        check_reset(values["reset"])
    if values["start_states"]:
        load_start_states(values["start_states"])  # a bad file: one line before the model loads
    names = [n.strip() for n in only.split(",") if n.strip()] if only is not None else None
    if only is not None and not names:
        raise SteError(f"--only: no tool names in {only!r}; give names separated by commas")
    if names is None:
        names = old.get("only")
    tools = all_tools
    if names:
        known = [t.name for t in all_tools]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SteError(
                f"--only: no tool named {', '.join(unknown)}; the toolbox has: {', '.join(known)}"
            )
        tools = [t for t in all_tools if t.name in names]
    return RunPlan(
        run_dir=run_dir,
        toolbox=spec,
        model=model or old.get("model_spec") or DEFAULT_MODEL,
        settings=ExploreSettings(**values),
        tools=tools,
        only=names,
        # a resumed run goes on talking to the same endpoint
        base_url=base_url or old.get("base_url"),
    )
