"""What every benchmark shares: timing, percentiles, memory and disk size, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

_LIBRARIES = ("torch", "sentence-transformers", "faiss-cpu", "bm25s", "numpy", "gradio", "fastapi", "uvicorn")


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``samples``, by linear interpolation."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(samples: list[float]) -> dict[str, float]:
    """p50, p95 and mean of durations in seconds, as milliseconds."""
    return {
        "n": len(samples),
        "p50_ms": 1000 * percentile(samples, 50),
        "p95_ms": 1000 * percentile(samples, 95),
        "mean_ms": 1000 * statistics.fmean(samples),
    }


def timed(function: Callable[[], object]) -> float:
    """Seconds one call of ``function`` takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed:`` ... ``elapsed()`` is the seconds since the block began."""
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


def interleaved(calls: dict[str, Callable[[], object]], rounds: int, offset: int = 0) -> dict[str, list[float]]:
    """Time each call once per round, alternating which goes first, so drift hits all alike.

    Args:
        offset: Added to the round number to pick the order: pass a loop counter when
            calling with ``rounds=1`` so that successive calls alternate too.
    """
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(offset, offset + rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            samples[name].append(timed(calls[name]))
    return samples


def reset_peak_rss() -> None:
    """Start measuring peak memory from now (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def size_mb(path: Path) -> float:
    """Bytes under ``path`` (a file or a folder), in MiB."""
    path = Path(path)
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def machine() -> dict[str, str]:
    """What the figures were measured on: cores, CPU, memory, Python and library versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "unknown")
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    versions = []
    for name in _LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{name} {metadata.version(name)}")
    return {
        "cores": str(os.cpu_count()),
        "cpu": f"{model} ({', '.join(f for f in ('avx2', 'avx512f') if f in flags) or 'no AVX2'})",
        "memory": f"{memory_kb / 2**20:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": ", ".join(versions),
        "load": "load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
