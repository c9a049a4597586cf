"""Generated answers next to extractive ones for the article's questions, and the share of
generated sentences the check dropped.

    python -m tests.real_llm --port 8081 &      # or any OpenAI-compatible server
    python -m bench.generated_answers --llm-url http://127.0.0.1:8081/v1 [--questions 10]

Uses the serving index of ``--data-dir`` (default ``var``, `make index` builds it). Prints a
Markdown table (question, extractive answer, generated answer or why it fell back) and the totals.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from chat.engine import Engine
from chat.generation import generate
from chat.grounding import GroundedDraft
from chat.prompt import grounded_messages
from chat.settings import load_settings

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "article_questions.jsonl"


class _Noted(logging.Handler):
    """Keeps the warnings of ``chat.generation``: why an answer fell back to the extractive one."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm-url", required=True)
    parser.add_argument("--llm-model", default="default")
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--max-tokens", type=int, default=150)
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir, llm_url=args.llm_url, llm_model=args.llm_model,
                             llm_timeout_seconds=args.timeout, llm_max_tokens=args.max_tokens)
    failures: list[str] = []
    logging.getLogger("chat.generation").addHandler(_Noted(failures))
    engine = Engine.from_settings(settings)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()[: args.questions]]
    kept = dropped = served = 0
    print("| question | extractive | generated (checked) |\n|---|---|---|")
    for question in questions:
        composed = engine.extractive(question)
        extractive = composed.answer
        if not extractive.answered:
            print(f"| {cell(question)} | {cell(extractive.answer)} | (refused first: the LLM is not asked) |")
            continue
        draft = GroundedDraft(composed.hits, composed.index, engine.embedder, settings.llm_min_support)
        failed = len(failures)
        *_, answer = generate(engine.llm, grounded_messages(question, composed.hits), draft, extractive)
        kept, dropped = kept + len(draft.kept), dropped + draft.dropped
        served += answer.mode == "generated"
        why = failures[-1] if len(failures) > failed else "nothing it wrote was supported"
        said = answer.answer if answer.mode == "generated" else f"(extractive served: {why}; the model wrote: {draft.text.strip()})"
        print(f"| {cell(question)} | {cell(extractive.answer)} | {cell(said)} |")
    total = kept + dropped
    print(f"\n{served} of {len(questions)} answers generated; the check kept {kept} and dropped {dropped} of {total} "
          f"generated sentences ({dropped / total:.0%} dropped)." if total else "\nNo sentence was generated.")


if __name__ == "__main__":
    main()
