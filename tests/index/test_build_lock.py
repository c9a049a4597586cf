"""One rebuild at a time: a second one refuses or waits; a dead holder frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from index import BuildLock, IndexBusyError
from tests.conftest import REPO


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    path = tmp_path / "build.lock"
    with BuildLock(path).acquire():
        with pytest.raises(IndexBusyError, match=rf"pid {os.getpid()}\).*--no-wait"):
            BuildLock(path).acquire(wait=False)
    with BuildLock(path).acquire(wait=False):
        assert BuildLock(path).holder() == os.getpid()


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    path = tmp_path / "build.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from index import BuildLock; lock = BuildLock({str(path)!r}).acquire(); print('held', flush=True); import time; time.sleep(600)"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError, match=f"pid {holder.pid}"):
            BuildLock(path).acquire(wait=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    BuildLock(path).acquire(wait=False).release()


def test_a_waiting_holder_is_told_who_it_waits_for(tmp_path):
    import threading

    path = tmp_path / "build.lock"
    waited_for = []
    first = BuildLock(path).acquire()
    second = BuildLock(path)
    thread = threading.Thread(target=second.acquire, kwargs={"on_wait": waited_for.append})
    thread.start()
    while not waited_for and thread.is_alive():
        time.sleep(0.05)
    assert waited_for == [os.getpid()] and thread.is_alive()
    first.release()
    thread.join(timeout=30)
    assert not thread.is_alive()
    second.release()
