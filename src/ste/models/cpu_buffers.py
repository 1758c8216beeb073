"""Whether llama.cpp may use its extra CPU buffer types (Intel AMX tiles, weight repacking).

llama.cpp built from source for this machine (`pip install llama-cpp-python`) turns on Intel
AMX when the CPU advertises it. Inside some virtual machines the CPU advertises AMX but the
hypervisor does not let a process use it: the first matrix product then dies with a general
protection fault on `ldtilecfg` (seen on a 2-core VM with llama-cpp-python 0.3.36: every
model segfaulted on its first token). No Python error can be caught there, so before a model
is loaded on a CPU that advertises AMX, one child process loads it with the extra buffers
and computes a token; if the child dies, the model is loaded without them (slower, but it
runs). The verdict is cached per llama.cpp version, CPU and model file.

`STE_LLAMA_EXTRA_BUFFERS=1` or `=0` decides without a probe.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ste.errors import ModelError

CPUINFO = Path("/proc/cpuinfo")
PROBE_TIMEOUT_S = 300.0
_ENV = "STE_LLAMA_EXTRA_BUFFERS"


def _cpu() -> tuple[str, set[str]]:
    """The CPU's model name and flags, from /proc/cpuinfo ("", set() elsewhere)."""
    try:
        text = CPUINFO.read_text()
    except OSError:
        return "", set()
    fields = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in text.splitlines())
        if key.strip() in ("model name", "flags")
    )
    return fields.get("model name", ""), set(fields.get("flags", "").split())


def advertises_amx() -> bool:
    return "amx_tile" in _cpu()[1]


def _cache_file(model: Path) -> Path:
    import llama_cpp

    from ste.models.registry import cache_dir

    name, flags = _cpu()
    key = f"{llama_cpp.__version__}|{name}|{' '.join(sorted(flags))}|{model.resolve()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir() / "cpu-buffers" / f"{digest}.json"


def _probe(model: Path) -> bool:
    """Whether a child process computes a token of `model` with the extra buffers."""
    child = subprocess.run(
        [sys.executable, "-m", "ste.models.cpu_buffers", str(model)],
        capture_output=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    return child.returncode == 0


def extra_buffers(model: Path) -> bool:
    """Whether to load `model` with llama.cpp's extra buffer types."""
    setting = os.environ.get(_ENV, "").strip()
    if setting:
        if setting not in ("0", "1"):
            raise ModelError(f"{_ENV} must be 1 (use them) or 0 (do not), got {setting!r}")
        return setting == "1"
    if not advertises_amx():
        return True
    cached = _cache_file(model)
    if cached.exists():
        return bool(json.loads(cached.read_text())["extra_buffers"])
    works = _probe(model)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"extra_buffers": works, "model": str(model)}))
    if not works:
        print(
            "ste: this CPU advertises Intel AMX but a process cannot use it (llama.cpp died "
            f"on its first token): loading models without it (set {_ENV}=1 to insist)",
            file=sys.stderr,
        )
    return works


@contextmanager
def without_extra_buffers() -> Iterator[None]:
    """Within it, a `Llama` loads its model without the extra buffer types: llama-cpp-python
    has no argument for them, and reads llama.cpp's default model parameters when loading."""
    from llama_cpp import llama_cpp as library

    default = library.llama_model_default_params

    def params() -> object:
        chosen = default()
        chosen.use_extra_bufts = False
        return chosen

    library.llama_model_default_params = params
    try:
        yield
    finally:
        library.llama_model_default_params = default


if __name__ == "__main__":  # the probe's child: load, compute one token, exit 0
    from llama_cpp import Llama

    llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
    llm.create_completion("1 2 3", max_tokens=1)
