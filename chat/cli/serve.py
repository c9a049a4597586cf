"""`citewise serve`: the chat page, the JSON API and the widget, on one port."""

from __future__ import annotations

import click

from chat.cli.common import CORPUS, DATA_DIR, MODEL, lazy_embedder, llm_options, rebuild_from_settings, require_free_port, settings_from


@click.command("serve")
@click.option("--host", help="Address to listen on. [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on. [default: 7860]")
@click.option(
    "--allow-origin",
    "allow_origins",
    multiple=True,
    metavar="URL",
    help="An origin (scheme://host[:port]) allowed to call the API and embed the widget; repeat for more. [default: none]",
)
@click.option("--token", metavar="SECRET", help="Require this token (Authorization: Bearer SECRET) for the API and the page.")
@click.option("--rate-limit", type=int, metavar="N", help="Requests a minute per client; 0 turns the limit off. [default: 30]")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="IP",
    help="A reverse proxy (address or network) whose X-Forwarded-For names the client; repeat for more. [default: none]",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="A host name the server answers to besides its bind host, localhost and IP addresses; repeat for more. "
    "[default: none]",
)
@DATA_DIR
@CORPUS
@MODEL
@llm_options
@click.pass_context
def command(ctx, host, port, allow_origins, token, rate_limit, trusted_proxies, allow_hosts, data_dir, corpus, model, backend,
            llm_url, llm_model, llm_timeout_seconds) -> None:
    """Serve the chat page at /, the JSON API at /api/ask (docs at /docs) and the widget.

    With no index in the data directory yet, one is built from the corpus first; after
    that, `citewise index rebuild` updates it and the server follows within seconds.

    \b
    Example:
        citewise serve --port 7860
        citewise serve --allow-origin http://intranet.example --token s3cret --rate-limit 30
        citewise serve --host 0.0.0.0 --allow-host chat.example --trusted-proxy 10.0.0.2
    """
    from index import REBUILD_COMMAND, DataDir

    settings = settings_from(
        ctx,
        host=host,
        port=port,
        allow_origins=list(allow_origins) or None,
        token=token,
        rate_limit=rate_limit,
        trusted_proxies=list(trusted_proxies) or None,
        allow_hosts=list(allow_hosts) or None,
        data_dir=data_dir,
        corpus=corpus,
        model=model,
        backend=backend,
        llm_url=llm_url,
        llm_model=llm_model,
        llm_timeout_seconds=llm_timeout_seconds,
    )
    # Everything that can be wrong is checked before the model and Gradio load (seconds), and before a build (minutes).
    unbuilt = DataDir(settings.data_dir).current() is None
    if unbuilt and not settings.corpus.exists():
        raise click.ClickException(
            f"No index in '{settings.data_dir}' and no documents at '{settings.corpus}' to build one from: pass "
            f"--corpus DIR (or set CITEWISE_CORPUS), or build one first with `{REBUILD_COMMAND} --corpus DIR`."
        )
    require_free_port(settings.host, settings.port)
    from chat.server import run

    embedder = None
    if unbuilt:
        # Zero setup: `citewise serve --corpus docs/` on a fresh machine indexes docs/ first,
        # and serves with the model that build loaded.
        click.echo(f"no index in {settings.data_dir} yet: building one from {settings.corpus}", err=True)
        embedder = lazy_embedder(settings)
        click.echo(rebuild_from_settings(settings, embedder, force=False).summary(), err=True)
    run(settings, embedder)
