"""What every subcommand shares: the options and the way settings and errors are handled."""

from __future__ import annotations

from pathlib import Path

import click

DATA_DIR = click.option("--data-dir", type=click.Path(path_type=Path), help="Index data directory. [default: var]")
CORPUS = click.option("--corpus", type=click.Path(path_type=Path), help="Documents folder or file. [default: corpus]")
MODEL = click.option("--model", help="Local sentence-transformers folder instead of the embedded model.")


def settings_from(ctx: click.Context, **overrides):
    """Settings from the config file and environment, with these flags on top."""
    from chat.settings import load_settings

    try:
        return load_settings(ctx.obj.get("config"), **overrides)
    except (ValueError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from None


def read_paragraphs(corpus: Path, max_words: int):
    """Read ``corpus`` and split it, reporting every problem file on stderr."""
    from ingest import read_corpus, split_paragraphs

    reading = read_corpus(corpus)
    for problem in reading.problems:
        click.echo(f"skipped {problem}", err=True)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, max_words)]
    return reading, paragraphs
