"""The feedback log: one JSON object a line, never interleaved."""

from __future__ import annotations

import json
import multiprocessing
import threading

from chat.answer import Answer, Citation
from chat.feedback import FeedbackLog, ShownAnswers, feedback_path


def an_answer(question: str) -> Answer:
    citation = Citation(1, "doc.txt", 3, "Intro", "A paragraph. It says so.", "It says so.", 0.8)
    return Answer(question, "It says so. [1]", True, [citation], index_version="v0003")


def test_each_vote_is_a_line_with_the_answer_json(tmp_path):
    log = FeedbackLog(tmp_path / "new" / "feedback.jsonl")
    log.record(an_answer("Does it?"), True)
    log.record(an_answer("Really?"), False)
    records = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert [(r["rating"], r["question"]) for r in records] == [("up", "Does it?"), ("down", "Really?")]
    assert records[0]["citations"][0]["doc"] == "doc.txt" and records[0]["index_version"] == "v0003"


def test_concurrent_votes_never_interleave(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    threads = [threading.Thread(target=log.record, args=(an_answer(f"q{i} " + "x" * 5000), i % 2 == 0)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(json.loads(line)["question"][:3].strip() for line in log.path.read_text().splitlines()) == sorted(
        f"q{i}" for i in range(20)
    )


def test_the_log_lives_in_the_data_dir_unless_configured(settings_for, tmp_path):
    assert feedback_path(settings_for(tmp_path / "var")) == tmp_path / "var" / "feedback.jsonl"
    assert feedback_path(settings_for(tmp_path / "var", feedback_log=str(tmp_path / "f.jsonl"))) == tmp_path / "f.jsonl"


def test_shown_answers_forget_the_oldest_first():
    shown = ShownAnswers(capacity=2)
    for answer_id in ("a", "b", "c"):
        shown.remember(answer_id, an_answer(answer_id))
    assert shown.get("a") is None
    assert shown.get("b").question == "b" and shown.get("c").question == "c"


def test_feedback_lines_hold_no_character_a_line_reader_splits_on(tmp_path):
    # Issue 14, point 9: U+2028 and U+0085 written raw split one record in two for splitlines().
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    question = "Line\u2028separator, next\u0085line, paragraph\u2029end?"
    log.record(an_answer(question), True)
    raw = log.path.read_bytes()
    assert raw.isascii()
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["question"] == question


def test_the_log_is_rotated_at_its_cap_so_votes_stay_bounded_on_disk(tmp_path):
    # Issue 14, point 3: the log grew without a cap.
    log = FeedbackLog(tmp_path / "feedback.jsonl", max_bytes=20_000)
    for i in range(60):
        log.record(an_answer(f"q{i} " + "x" * 5000), True)
    assert log.path.stat().st_size <= 20_000 and log.rotated.stat().st_size <= 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.jsonl", "feedback.jsonl.1", "feedback.jsonl.lock"]
    last = json.loads(log.path.read_text().splitlines()[-1])
    assert last["question"].startswith("q59 ")


def vote_from_a_replica(path: str, replica: int, votes: int, max_bytes: int) -> None:
    log = FeedbackLog(path, max_bytes=max_bytes)
    for i in range(votes):
        log.record(an_answer(f"r{replica}-{i} " + "x" * 5000), True)


def test_replicas_sharing_one_log_neither_interleave_nor_rotate_each_others_votes_away(tmp_path):
    """Four processes (as four `citewise serve` replicas on one data directory) vote at once; the log fills once, so
    exactly one rotation must happen, and every vote is in the log or its rotated copy, each line whole."""
    path, replicas, votes = tmp_path / "feedback.jsonl", 4, 40
    workers = [multiprocessing.get_context("spawn").Process(target=vote_from_a_replica, args=(str(path), r, votes, 500_000))
               for r in range(replicas)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    lines = [line for part in (path.with_name("feedback.jsonl.1"), path) for line in part.read_text().splitlines()]
    assert sorted(json.loads(line)["question"].split()[0] for line in lines) == sorted(
        f"r{r}-{i}" for r in range(replicas) for i in range(votes)
    )
