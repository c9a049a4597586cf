"""Replicas: `citewise serve` processes on one data directory behind Debian's nginx, configured as docs/operations.md says.

A client asks without pause while one replica is killed and started again and a rebuild is published: it sees no
failed request, and both replicas move to the new version within about ``reload_seconds`` of each other. Behind the
proxy, the rate limit counts the client nginx names, never nginx itself or what a client claims to be.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, REPO
from tests.live_server import AskingClient, free_port, running_server, serving_version

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="needs nginx (make nginx installs it)")

# nginx connects to the replicas from this address, the one they trust; clients come from 127.0.0.1 (or .3).
PROXY_ADDRESS = "127.0.0.2"
RELOAD_SECONDS = 0.5
QUESTION = "When was the defense treaty signed?"
NEW_DOC = "Zephyr Harbour\n\nThe Zephyr Harbour lighthouse was painted teal in 1931 by its keeper, Mira Olsen."
_WAIT_SECONDS = 120


def documented_nginx_config() -> str:
    """The nginx configuration of docs/operations.md, exactly as an operator copies it."""
    text = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


@contextlib.contextmanager
def running_nginx(folder: Path, replica_ports: list[int]):
    """nginx in the foreground with the documented configuration, the documented replica addresses swapped for
    ``replica_ports`` on loopback; yields its URL and its access log (``uri|status|replicas tried``); stopped after."""
    config = documented_nginx_config()
    documented = re.findall(r"server (10\.0\.0\.\d+:7860)", config)
    for address, port in zip(dict.fromkeys(documented), replica_ports, strict=True):
        config = config.replace(f"server {address} ", f"server 127.0.0.1:{port} ")
    port = free_port()
    config = config.replace("listen 80;", f"listen 127.0.0.1:{port};\n    proxy_bind {PROXY_ADDRESS};")
    folder.mkdir(parents=True, exist_ok=True)
    access_log = folder / "upstreams.log"
    (folder / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  log_format upstreams '$request_uri|$status|$upstream_addr';\n"
        f"  access_log {access_log} upstreams;\n"
        + "".join(f"  {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + config + "}\n"
    )
    process = subprocess.Popen([NGINX, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(folder / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/healthz", timeout=5)
                break
            assert process.poll() is None and time.monotonic() < deadline, (folder / "error.log").read_text()
            time.sleep(0.1)
        yield url, access_log
    finally:
        process.terminate()
        process.wait(timeout=15)


def replica(data_dir: Path, corpus: Path, port: int, *args: str):
    return running_server(data_dir, "--corpus", str(corpus), "--trusted-proxy", PROXY_ADDRESS, *args, port=port,
                          env={"CITEWISE_RELOAD_SECONDS": str(RELOAD_SECONDS)})


def switch_times(urls: list[str], version: str) -> dict[str, float]:
    """When (time.monotonic()) each replica first names ``version`` on /healthz, polled every 50 ms."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + _WAIT_SECONDS
    while len(seen) < len(urls) and time.monotonic() < deadline:
        for url in urls:
            if url not in seen and serving_version(url) == version:
                seen[url] = time.monotonic()
        time.sleep(0.05)
    return seen


@pytest.mark.slow
def test_a_replica_killed_and_restarted_and_a_rebuild_published_fail_no_request(copy_data_dir, tmp_path):
    corpus = shutil.copytree(CORPUS, tmp_path / "corpus")
    port_a, port_b = free_port(), free_port()
    with replica(copy_data_dir, corpus, port_a, "--rate-limit", "0") as first, \
            replica(copy_data_dir, corpus, port_b, "--rate-limit", "0") as second, \
            running_nginx(tmp_path / "nginx", [port_a, port_b]) as (balancer, upstreams):
        client = AskingClient(balancer, QUESTION)
        client.start()
        try:
            time.sleep(2)
            first.process.send_signal(signal.SIGKILL)  # no goodbye: requests in flight on it are cut
            first.process.wait(timeout=30)
            time.sleep(2)
            with replica(copy_data_dir, corpus, port_a, "--rate-limit", "0") as restarted:
                assert serving_version(restarted.url) == "v0001"
                (corpus / "zephyr.txt").write_text(NEW_DOC)
                rebuild = subprocess.run(
                    [sys.executable, "-m", "chat", "index", "rebuild", "--json", "--corpus", str(corpus), "--data-dir",
                     str(copy_data_dir)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                    text=True, timeout=600,
                )
                published = time.monotonic()
                assert rebuild.returncode == 0, rebuild.stderr
                switched = switch_times([restarted.url, second.url], "v0002")
                assert len(switched) == 2, (restarted.output(), second.output())
                served_then = client.served
                while client.served < served_then + 5 and time.monotonic() < published + _WAIT_SECONDS:
                    time.sleep(0.1)
        finally:
            client.stop.set()
            client.join(timeout=120)
        answer = httpx.post(f"{balancer}/api/ask", json={"question": "What colour was the Zephyr Harbour lighthouse painted?"},
                            timeout=60).json()
    window = max(switched.values()) - min(switched.values())
    asked = [line.split("|") for line in upstreams.read_text().splitlines() if line.startswith("/api/ask|")]
    per_replica = Counter(tried.split(", ")[-1] for _, _, tried in asked)
    print(f"\nreplicas: {client.served} questions answered through nginx, {len(client.failures)} failed; answered by "
          f"{dict(per_replica)}, {sum(', ' in tried for _, _, tried in asked)} after a retry; both on v0002 "
          f"{max(switched.values()) - published:.2f} s after the rebuild ended, "
          f"two versions served for {window:.2f} s (reload_seconds {RELOAD_SECONDS})")
    assert client.failures == [] and client.served > served_then
    assert answer["answered"] and "teal" in answer["answer"], answer
    assert window <= RELOAD_SECONDS + 2, "each replica checks CURRENT every reload_seconds, and loads the version then"
    assert any(", " in tried for _, _, tried in asked), "nginx sent some question to the killed replica first, then on"


def test_behind_the_proxy_the_rate_limit_counts_the_client_it_names_not_what_a_client_claims(copy_data_dir, tmp_path):
    port = free_port()
    with replica(copy_data_dir, CORPUS, port, "--rate-limit", "2"), \
            running_nginx(tmp_path / "nginx", [port, port]) as (balancer, _):
        def ask(client: httpx.Client, **headers) -> int:
            return client.post("/api/ask", json={"question": QUESTION}, headers=headers, timeout=60).status_code

        with httpx.Client(base_url=balancer) as first, \
                httpx.Client(base_url=balancer, transport=httpx.HTTPTransport(local_address="127.0.0.3")) as other:
            assert [ask(first), ask(first)] == [200, 200]
            assert ask(first) == 429, "nginx names the same client each time: its limit is used up"
            assert ask(first, **{"X-Forwarded-For": "198.51.100.7"}) == 429, "a client cannot claim to be another"
            assert ask(other) == 200, "another client, behind the same proxy, has its own limit"
