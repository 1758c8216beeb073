"""`--model` specs: a registry name, a path to a .gguf file, `hf:DIR` (a Hugging Face model
or LoRA adapter directory, e.g. what `ste train` writes; a bare such directory works too), or
`openai:MODEL`."""

from __future__ import annotations

from pathlib import Path

from ste.errors import ModelError
from ste.models.base import ChatModel
from ste.models.registry import REGISTRY, model_path
from ste.models.retry import RequestPolicy
from ste.models.transformers_backend import is_model_dir


def load_model(
    spec: str, *, base_url: str | None = None, policy: RequestPolicy | None = None
) -> ChatModel:
    """Resolve a model spec without loading weights yet (that happens on the first call)."""
    if spec.startswith("openai:"):
        from ste.models.openai_endpoint import OpenAIEndpointModel

        name = spec.removeprefix("openai:")
        if not name:
            raise ModelError("--model openai:MODEL needs a model name after 'openai:'")
        return OpenAIEndpointModel(name, base_url=base_url, policy=policy)

    if spec.startswith("hf:"):
        return _transformers_model(Path(spec.removeprefix("hf:")).expanduser())

    from ste.models.local import LocalModel

    if spec in REGISTRY:
        return LocalModel(model_path(spec), name=spec)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ModelError(f"{path}: no such GGUF file")
        return LocalModel(path)
    if is_model_dir(path):
        return _transformers_model(path)
    raise ModelError(
        f"unknown model '{spec}'; use a registry name ({', '.join(REGISTRY)}), a path to a "
        ".gguf file, hf:DIR for a Hugging Face model directory (e.g. `ste train`'s merged/), "
        "or openai:MODEL for an OpenAI-compatible endpoint (see `ste models`)"
    )


def _transformers_model(path: Path) -> ChatModel:
    from ste.models.transformers_backend import TransformersModel

    if not path.exists():
        raise ModelError(f"{path}: no such model directory")
    return TransformersModel(path)
