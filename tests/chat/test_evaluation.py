"""`citewise eval` on a tiny BEIR collection written here: index reuse, the TREC run, the figures."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from chat.beir import read_qrels
from chat.cli import cli

DOCUMENTS = [
    ("volcano", "Volcanoes", "A volcano is a rupture in the crust of a planet where lava, ash and gases escape. "
     "Mount Etna in Sicily is one of the most active volcanoes in Europe."),
    ("bread", "Baking bread", "Sourdough bread rises because wild yeast and lactic acid bacteria ferment the dough. "
     "A loaf bakes for about forty minutes in a hot oven."),
    ("chess", "Chess", "Chess is a board game for two players on a checkered board of sixty-four squares. "
     "The queen is the most powerful piece; the king must be protected from checkmate."),
    ("comet", "Comets", "A comet is an icy body that releases gas when it passes close to the Sun. "
     "Halley's Comet returns to the inner Solar System about every seventy-six years.",),
    ("long", "A long record", " ".join(f"Sentence number {n} talks about rivers and bridges." for n in range(60))),
]
QUERIES = {
    "q1": "Which volcano in Sicily is very active?",
    "q2": "Why does sourdough rise?",
    "q3": "How many squares does a chess board have?",
    "q4": "How often does Halley's Comet come back?",
    "q5": "What is the capital of Peru?",  # judged relevant nowhere it could be found: scores 0
}
QRELS = {"q1": "volcano", "q2": "bread", "q3": "chess", "q4": "comet", "q5": "chess"}
ANSWERS = {"q1": ["Mount Etna"], "q2": ["wild yeast"], "q3": ["sixty-four"], "q4": ["seventy-six years"], "q5": ["Lima"]}


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    folder = tmp_path_factory.mktemp("beir")
    with open(folder / "corpus.jsonl", "w") as handle:
        for doc, title, text in DOCUMENTS:
            handle.write(json.dumps({"id": doc, "title": title, "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w") as handle:
        handle.writelines(json.dumps({"id": q, "text": t}) + "\n" for q, t in QUERIES.items())
    (folder / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in QRELS.items()))
    with open(folder / "answers.jsonl", "w") as handle:
        handle.writelines(json.dumps({"id": q, "answers": a}) + "\n" for q, a in ANSWERS.items())
    return folder


def run_eval(collection, tmp_path, *extra):
    args = ["eval", "--corpus", collection / "corpus.jsonl", "--queries", collection / "queries.jsonl",
            "--qrels", collection / "qrels.tsv", "--run", tmp_path / "out.trec", "--data-dir", collection / "var", *extra]
    return CliRunner().invoke(cli, [str(a) for a in args])


def figures(output: str) -> dict[str, float]:
    return {name: float(value) for name, value in re.findall(r"^([A-Za-z][\w@ ]*?) +(\d+(?:\.\d+)?)$", output, re.M)}


@pytest.fixture(scope="module")
def first_run(collection, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("run")
    result = run_eval(collection, tmp_path, "--answers", collection / "answers.jsonl")
    assert result.exit_code == 0, result.output
    return result, (tmp_path / "out.trec").read_text().splitlines()


def test_run_file_is_trec_with_every_document_once_per_query(first_run):
    _, lines = first_run
    rows = [line.split() for line in lines]
    assert all(len(row) == 6 and row[1] == "Q0" for row in rows)
    for query in QUERIES:
        ranked = [row for row in rows if row[0] == query]
        docs = [row[2] for row in ranked]
        # The long record splits into several paragraphs; the run still lists it once.
        assert sorted(docs) == sorted(d for d, *_ in DOCUMENTS)
        assert [int(row[3]) for row in ranked] == list(range(1, len(DOCUMENTS) + 1))
        scores = [float(row[4]) for row in ranked]
        assert scores == sorted(scores, reverse=True)


def test_figures_follow_from_the_run(first_run, collection):
    result, lines = first_run
    printed = figures(result.output)
    assert printed["queries"] == len(QUERIES)
    first = {}
    for query, _, doc, rank, *_ in (line.split() for line in lines):
        if rank == "1":
            first[query] = doc
    hits_at_1 = sum(first[q] == QRELS[q] for q in QUERIES)
    assert printed["recall@1"] == pytest.approx(hits_at_1 / len(QUERIES), abs=1e-4)
    assert hits_at_1 >= 4, first  # the four answerable questions are easy
    assert printed["recall@10"] == pytest.approx(1.0)  # every document is ranked
    assert 0 < printed["answer@1"] <= printed["answer@5"] <= 0.8  # Lima is nowhere
    assert read_qrels(collection / "qrels.tsv")["q5"] == {"chess": 1}


def test_second_run_reuses_the_index(collection, first_run, tmp_path):
    versions = sorted((collection / "var" / "versions").iterdir())
    result = run_eval(collection, tmp_path, "--fusion", "lexical")
    assert result.exit_code == 0, result.output
    assert sorted((collection / "var" / "versions").iterdir()) == versions
    assert "citewise-lexical" in (tmp_path / "out.trec").read_text()


@pytest.mark.parametrize(
    "broken, message",
    [
        ("queries.jsonl", "broken JSON"),
        ("qrels.tsv", "expected 'query-id"),
    ],
)
def test_broken_input_files_are_named_with_their_line(collection, tmp_path, broken, message):
    target = tmp_path / "c"
    target.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv"):
        (target / name).write_bytes((collection / name).read_bytes())
    with open(target / broken, "a") as handle:
        handle.write("{not json\n" if broken.endswith("jsonl") else "only-two fields\n")
    result = run_eval(target, tmp_path)
    assert result.exit_code == 1
    assert message in result.output and f"{broken}:" in result.output
    assert "Traceback" not in result.output


def test_without_a_data_dir_the_index_is_kept_apart_from_the_chats(collection, tmp_path):
    args = ["eval", "--corpus", collection / "corpus.jsonl", "--queries", collection / "queries.jsonl",
            "--qrels", collection / "qrels.tsv", "--run", tmp_path / "out.trec"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "var" / "CURRENT").exists()
    (built,) = (tmp_path / "var" / "eval").iterdir()
    assert (built / "CURRENT").exists()


def test_answer_figures_count_what_a_reader_gets(collection, tmp_path):
    """q5 (the capital of Peru) is listed as unanswerable: it leaves the answerable figures and is
    scored as a refusal, which the corpus (volcanoes, bread, chess, comets) must give."""
    (tmp_path / "unanswerable.txt").write_text("q5\n")
    result = run_eval(collection, tmp_path, "--answers", collection / "answers.jsonl", "--unanswerable", tmp_path / "unanswerable.txt")
    assert result.exit_code == 0, result.output
    printed = figures(result.output)
    assert printed["unanswerable refused"] == 1.0
    assert printed["answerable refused"] == 0.0
    assert 0.5 <= printed["answer first"] <= printed["answer in reply"] <= 1.0
    runs = [line.split() for line in (tmp_path / "out.trec").read_text().splitlines()]
    assert {row[0] for row in runs} == set(QUERIES), "an unanswerable query is still ranked"
