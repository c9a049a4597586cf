"""The results of one run as bench/RESULTS.md: the ratios first, then every table, then how to reproduce."""

from __future__ import annotations

GOALS = {"latency": 1.3, "build": 0.9, "recall": 0.95}
# Bytes one paragraph costs beyond the scale tables: its sentence vectors (float32, 384-d).
_SENTENCE_VECTOR_BYTES = 384 * 4


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 1 else f"{value:.2f} ms"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _size(count: int) -> str:
    return f"{count // 1_000_000}M" if count >= 1_000_000 else f"{count // 1000}k"


def _headline(r: dict) -> list[str]:
    lat, bld, top = r["latency"], r["build"], r["scale"][-1]
    recall = top.get("recall_at_10", 1.0)
    return [
        "## The ratios",
        "",
        "| what | measured | goal |",
        "|---|---|---|",
        f"| in-process answer p50 / floor (embedding the same question) | **{lat['ratio_p50']:.2f}x** "
        f"({_ms(lat['ask']['p50_ms'])} / {_ms(lat['floor']['p50_ms'])}) | at most {GOALS['latency']}x: {_verdict(lat['ratio_p50'] <= GOALS['latency'])} |",
        f"| index build texts/s / model encode texts/s, same texts | **{bld['ratio_texts']:.2f}x** "
        f"({bld['build_texts_per_s']:.1f} / {bld['encode_texts_per_s']:.1f}) | at least {GOALS['build']}x: {_verdict(bld['ratio_texts'] >= GOALS['build'])} |",
        f"| index build paragraphs/s / encode of the paragraphs alone | {bld['ratio_paragraphs']:.2f}x "
        f"({bld['build_paragraphs_per_s']:.1f} / {bld['encode_paragraphs_per_s']:.1f}) | (the build also embeds every sentence) |",
        f"| `/api/ask` p50 / floor, one client on loopback | {r['http']['ratio_p50_one_client']:.2f}x "
        f"({_ms(r['http']['levels'][0]['p50_ms'])} / {_ms(r['http']['floor']['p50_ms'])}); "
        f"{sum(lv['errors'] for lv in r['http']['levels'])} errors at 1, 4 and 16 clients | |",
        f"| recall@10 of the approximate index at {_size(top['size'])} | **{recall:.3f}** ({top['dense_index']}) | at least {GOALS['recall']}: {_verdict(recall >= GOALS['recall'])} |",
        f"| fused search p50 at {_size(top['size'])} (dense + BM25 + fusion) | **{_ms(top['fused_search']['p50_ms'])}** "
        f"(exact dense alone: {_ms(top['exact_search']['p50_ms'])}) | |",
        "",
    ]


def _latency(r: dict) -> list[str]:
    lat, http = r["latency"], r["http"]
    lines = [
        "## 1. Question latency",
        "",
        f"In-process, {lat['questions']} SQuAD questions, index of {r['build']['paragraphs']} paragraphs ({lat['dense_index']} dense index); "
        "`engine.ask(q)` and `embedder.encode([q])` timed alternately for each question.",
        "",
        "| | p50 | p95 | mean |",
        "|---|---|---|---|",
        *(
            f"| {name} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {_ms(s['mean_ms'])} |"
            for name, s in (("floor: encode the question", lat["floor"]), ("answer: `Engine.ask`", lat["ask"]))
        ),
        f"| ratio | {lat['ratio_p50']:.2f}x | {lat['ratio_p95']:.2f}x | median of per-question ratios {lat['median_question_ratio']:.2f}x |",
        "",
        "Over HTTP: the real `citewise serve --rate-limit 0` on 127.0.0.1, driven by httpx threads, each question sent once.",
        "",
        "| clients | requests | errors | p50 | p95 | throughput |",
        "|---|---|---|---|---|---|",
        *(
            f"| {lv['clients']} | {lv['n']} | {lv['errors']} | {_ms(lv['p50_ms'])} | {_ms(lv['p95_ms'])} | {lv['throughput_per_s']:.1f} answers/s |"
            for lv in http["levels"]
        ),
        f"| Gradio chat (`gradio_client`, 1 client) | {http['gradio']['n']} | 0 | {_ms(http['gradio']['p50_ms'])} | {_ms(http['gradio']['p95_ms'])} | |",
        "",
        f"With one client each request was timed next to the floor (embedding the same question in the benchmark process): "
        f"floor p50 {_ms(http['floor']['p50_ms'])}, so `/api/ask` is **{http['ratio_p50_one_client']:.2f}x** the floor at p50; "
        "one client's throughput is one over its mean latency.",
        "",
    ]
    return lines


def _cold(r: dict) -> list[str]:
    c = r["cold_start"]
    heavy = ", ".join(c["help_heavy_imports"]) or "none"
    return [
        "## 2. Cold start",
        "",
        "Median of 3 runs each.",
        "",
        "| | seconds | against |",
        "|---|---|---|",
        f"| `python -c pass` | {c['python_seconds']:.2f} | |",
        f"| `citewise --help` | {c['help_seconds']:.2f} | heavy packages imported: {heavy} |",
        f"| load the model and embed one text (`python -c`) | {c['model_load_seconds']:.2f} | the part nobody can skip |",
        f"| one-off `citewise ask` | {c['ask_seconds']:.2f} | {c['ask_over_model_load']:.2f}x the model load; "
        f"imports {', '.join(c['ask_heavy_imports'])} |",
        f"| `citewise serve` to its first answer | {c['serve_first_answer_seconds']:.2f} | {c['serve_over_model_load']:.2f}x the model load |",
        "",
    ]


def _build(r: dict) -> list[str]:
    b = r["build"]
    return [
        "## 3. Index build",
        "",
        f"{b['documents']} SQuAD documents: {b['paragraphs']} paragraphs and {b['sentences']} sentences, every one embedded "
        f"({b['embedded']} texts through the model). Two builds from an empty cache alternated with three runs of the "
        "model's `encode` on exactly these texts (encode, build, encode, build, encode); means are compared. Encode runs, "
        "seconds for the paragraphs + the sentences: "
        + ", ".join(f"{p:.1f} + {s:.1f}" for p, s in b["encode_runs_seconds"])
        + "; builds: " + ", ".join(f"{s:.1f}" for s in b["build_runs_seconds"]) + ".",
        "",
        "| | seconds | paragraphs/s | texts/s |",
        "|---|---|---|---|",
        f"| `encode` (paragraphs + sentences) | {(b['paragraphs'] + b['sentences']) / b['encode_texts_per_s']:.1f} | "
        f"{b['paragraphs'] * b['encode_texts_per_s'] / (b['paragraphs'] + b['sentences']):.1f} | {b['encode_texts_per_s']:.1f} |",
        f"| index build, empty cache (mean) | {b['build_seconds']:.1f} | {b['build_paragraphs_per_s']:.1f} | {b['build_texts_per_s']:.1f} |",
        f"| unchanged rebuild (nothing to do) | {b['unchanged_rebuild_seconds']:.2f} | | |",
        f"| forced rebuild, every vector cached | {b['cached_rebuild_seconds']:.2f} | | {b['cached_rebuild_embedded']} texts embedded |",
        "",
    ]


def _scale(r: dict) -> list[str]:
    b = r["build"]
    texts_per_paragraph = (b["paragraphs"] + b["sentences"]) / b["paragraphs"]
    lines = [
        "## 4. Scale",
        "",
        "**Synthetic corpora.** Texts: paragraphs of 30-89 pseudo-words drawn from a Zipf (exponent 1.07) vocabulary of "
        "50,000, for BM25. Vectors: `normalise(a + b/2 + noise)` of two random real embeddings (the sentence vectors of the "
        "build above) for FAISS. Queries: real SQuAD question embeddings (not in the corpus) and 6-word Zipf queries. "
        "Each size runs in its own process; peak RSS is that process's VmHWM (data generation included); search "
        "runs on one thread, as served.",
        "",
        "| paragraphs | dense index | build: BM25 / dense | peak RSS | on disk: dense + BM25 (+ text) | search p50: dense / BM25 / fused | exact dense p50 | recall@10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in r["scale"]:
        lines.append(
            f"| {_size(s['size'])} | {s['dense_index']} | {s['lexical_build_seconds']:.1f} s / {s['dense_build_seconds']:.1f} s | "
            f"{s['peak_rss_mb'] / 1024:.2f} GiB | {s['dense_mb']:.0f} + {s['lexical_mb']:.0f} MiB (+ {s['text_mb']:.0f}) | "
            f"{_ms(s['dense_search']['p50_ms'])} / {_ms(s['lexical_search']['p50_ms'])} / {_ms(s['fused_search']['p50_ms'])} | "
            f"{_ms(s['exact_search']['p50_ms'])} | {s.get('recall_at_10', 1.0):.3f} |"
        )
    top = r["scale"][-1]
    if "probe_sweep" in top:
        lines += ["", f"Probes against recall and latency at {_size(top['size'])} (the default is {top['dense_index']}):", "",
                  "| probes | recall@10 | dense p50 | dense p95 |", "|---|---|---|---|"]
        lines += [f"| {p['probes']} | {p['recall_at_10']:.3f} | {_ms(p['p50_ms'])} | {_ms(p['p95_ms'])} |" for p in top["probe_sweep"]]
    hours = top["size"] * texts_per_paragraph / b["encode_texts_per_s"] / 3600
    lines += [
        "",
        f"Mean cosine of the 10 exact nearest neighbours of a query at {_size(top['size'])}: {top['mean_top10_cosine']:.2f}. "
        f"The synthetic vectors gather around mixtures of only {r['build']['sentences']} real embeddings, which makes the "
        "clusters easier for IVF than a real corpus of that size would be: expect lower recall there at the same probes. "
        "That is why the default stays well above the probes this data needed for 0.95.",
        "",
        f"**Embedding cost, extrapolated:** {texts_per_paragraph:.1f} texts per paragraph (the paragraph and its sentences) at "
        f"the measured {b['encode_texts_per_s']:.1f} texts/s makes {hours:.1f} hours for {_size(top['size'])} paragraphs on this "
        f"machine. Their sentence vectors alone would hold {top['size'] * (texts_per_paragraph - 1) * _SENTENCE_VECTOR_BYTES / 2**30:.1f} GiB "
        "(float32), loaded into memory by every server.",
        "",
    ]
    return lines


def render(r: dict) -> str:
    m = r["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench{' --quick' if r['mode'] == 'quick' else ''}` ({r['mode']} run, {r['started']} to {r['finished']}). "
        "Absolute times on this shared, noisy machine mean little; every ratio compares two things measured side by side "
        "in the same run.",
        "",
        *_headline(r),
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in m.items()),
        "",
        *_latency(r),
        *_cold(r),
        *_build(r),
        *_scale(r),
    ]
    return "\n".join(lines) + "\n" + NOTES


NOTES = """
## What was slow, and what changed

- **Threads.** With torch's default of one thread per core, embedding one question took 100-490 ms here and
  21 ms with a single thread: the threads of so small a call wait on each other, worst when other processes
  share the cores. FAISS search of one query behaves the same. `Embedder(threads=1)` now sets both, from the
  setting `cpu_threads` (default 1); concurrent requests still use every core, one request each.
- **Dense search at scale.** Exact search (`IndexFlatIP`) costs time in proportion to the corpus. Above
  `exact_search_limit` paragraphs (default 20,000) `FaissStore` builds `IVF<n>,Flat` instead, with about
  sqrt(n) clusters (`ivf_lists`, trained on 64 points per cluster) and `ivf_probes` (default 48) clusters
  scanned per query; the probes table above shows what more or fewer probes trade.
- **Lexical candidates.** `SearchIndex.search` took the top BM25 rows by sorting every paragraph's score:
  200 ms at 1M rows. `top_positive_rows` partitions instead (about 5 ms at 1M, the same rows in the same order).

## Where one machine ends, and the plan past it

At 1M paragraphs one machine still answers well: the fused search adds a few tens of milliseconds to embedding
the question (table above). But three things grow linearly and end it: embedding (more than a day at 1M on
this machine, extrapolated above; the embedding cache makes every later rebuild pay only for new text),
memory (dense vectors, BM25 matrix and, largest, the sentence vectors of every paragraph, all held in RAM by
every server process) and BM25 scoring, which touches every paragraph that shares a query word.
Past a few million paragraphs: memory-map the sentence vectors (or store them as float16 or product-quantised)
instead of loading them; switch the dense index to IVF with PQ or SQ8 codes (4-16x smaller); and shard the corpus
by document across machines, each serving its own index version, with a front end that fans a question out and
fuses the per-shard top candidates (the fusion already works on candidate lists).

## Reproduce

```
make bench                          # full run, 11-15 minutes here; writes bench/RESULTS.md and RESULTS.json
make bench BENCH_ARGS=--quick       # about 8 minutes, no 1M corpus; writes bench/RESULTS-quick.md
```
The benchmark corpus is SQuAD v1.1 dev in BEIR layout, read from `../shared/data/squad-dev/` beside the checkout (or `$SQUAD_DIR`).
"""
