"""`citewise ask`: answer questions in-process, no server needed."""

from __future__ import annotations

import json
import sys

import click

from chat.plain import plain_text
from chat.cli.common import DATA_DIR, MODEL, llm_options, require_index, settings_from


@click.command("ask")
@click.argument("question", required=False)
@click.option("-f", "--file", "questions_file", type=click.File("r"), help="Ask every line of FILE ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object (one a line with -f).")
@DATA_DIR
@MODEL
@llm_options
@click.pass_context
def command(ctx, question, questions_file, as_json, data_dir, model, backend, llm_url, llm_model, llm_timeout_seconds) -> None:
    """Answer a question from the index, with numbered sources.

    \b
    Example:
        citewise ask "When was the defense treaty signed?"
        citewise ask --json -f questions.txt
        citewise ask --llm-url http://127.0.0.1:11434/v1 --llm-model llama3.2 "When was the treaty signed?"
    """
    if (question is None) == (questions_file is None):
        raise click.UsageError("Give a QUESTION or --file, not both and not neither.")
    settings = settings_from(ctx, data_dir=data_dir, model=model, backend=backend, llm_url=llm_url, llm_model=llm_model,
                             llm_timeout_seconds=llm_timeout_seconds)
    require_index(settings)  # before the model loads: seconds saved, and the fix said at once
    from chat.engine import Engine
    from chat.errors import QuestionError

    engine = Engine.from_settings(settings)
    questions = [question] if question is not None else [line for line in questions_file if line.strip()]
    failed = 0
    for text in questions:
        try:
            answer = engine.ask(text)
        except QuestionError as error:
            if questions_file is None:
                raise
            failed += 1
            click.echo(f"skipped question: {error}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            click.echo(plain_text(answer))
    if failed:
        sys.exit(1)
