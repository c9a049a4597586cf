"""`citewise ingest`: show what the corpus splits into."""

from __future__ import annotations

import json
from pathlib import Path

import click

from chat.cli.common import CORPUS, settings_from, to_stderr


@click.command("ingest")
@CORPUS
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object a paragraph.")
@click.pass_context
def command(ctx: click.Context, corpus: Path | None, as_json: bool) -> None:
    """Read the corpus and show the paragraphs it splits into.

    \b
    Example:
        citewise ingest --corpus corpus/ --json | head
    """
    from index import read_paragraphs

    settings = settings_from(ctx, corpus=corpus)
    reading, paragraphs = read_paragraphs(settings.corpus, settings.max_words, progress=True, on_problem=to_stderr)
    for paragraph in paragraphs:
        if as_json:
            click.echo(json.dumps(paragraph.to_dict(), ensure_ascii=False))
        else:
            section = f" [{paragraph.section}]" if paragraph.section else ""
            click.echo(f"{paragraph.key}{section} ({paragraph.kind}): {paragraph.text[:100]!r}")
    click.echo(
        f"{len(reading.documents)} documents, {len(paragraphs)} paragraphs, {len(reading.problems)} problems",
        err=True,
    )
