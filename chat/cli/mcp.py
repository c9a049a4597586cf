"""`citewise mcp`: the index as an MCP server on stdio, with the tools ``ask`` and ``search``."""

from __future__ import annotations

import click

from chat.cli.common import DATA_DIR, MODEL, llm_options, require_index, settings_from


@click.command("mcp")
@DATA_DIR
@MODEL
@llm_options
@click.pass_context
def command(ctx, data_dir, model, backend, llm_url, llm_model, llm_timeout_seconds) -> None:
    """Serve the tools `ask` and `search` to an MCP client over stdin/stdout.

    \b
    Example (an MCP client's server entry):
        {"command": "citewise", "args": ["mcp", "--data-dir", "/srv/citewise/var"]}
    """
    settings = settings_from(ctx, data_dir=data_dir, model=model, backend=backend, llm_url=llm_url, llm_model=llm_model,
                             llm_timeout_seconds=llm_timeout_seconds)
    require_index(settings)
    from chat.engine import Engine
    from chat.mcp_server import mcp_server

    engine = Engine.from_settings(settings)
    engine.follow_current(settings.reload_seconds)
    mcp_server(engine).run("stdio")
