"""`citewise index ...`: rebuild, list, roll back and inspect index versions."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import click

from chat.cli.common import CORPUS, DATA_DIR, MODEL, lazy_embedder, rebuild_from_settings, say_waiting, settings_from


def rebuild_embedder(settings):
    """The model a rebuild embeds with: actors on the Ray cluster at ``settings.ray_address`` (connected and
    checked now, before anything changes; a context manager that stops them), else ``lazy_embedder``."""
    if not settings.ray_address:
        return lazy_embedder(settings)
    from index import RayEmbedder

    return RayEmbedder(settings.ray_address, settings.model, settings.batch_size, settings.backend, settings.models_folder())


@click.group("index")
def command() -> None:
    """Build, inspect and roll back the search index."""


@command.command("rebuild")
@CORPUS
@DATA_DIR
@MODEL
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object a rebuild (added, changed, deleted, unchanged, embedded, version...).")
@click.option("--no-wait", is_flag=True, help="If another rebuild is running, refuse instead of waiting for it.")
@click.option("--force", is_flag=True, help="Write a new version even if nothing changed.")
@click.option("--watch", is_flag=True, help="Keep running and rebuild whenever the corpus changes (Ctrl-C stops).")
@click.option("--strict", is_flag=True, help="Exit with 1 if any file of the corpus was skipped (the index is still built).")
@click.option("--ray-address", metavar="ADDRESS", help="Embed on this Ray cluster (its head's host:port, or auto). [default: this machine]")
@click.pass_context
def rebuild(
    ctx, corpus: Path | None, data_dir: Path | None, model: str | None, backend: str | None, as_json: bool, no_wait: bool, force: bool, watch: bool,
    strict: bool, ray_address: str | None,
) -> None:
    """Bring the index up to date with the corpus, embedding only what is new.

    Paragraphs are compared with the serving version by content; vectors of texts
    seen before come from the embedding cache. The new version is verified before
    it starts serving; a running `citewise serve` picks it up within seconds. Files that
    cannot be read are named on stderr and counted in the summary; with --strict, any
    such file makes the exit code 1.

    \b
    Example:
        citewise index rebuild --corpus corpus/
        citewise index rebuild --json --no-wait
        citewise index rebuild --strict
        citewise index rebuild --watch
        citewise index rebuild --ray-address 10.0.0.5:6379
    """
    settings = settings_from(ctx, corpus=corpus, data_dir=data_dir, model=model, backend=backend, ray_address=ray_address)
    embedder = rebuild_embedder(settings)
    with embedder if settings.ray_address else nullcontext():  # the actors stop, the cluster stays
        _rebuild_and_watch(settings, embedder, force, not no_wait, as_json, watch, strict)


def _rebuild_and_watch(settings, embedder, force: bool, wait: bool, as_json: bool, watch: bool, strict: bool) -> None:
    def rebuild_once() -> None:
        from ingest import CitewiseError

        try:
            report = rebuild_from_settings(settings, embedder, force, wait=wait)
        except CitewiseError as error:
            if not watch:
                raise
            click.echo(f"Error: {error}", err=True)  # a watcher reports and keeps watching
            return
        click.echo(json.dumps(report.to_dict()) if as_json else report.summary())
        skipped = report.manifest.skipped
        if strict and skipped and not watch:
            raise click.ClickException(
                f"{len(skipped)} file{'s' if len(skipped) != 1 else ''} of the corpus skipped (--strict): "
                + "; ".join(f"{s['file']}: {s['reason']}" for s in skipped)
            )

    if not watch:
        rebuild_once()
        return
    from chat.watch import settled_changes

    # Watching starts before the first rebuild, so a file dropped in meanwhile is not missed.
    changes = settled_changes(settings.corpus, settings.watch_debounce_seconds)
    try:
        rebuild_once()
        click.echo(f"watching {settings.corpus} for changes (Ctrl-C to stop)", err=True)
        for _ in changes:
            rebuild_once()
    except KeyboardInterrupt:
        click.echo("stopped watching", err=True)


@command.command("build")
@CORPUS
@DATA_DIR
@MODEL
@click.pass_context
def build(ctx: click.Context, corpus: Path | None, data_dir: Path | None, model: str | None, backend: str | None) -> None:
    """Build a new index version from the corpus and switch to it, even if nothing changed.

    The same as `citewise index rebuild --force`; texts seen before still come from the cache.

    \b
    Example:
        citewise index build --corpus corpus/ --data-dir var/
    """
    settings = settings_from(ctx, corpus=corpus, data_dir=data_dir, model=model, backend=backend)
    manifest = rebuild_from_settings(settings, lazy_embedder(settings), force=True).manifest
    click.echo(
        f"built {manifest.version}: {manifest.documents} documents, {manifest.paragraphs} paragraphs, "
        f"{manifest.sentences} sentences in {settings.data_dir}"
    )


@command.command("list")
@DATA_DIR
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object a version.")
@click.option("--check", is_flag=True, help="Load and verify every version, each part against its checksum, not just its manifest.")
@click.pass_context
def list_(ctx: click.Context, data_dir: Path | None, as_json: bool, check: bool) -> None:
    """List the index versions on disk, oldest first; `*` marks the serving one.

    Exits with 1 if a version is damaged or unreadable, or CURRENT names no version.

    \b
    Example:
        citewise index list --check
    """
    from index import FORMAT_VERSION, REBUILD_COMMAND, DataDir, list_versions

    settings = settings_from(ctx, data_dir=data_dir)
    data = DataDir(settings.data_dir)
    infos = list_versions(data, check)
    pointer_problem = data.pointer_problem()
    if not infos and not as_json:
        click.echo(f"no index versions in {settings.data_dir}: run `{REBUILD_COMMAND}` first")
    for info in infos:
        if as_json:
            click.echo(json.dumps(info.to_dict()))
            continue
        mark = "*" if info.serving else " "
        if info.manifest is None:
            click.echo(f"{mark} {info.version}  UNREADABLE: {info.problem}")
        else:
            m = info.manifest
            old = f"  format {m.format_version}: rebuild to serve it" if m.format_version != FORMAT_VERSION else ""
            click.echo(f"{mark} {info.version}  {m.created_at}  {m.documents} documents, {m.paragraphs} paragraphs  corpus {m.corpus_fingerprint}{old}")
    damaged = [info.version for info in infos if info.problem]
    if pointer_problem:
        good = [i.version for i in infos if not i.problem and i.manifest.format_version == FORMAT_VERSION]
        then = (f" `citewise ask` and `serve` use the newest good version instead; `citewise index rollback {good[-1]}` "
                "(or a rebuild) repairs it.") if good else f" No version here can be served: run `{REBUILD_COMMAND}`."
        click.echo(f"Error: {pointer_problem}{then}", err=True)
    if damaged:
        click.echo(f"Error: damaged index versions: {', '.join(damaged)} (see above); rebuild, or roll back to a good one.", err=True)
    if pointer_problem or damaged:
        ctx.exit(1)


@command.command("rollback")
@click.argument("version", required=False)
@DATA_DIR
@click.pass_context
def rollback(ctx: click.Context, version: str | None, data_dir: Path | None) -> None:
    """Serve VERSION again (by default the version before the serving one).

    The version is checked before the switch; a running server follows within seconds.

    \b
    Example:
        citewise index rollback
        citewise index rollback v0003
    """
    from index import DataDir, rollback_index

    settings = settings_from(ctx, data_dir=data_dir)
    previous, now = rollback_index(DataDir(settings.data_dir), version, on_wait=say_waiting)
    click.echo(f"{now} is serving (was {previous})")


@command.command("info")
@DATA_DIR
@click.pass_context
def info(ctx: click.Context, data_dir: Path | None) -> None:
    """Show the serving index version's manifest as JSON, with the files it skipped and their count.

    \b
    Example:
        citewise index info
    """
    from index import DataDir, Manifest

    settings = settings_from(ctx, data_dir=data_dir)
    data = DataDir(settings.data_dir)
    if data.pointer_problem() and data.current():
        click.echo(f"warning: {data.pointer_problem()} Showing {data.current()}, the newest version.", err=True)
    manifest = Manifest.load(data.current_path())
    click.echo(json.dumps({**asdict(manifest), "skipped_count": len(manifest.skipped)}, indent=2))
