"""What every subcommand shares: the options and the way settings and errors are handled."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import click

DATA_DIR = click.option("--data-dir", type=click.Path(path_type=Path), help="Index data directory. [default: var]")
CORPUS = click.option("--corpus", type=click.Path(path_type=Path), help="Documents folder or file. [default: corpus]")


def MODEL(command):
    """``--model`` and ``--backend``: the embedding model and the engine that runs it."""
    from index import BACKENDS, IndexConfig

    command = click.option(
        "--backend", help=f"Engine that runs the model: {', '.join(BACKENDS)}. [default: {IndexConfig.backend}]"
    )(command)
    return click.option("--model", help="Local sentence-transformers folder instead of the embedded model.")(command)


def llm_options(command):
    """``--llm-url``, ``--llm-model``, ``--llm-timeout``: answers written by the user's LLM (its key: CITEWISE_LLM_API_KEY)."""
    for option in reversed((
        click.option("--llm-url", metavar="URL", help="OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1) that writes "
                     "the answers, each sentence checked against its source; key from CITEWISE_LLM_API_KEY. [default: none]"),
        click.option("--llm-model", metavar="NAME", help="Model name to ask at --llm-url. [default: default]"),
        click.option("--llm-timeout", "llm_timeout_seconds", type=float, metavar="SECONDS",
                     help="Past this the extractive answer is served. [default: 20]"),
    )):
        command = option(command)
    return command


def settings_from(ctx: click.Context, **overrides):
    """Settings from the config file and environment, with these flags on top."""
    from chat.settings import load_settings

    return load_settings(ctx.obj.get("config"), **overrides)


def to_stderr(line: str) -> None:
    """Tell the person at the terminal, apart from the command's output (a file skipped, a wait)."""
    click.echo(line, err=True)


def say_waiting(pid: int | None) -> None:
    to_stderr(f"another rebuild (pid {pid or 'unknown'}) is running; waiting...")


def lazy_embedder(settings):
    """The model, loaded only when a rebuild has something to embed."""
    from chat.engine import embedder_for
    from index import LazyEmbedder

    return LazyEmbedder(settings.model, lambda: embedder_for(settings), settings.backend)


def rebuild_from_settings(settings, embedder, force: bool, wait: bool = True):
    """``index.rebuild_corpus`` of ``settings.corpus`` into ``settings.data_dir``, built as the settings say,
    every skipped file and a wait for another rebuild told on stderr; returns its ``BuildReport``."""
    from index import DataDir, rebuild_corpus

    return rebuild_corpus(
        settings.corpus, DataDir(settings.data_dir), settings.index_config(), embedder, keep_versions=settings.keep_versions,
        force=force, wait=wait, on_wait=say_waiting, build_threads=settings.build_threads, on_problem=to_stderr,
    )


def require_index(settings) -> None:
    """Stop, before any model loads, when ``settings.data_dir`` holds no index version yet."""
    from index import DataDir

    DataDir(settings.data_dir).current_path()  # an IndexNotFoundError says how to build one


def require_free_port(host: str, port: int) -> None:
    """Stop, before any model loads, when ``host:port`` cannot be listened on (taken, or not this machine's)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise click.ClickException(
            f"Cannot listen on {host!r}: {error.strerror}. Give an address of this machine with --host (or CITEWISE_HOST), "
            "e.g. 127.0.0.1 or 0.0.0.0."
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closing socket is no obstacle
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"Port {port} on {host} is already in use (another `citewise serve`?). Stop that, or pick a free port: "
                    "--port 8000, CITEWISE_PORT=8000 or `make run PORT=8000`."
                ) from None
            raise click.ClickException(
                f"Cannot listen on {host}:{port}: {error.strerror}. Pick another with --port (or CITEWISE_PORT), "
                "or another address with --host (or CITEWISE_HOST)."
            ) from None
