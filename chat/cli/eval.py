"""`citewise eval`: retrieval and answer figures on a BEIR-layout test collection."""

from __future__ import annotations

import time
from pathlib import Path

import click

from chat.cli.common import DATA_DIR, MODEL, settings_from

_EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)


def _print_figures(figures: dict[str, float]) -> None:
    for name, value in figures.items():
        click.echo(f"{name:<21} {value:d}" if name == "queries" else f"{name:<21} {value:.4f}")


@click.command("eval")
@click.option("--corpus", required=True, type=_EXISTING, help="BEIR corpus.jsonl: one document a line with id, title, text.")
@click.option("--queries", "queries_file", required=True, type=_EXISTING, help="BEIR queries.jsonl: id, text.")
@click.option("--qrels", required=True, type=_EXISTING, help="BEIR qrels TSV: query-id, corpus-id, score (header optional).")
@click.option("--answers", "answers_file", type=_EXISTING, help="JSONL of id, answers: also score answer-in-top-k.")
@click.option(
    "--unanswerable", "unanswerable_file", type=_EXISTING,
    help="Query ids (one a line) the corpus cannot answer: also score how many are refused.",
)
@click.option("--run", "run_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="TREC run file to write.")
@click.option("--depth", default=100, show_default=True, type=click.IntRange(1), help="Documents ranked per query.")
@click.option("--fusion", help="Override the fusion method: linear, rrf, dense or lexical.")
@click.option("--lexical-weight", type=float, help="Override the BM25 weight in the fusion.")
@click.option("--candidates", type=int, help="Override the candidates taken from each side.")
@DATA_DIR
@MODEL
@click.pass_context
def command(ctx, corpus, queries_file, qrels, answers_file, unanswerable_file, run_file, depth, fusion, lexical_weight, candidates, data_dir, model,
            backend):
    """Evaluate retrieval on a BEIR-layout collection and write a TREC run.

    Builds an index of CORPUS (or reuses the one already built for it), ranks DEPTH
    documents for every query with the configured fusion, writes the run
    (`qid Q0 docid rank score tag`) and prints nDCG@k, recall@k and MRR@k as BEIR
    computes them, the share of queries the answer step would refuse, and, with
    --answers, how often an answer string is in the top 1/5/10 documents, in the
    composed answer and in its first sentence, and how many answerable queries are
    refused; with --unanswerable, how many of the listed queries are refused.
    The index lives in --data-dir if given, else in <data_dir>/eval/<corpus fingerprint>.

    \b
    Example:
        citewise eval --corpus squad/corpus.jsonl --queries squad/queries.jsonl \\
            --qrels squad/qrels.tsv --answers squad/answers.jsonl --run squad.trec
        citewise eval ... --fusion lexical --run bm25.trec
    """
    from chat.beir import read_answers, read_ids, read_qrels, read_queries, write_trec_run
    from chat.engine import embedder_for
    from chat.evaluation import corpus_index, run_queries, summarise

    settings = settings_from(ctx, model=model, backend=backend, fusion=fusion, lexical_weight=lexical_weight, candidates=candidates)
    queries, judgments = read_queries(queries_file), read_qrels(qrels)
    answers = read_answers(answers_file) if answers_file else None
    unanswerable = read_ids(unanswerable_file) if unanswerable_file else set()
    embedder = embedder_for(settings)
    index = corpus_index(corpus, data_dir, embedder, settings)
    started = time.perf_counter()
    vectors = embedder.encode(list(queries.values()), progress=True)
    results = run_queries(index, queries, vectors, settings, depth)
    elapsed = time.perf_counter() - started
    tag = f"citewise-{settings.fusion}" + (f"-{settings.lexical_weight:g}" if settings.fusion in ("linear", "rrf") else "")
    write_trec_run({query: result.ranking for query, result in results.items()}, run_file, tag)
    unjudged = sum(query not in judgments for query in queries)
    click.echo(
        f"{len(queries)} queries ({unjudged} without judgments, not scored), {len(index)} paragraphs, "
        f"fusion {tag}, {elapsed:.0f} s for embedding and search; run written to {run_file}"
    )
    _print_figures(summarise(index, results, judgments, answers, unanswerable))
