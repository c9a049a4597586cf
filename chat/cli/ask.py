"""`citewise ask`: answer questions in-process, no server needed."""

from __future__ import annotations

import json
import sys

import click

from chat.cli.common import DATA_DIR, MODEL, require_index, settings_from


def _print_answer(answer) -> None:
    click.echo(answer.answer)
    if answer.citations:
        click.echo("\nSources:")
    for citation in answer.citations:
        section = f", {citation.section}" if citation.section else ""
        click.echo(f"[{citation.n}] {citation.place}{section}, paragraph {citation.paragraph}")
        click.echo(f"    “{citation.quote}”")


@click.command("ask")
@click.argument("question", required=False)
@click.option("-f", "--file", "questions_file", type=click.File("r"), help="Ask every line of FILE ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object (one a line with -f).")
@DATA_DIR
@MODEL
@click.pass_context
def command(ctx, question, questions_file, as_json, data_dir, model) -> None:
    """Answer a question from the index, with numbered sources.

    \b
    Example:
        citewise ask "When was the defense treaty signed?"
        citewise ask --json -f questions.txt
    """
    if (question is None) == (questions_file is None):
        raise click.UsageError("Give a QUESTION or --file, not both and not neither.")
    settings = settings_from(ctx, data_dir=data_dir, model=model)
    require_index(settings)  # before the model loads: seconds saved, and the fix said at once
    from chat.engine import Engine
    from chat.errors import QuestionError

    try:
        engine = Engine.from_settings(settings)
    except (FileNotFoundError, ValueError, ImportError) as error:
        raise click.ClickException(str(error)) from None
    questions = [question] if question is not None else [line for line in questions_file if line.strip()]
    failed = 0
    for text in questions:
        try:
            answer = engine.ask(text)
        except QuestionError as error:
            if questions_file is None:
                raise click.ClickException(str(error)) from None
            failed += 1
            click.echo(f"skipped question: {error}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            _print_answer(answer)
    if failed:
        sys.exit(1)
