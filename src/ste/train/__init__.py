"""Fine-tuning on STE data: chat formatting with assistant masks, replay mixing, SFT.

Called, the package runs the step: `ste.train(dataset, base, out)` (see `ste.api`)."""

from ste.steps import callable_step

callable_step(__name__)
