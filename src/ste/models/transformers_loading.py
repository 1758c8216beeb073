"""A transformers model and tokenizer from a spec: an embedded registry model, a .gguf file, or
a Hugging Face model directory (e.g. an earlier `ste train`'s `merged/`). Fine-tuning
trains one; the `hf:` backend answers with one.

GGUF weights are dequantised by transformers' GGUF support into a full-precision model,
which is what gradient descent needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ste.errors import SteError


@dataclass(frozen=True)
class BaseSource:
    spec: str
    directory: Path
    gguf_file: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"gguf_file": self.gguf_file} if self.gguf_file else {}


def resolve_base(spec: str) -> BaseSource:
    """Where the weights of `spec` lie, without loading them."""
    from ste.models.registry import REGISTRY, model_path

    if spec in REGISTRY:
        path = model_path(spec)
        return BaseSource(spec, path.parent, path.name)
    path = Path(spec.removeprefix("hf:")).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise SteError(f"{path}: no such GGUF file")
        return BaseSource(spec, path.parent, path.name)
    if path.is_dir() and (path / "config.json").is_file():
        return BaseSource(spec, path)
    if path.is_dir() and (path / "adapter_config.json").is_file():
        raise SteError(
            f"{path} is a LoRA adapter; use the merged model beside it (its ../merged) as --base"
        )
    if path.exists():
        raise SteError(f"{path}: not a Hugging Face model directory (no config.json)")
    raise SteError(
        f"unknown base model '{spec}'; use a registry name ({', '.join(REGISTRY)}), a .gguf "
        "file, or a Hugging Face model directory"
    )


def load_tokenizer(source: BaseSource) -> Any:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.directory), **source.kwargs())
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise SteError(f"{source.spec}: transformers cannot load its tokenizer ({error})") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _as_plain_model(model: Any) -> Any:
    """A GGUF model loaded dequantised is a dense model still flagged as GGUF-quantized, which
    the Trainer refuses to train and `save_pretrained` refuses to write; drop the flag."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and getattr(quantizer.quantization_config, "dequantize", False):
        quantizer.remove_quantization_config(model)
    return model


def _load_kwargs(source: BaseSource, dtype: Any) -> dict[str, Any]:
    """`dtype` (older transformers: `torch_dtype`); a GGUF file unpacked to dense weights
    (older transformers always unpack; newer ones may keep blocks packed for inference)."""
    import transformers

    major, minor = (int(p) for p in transformers.__version__.split(".")[:2])
    kwargs: dict[str, Any] = {"dtype" if (major, minor) >= (4, 56) else "torch_dtype": dtype}
    if source.gguf_file:
        kwargs["gguf_file"] = source.gguf_file
        if hasattr(transformers, "GgufConfig"):
            kwargs["quantization_config"] = transformers.GgufConfig(
                gguf_file=source.gguf_file, dequantize=True
            )
    return kwargs


def load_transformers_model(source: BaseSource, dtype: Any = None) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs = _load_kwargs(source, dtype or torch.float32)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(source.directory), **kwargs)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise SteError(f"{source.spec}: transformers cannot load it ({error})") from None
    return _as_plain_model(model)


def load_base(spec: str, dtype: Any = None) -> tuple[Any, Any, BaseSource]:
    """The model and its tokenizer (with a pad token)."""
    source = resolve_base(spec)
    tokenizer = load_tokenizer(source)
    return load_transformers_model(source, dtype), tokenizer, source
