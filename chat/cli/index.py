"""`citewise index ...`: build and inspect index versions."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from chat.cli.common import CORPUS, DATA_DIR, MODEL, read_paragraphs, settings_from


@click.group("index")
def command() -> None:
    """Build and inspect the search index."""


@command.command("build")
@CORPUS
@DATA_DIR
@MODEL
@click.pass_context
def build(ctx: click.Context, corpus: Path | None, data_dir: Path | None, model: str | None) -> None:
    """Build a new index version from the corpus and switch to it.

    \b
    Example:
        citewise index build --corpus corpus/ --data-dir var/
    """
    from index import DataDir, Embedder, build_index

    settings = settings_from(ctx, corpus=corpus, data_dir=data_dir, model=model)
    try:
        reading, paragraphs = read_paragraphs(settings.corpus, settings.max_words)
        embedder = Embedder(settings.model or None, settings.batch_size)
        manifest = build_index(
            paragraphs,
            DataDir(settings.data_dir),
            embedder,
            chunking={"max_words": settings.max_words},
            documents=len(reading.documents),
            keep_versions=settings.keep_versions,
        )
    except (FileNotFoundError, ValueError, ImportError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"built {manifest.version}: {manifest.documents} documents, {manifest.paragraphs} paragraphs, "
        f"{manifest.sentences} sentences in {settings.data_dir}"
    )


@command.command("info")
@DATA_DIR
@click.pass_context
def info(ctx: click.Context, data_dir: Path | None) -> None:
    """Show the serving index version's manifest as JSON.

    \b
    Example:
        citewise index info
    """
    from index import DataDir, Manifest

    settings = settings_from(ctx, data_dir=data_dir)
    try:
        manifest = Manifest.load(DataDir(settings.data_dir).current_path())
    except (FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(asdict(manifest), indent=2))
