"""The corpus watcher: one rebuild signal for a burst of changes, once the folder is quiet."""

from __future__ import annotations

import threading
import time

from chat.watch import corpus_snapshot, settled_changes


def test_snapshot_sees_new_changed_and_deleted_files(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    before = corpus_snapshot(tmp_path)
    (tmp_path / "a.txt").write_text("one, edited")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("two")
    after = corpus_snapshot(tmp_path)
    assert set(after) == {str(tmp_path / "a.txt"), str(tmp_path / "sub" / "b.txt")}
    assert after[str(tmp_path / "a.txt")] != before[str(tmp_path / "a.txt")]
    (tmp_path / "a.txt").unlink()
    assert set(corpus_snapshot(tmp_path)) == {str(tmp_path / "sub" / "b.txt")}


def test_a_burst_of_changes_gives_one_signal_after_it_settles(tmp_path):
    (tmp_path / "a.txt").write_text("one")
    signals = []
    changes = settled_changes(tmp_path, debounce=0.6, poll=0.1)

    def consume():
        for _ in changes:
            signals.append(sorted(p.name for p in tmp_path.iterdir()))
            return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.3)
    for number in range(3):  # each write lands before the previous one has settled
        (tmp_path / f"new-{number}.txt").write_text("x")
        time.sleep(0.2)
    thread.join(timeout=30)
    assert signals == [["a.txt", "new-0.txt", "new-1.txt", "new-2.txt"]]
