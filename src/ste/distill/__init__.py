"""Distillation: from practice to a dataset (rule checks, judge, dedup, paraphrase, exports).

Called, the package runs the step: `ste.distill(run, out, judge=model)` (see `ste.api`)."""

from ste.steps import callable_step

callable_step(__name__)
