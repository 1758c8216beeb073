"""Whether llama.cpp loads a model with its extra CPU buffer types (`ste.models.cpu_buffers`):
a CPU that advertises AMX a process cannot use is probed once, in a child process, and the
verdict cached; a CPU without AMX is never probed; the environment decides without a probe."""

from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from ste.errors import ModelError  # noqa: E402
from ste.models import cpu_buffers  # noqa: E402

AMX = "model name\t: Some Xeon\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile amx_int8\n"
NO_AMX = "model name\t: Some Core\nflags\t\t: fpu avx2 fma\n"


@pytest.fixture
def cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("STE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("STE_LLAMA_EXTRA_BUFFERS", raising=False)
    info = tmp_path / "cpuinfo"
    monkeypatch.setattr(cpu_buffers, "CPUINFO", info)
    probes: list[Path] = []

    def probe(outcome):
        def run(model):
            probes.append(model)
            return outcome

        monkeypatch.setattr(cpu_buffers, "_probe", run)

    return info, probe, probes


def test_a_cpu_without_amx_uses_them_without_a_probe(cpu, tmp_path):
    info, probe, probes = cpu
    info.write_text(NO_AMX)
    probe(False)
    assert cpu_buffers.extra_buffers(tmp_path / "m.gguf") is True
    assert probes == []


def test_amx_a_process_cannot_use_is_probed_once_and_remembered(cpu, tmp_path, capsys):
    info, probe, probes = cpu
    info.write_text(AMX)
    probe(False)
    model = tmp_path / "m.gguf"
    assert cpu_buffers.extra_buffers(model) is False
    assert "advertises Intel AMX" in capsys.readouterr().err
    assert cpu_buffers.extra_buffers(model) is False
    assert probes == [model]  # the second answer came from the cache
    assert cpu_buffers.extra_buffers(tmp_path / "other.gguf") is False
    assert len(probes) == 2  # per model file


def test_amx_that_works_keeps_them(cpu, tmp_path):
    info, probe, _ = cpu
    info.write_text(AMX)
    probe(True)
    assert cpu_buffers.extra_buffers(tmp_path / "m.gguf") is True


@pytest.mark.parametrize(("setting", "expected"), [("1", True), ("0", False)])
def test_the_environment_decides_without_a_probe(cpu, tmp_path, monkeypatch, setting, expected):
    info, probe, probes = cpu
    info.write_text(AMX)
    probe(not expected)
    monkeypatch.setenv("STE_LLAMA_EXTRA_BUFFERS", setting)
    assert cpu_buffers.extra_buffers(tmp_path / "m.gguf") is expected
    assert probes == []


def test_a_bad_setting_is_a_clear_error(cpu, tmp_path, monkeypatch):
    monkeypatch.setenv("STE_LLAMA_EXTRA_BUFFERS", "yes")
    with pytest.raises(ModelError, match="must be 1"):
        cpu_buffers.extra_buffers(tmp_path / "m.gguf")


def test_loading_without_them_changes_llamas_defaults_only_within():
    from llama_cpp import llama_cpp as library

    with cpu_buffers.without_extra_buffers():
        assert library.llama_model_default_params().use_extra_bufts is False
    assert library.llama_model_default_params().use_extra_bufts is True
