"""The `citewise` command. Subcommands mirror the layers, one module each:
``ingest``, ``index`` (build, info), ``ask``, ``serve``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click


@click.group()
@click.version_option(package_name="citewise")
@click.option("--config", type=click.Path(path_type=Path), help="TOML settings file. [default: ./citewise.toml]")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens in detail.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """citewise: answers from your documents, every claim cited.

    \b
    Example:
        citewise index build --corpus corpus/
        citewise ask "When was the defense treaty signed?"
        citewise serve
    """
    # Our own layers say what they did; libraries speak up only about problems.
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for layer in ("ingest", "index", "chat"):
        logging.getLogger(layer).setLevel(logging.DEBUG if verbose else logging.INFO)
    ctx.obj = {"config": config}


def _register() -> None:
    from chat.cli import ask, index, ingest, serve

    for module in (ingest, index, ask, serve):
        cli.add_command(module.command)


_register()


def main() -> None:
    cli()
