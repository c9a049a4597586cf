"""The `citewise` command. Subcommands mirror the layers, one module each:
``ingest``, ``index``, ``ask``, ``serve``, ``mcp``, ``eval``, ``settings``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

_LAYERS = ("ingest", "index", "chat")


class _Citewise(click.Group):
    """The group that turns every error a user can fix into one line on stderr and exit 1,
    here and nowhere else; any other exception is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context):
        from ingest import CitewiseError

        try:
            return super().invoke(ctx)
        except CitewiseError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Citewise)
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
    # Our own layers say what they did; libraries speak up only about problems. A filter,
    # not logger levels: bm25s resets its own logger to DEBUG when it is (lazily) imported.
    ours = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=ours, format="%(levelname)s %(name)s: %(message)s")
    theirs = logging.DEBUG if verbose else logging.WARNING

    def speaks(record: logging.LogRecord) -> bool:
        own = record.name.split(".")[0] in _LAYERS
        return record.levelno >= (ours if own else theirs)

    for handler in logging.getLogger().handlers:
        handler.addFilter(speaks)
    ctx.obj = {"config": config}


def _register() -> None:
    from chat.cli import ask, eval, index, ingest, mcp, serve, settings

    for module in (ingest, index, ask, serve, mcp, settings, eval):
        cli.add_command(module.command)


_register()


def main() -> None:
    cli()
