"""`citewise serve`: the chat page, the JSON API and the widget, on one port."""

from __future__ import annotations

import click

from chat.cli.common import CORPUS, DATA_DIR, MODEL, settings_from


@click.command("serve")
@click.option("--host", help="Address to listen on. [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on. [default: 7860]")
@DATA_DIR
@CORPUS
@MODEL
@click.pass_context
def command(ctx, host, port, data_dir, corpus, model) -> None:
    """Serve the chat page, the JSON API and the widget.

    \b
    Example:
        citewise serve --port 7860
    """
    from chat.server import run

    settings = settings_from(ctx, host=host, port=port, data_dir=data_dir, corpus=corpus, model=model)
    try:
        run(settings)
    except (FileNotFoundError, ValueError, ImportError) as error:
        raise click.ClickException(str(error)) from None
