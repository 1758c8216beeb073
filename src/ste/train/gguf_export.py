"""Export a fine-tuned model (a `ste train` merged/ directory) to GGUF for the llama.cpp
backend, which runs it several times faster than transformers on a CPU and reuses its
key/value cache the same way.

The converter is llama.cpp's own `convert_hf_to_gguf.py`, the one maintained with the
format. We take it from the source distribution of the installed llama-cpp-python, so the
file it writes is one that this llama.cpp reads: `pip download` fetches the sdist from PyPI
once and the converter (with its `gguf-py` package) is cached under the ste cache dir. A
converter already on disk can be named instead (`converter=`, or `STE_GGUF_CONVERTER`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from ste.errors import SteError
from ste.models.registry import cache_dir

OUTTYPES = ("q8_0", "f16", "bf16", "f32")
CONVERTER = "convert_hf_to_gguf.py"
KEPT = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")  # what the converter needs


def llama_cpp_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        raise SteError(
            "GGUF export uses the converter of the installed llama-cpp-python, which is not "
            "installed: pip install 'ste[local]'"
        ) from None


def _extract_converter(sdist: Path, target: Path) -> None:
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            _, _, inner = member.name.partition("/vendor/llama.cpp/")
            if inner and inner.startswith(KEPT) and (member.isfile() or member.isdir()):
                member.name = inner
                members.append(member)
        if not any(m.name == CONVERTER for m in members):
            raise SteError(f"{sdist.name} holds no vendor/llama.cpp/{CONVERTER}")
        archive.extractall(target, members=members, filter="data")


def fetch_converter() -> Path:
    """The cached converter of the installed llama-cpp-python, downloaded on first use."""
    version = llama_cpp_version()
    folder = cache_dir() / "llama.cpp" / version
    script = folder / CONVERTER
    if script.is_file():
        return script
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable, "-m", "pip", "download", f"llama-cpp-python=={version}",
            "--no-deps", "--no-binary", ":all:", "--quiet", "--dest", scratch,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        sdists = list(Path(scratch).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not sdists:
            raise SteError(
                f"could not download the llama-cpp-python {version} source (for its GGUF "
                f"converter): {done.stderr.strip()[-300:] or 'no sdist'}; or pass "
                f"--converter PATH/{CONVERTER} from a llama.cpp checkout"
            )
        partial = folder.with_name(f"{version}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        _extract_converter(sdists[0], partial)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return script


def export_gguf(
    model_dir: Path, out: Path, outtype: str = "q8_0", converter: Path | None = None
) -> Path:
    """Convert a Hugging Face model directory (not a LoRA adapter) to one GGUF file."""
    model_dir, out = Path(model_dir), Path(out)
    if outtype not in OUTTYPES:
        raise SteError(f"--outtype {outtype}: expected one of {', '.join(OUTTYPES)}")
    if (model_dir / "adapter_config.json").is_file():
        raise SteError(f"{model_dir} is a LoRA adapter; export the merged model beside it")
    if not (model_dir / "config.json").is_file():
        raise SteError(f"{model_dir}: not a Hugging Face model directory (no config.json)")
    named = converter or os.environ.get("STE_GGUF_CONVERTER")
    script = Path(named) if named else fetch_converter()
    if not script.is_file():
        raise SteError(f"{script}: no such converter script")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    command = [
        sys.executable, str(script), str(model_dir),
        "--outfile", str(partial), "--outtype", outtype,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SteError(f"llama.cpp's converter failed on {model_dir}:\n{tail}")
    partial.replace(out)
    return out
