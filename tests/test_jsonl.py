"""Append-only JSONL: a line torn by a kill is repaired before the next append."""

import json
import threading

from ste.explore.rundir import RunDir
from ste.jsonl import JsonlAppender, append_jsonl, read_jsonl, repair_torn_tail
from ste.records import Trial


def test_an_append_after_a_torn_line_starts_on_a_line_of_its_own(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": 1}\n{"id": 2, "cut')
    append_jsonl(path, {"id": 3})
    assert path.read_text() == '{"id": 1}\n{"id": 3}\n'
    assert [r["id"] for r in read_jsonl(path)] == [1, 3]


def test_repair_handles_a_file_that_is_all_fragment_and_a_long_last_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "' + "x" * 200_000)
    assert repair_torn_tail(path) == 200_008 and path.read_text() == ""
    long_line = json.dumps({"id": "y" * 150_000})
    path.write_text(long_line + "\n" + '{"id": "z')
    repair_torn_tail(path)
    assert path.read_text() == long_line + "\n"
    assert repair_torn_tail(path) == 0 and repair_torn_tail(tmp_path / "none.jsonl") == 0


def test_appends_from_many_threads_are_whole_lines(tmp_path):
    path = tmp_path / "t.jsonl"
    with JsonlAppender(path, fsync=False) as sink:
        threads = [
            threading.Thread(target=lambda i=i: [sink.append({"i": i, "j": j}) for j in range(50)])
            for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((r["i"], r["j"]) for r in records) == [
        (i, j) for i in range(8) for j in range(50)
    ]


def test_a_run_dir_reopened_after_a_kill_loses_no_finished_trial(tmp_path):
    run = RunDir(tmp_path / "run")
    run.open()
    run.append_trial(Trial(id="t/e1/t1", tool="t", episode=0, trial=0, seed=1))
    run.append_usage({"tokens": 1})
    run.close()
    for name in ("trials.jsonl", "usage.jsonl"):
        with (run.path / name).open("a") as sink:
            sink.write('{"id": "t/e1/t2", "ste')
    run.open()
    run.append_trial(Trial(id="t/e1/t2", tool="t", episode=0, trial=1, seed=2))
    run.append_usage({"tokens": 2})
    run.close()
    assert [t.id for t in run.read_trials()] == ["t/e1/t1", "t/e1/t2"]
    assert (run.path / "trials.jsonl").read_text().count("\n") == 2
    assert [e["tokens"] for e in run.read_ledger()] == [1, 2]
