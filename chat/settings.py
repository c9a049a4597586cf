"""Every setting of citewise, in one table: name, default, help.

Values come, later winning, from the defaults below, a TOML file (``citewise.toml``
in the working directory, or the file named by ``CITEWISE_CONFIG``), environment
variables ``CITEWISE_<NAME>`` and command-line flags.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from chat.errors import SettingsError
from index import DEFAULT_BATCH_SIZE, FUSION_METHODS, DataDir, IndexConfig, SearchOptions, model_name

ENV_PREFIX = "CITEWISE_"
# A secret, read from the environment only (chat.llm): never a setting, so never shown, logged or written anywhere.
LLM_API_KEY_VARIABLE = f"{ENV_PREFIX}LLM_API_KEY"
# Calibrated on SQuAD v1.1 dev (bench/tune_grounding.py); the default of llm_min_support.
SUPPORT_THRESHOLD = 0.58
CONFIG_FILE = "citewise.toml"
# scheme://host[:port] and nothing else (a space, quote or semicolon would rewrite the widget's frame
# policy): checked here so a bad --allow-origin stops before the model and Gradio load; chat.widget checks with it too.
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _setting(default: Any, help: str) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    # Where things are
    corpus: Path = _setting(Path("corpus"), "Folder (or file) of documents to index.")
    data_dir: Path = _setting(Path("var"), "Where index versions, the feedback log and caches are kept.")
    model: str = _setting("", "Local sentence-transformers folder; empty for the embedded all-MiniLM-L6-v2.")
    backend: str = _setting(
        IndexConfig.backend, "Engine that runs the model: onnx (the model exported to ONNX on this machine on first use, "
        "cached in models_dir, run by ONNX Runtime: the same vectors as torch, in about half the time), onnx-int8 (that "
        "export, int8-quantized: faster still, vectors a little off) or torch (sentence-transformers). An index is served "
        "with the backend that built it (docs/quality.md)."
    )
    models_dir: str = _setting(
        "", "Where the onnx backends keep the model exported on this machine (a few seconds, once); empty means "
        "<data_dir>/models. Data directories that share one folder export once."
    )
    # Ingest and index
    max_words: int = _setting(IndexConfig.max_words, "Words per paragraph part; longer paragraphs are split at sentences to fit the model.")
    batch_size: int = _setting(DEFAULT_BATCH_SIZE, "Texts per embedding batch (smaller ran faster here, down to 16).")
    ray_address: str = _setting(
        "", "Ray cluster that embeds the new texts of `citewise index rebuild` (host:port of its head, or auto for the "
        "cluster this machine belongs to); empty embeds on this machine. Needs the ray extra: pip install 'citewise[ray]'."
    )
    keep_versions: int = _setting(5, "Index versions kept on disk for rollback.")
    cpu_threads: int = _setting(
        1, "CPU threads for embedding questions and FAISS search (process-wide). 1 answers a question fastest (threads of "
        "one small call wait on each other, badly so on a busy CPU) and leaves other cores to concurrent requests. Builds "
        "use build_threads, and a server is back on this count once its build is done."
    )
    build_threads: int = _setting(
        0, "CPU threads a build (index build/rebuild, serve's first build, eval) embeds its batches with; 0 uses every core "
        "(os.cpu_count()). Set for the length of the build only: questions go on with cpu_threads."
    )
    sentence_vectors: str = _setting(
        IndexConfig.sentence_vectors, "How a build embeds sentences: pooled (mean-pooled from their paragraph's one model "
        "pass) or alone (each sentence its own pass: builds take about 3x as long, for the same answer figures once "
        "min_score and max_doubt are calibrated for it: 0.40 and 0.84; docs/quality.md). Changing it rebuilds the index."
    )
    exact_search_limit: int = _setting(
        IndexConfig.exact_search_limit, "Paragraphs above which the dense index is approximate (FAISS IVF): search cost grows with about the square "
        "root of the corpus instead of its size, for a recall@10 of 0.95 or more (bench/RESULTS.md)."
    )
    ivf_lists: int = _setting(IndexConfig.ivf_lists, "Clusters of the approximate index; 0 picks about the square root of the paragraph count.")
    ivf_probes: int = _setting(
        SearchOptions.ivf_probes,
        "Clusters the approximate index scans per question: more finds more true neighbours (recall), but searches slower. "
        "Applied when an index is loaded: a restart retunes it, no rebuild needed.",
    )
    reload_seconds: float = _setting(2.0, "How often a running server checks for a new index version (CURRENT); 0 never checks.")
    watch_debounce_seconds: float = _setting(2.0, "`index rebuild --watch` waits until the corpus has been quiet this long before rebuilding.")
    # Retrieval
    fusion: str = _setting(
        "linear", "How dense and BM25 scores are fused: linear, rrf, dense or lexical. linear won on the DEV half of SQuAD "
        "v1.1 dev (articles by sorted title, even positions; bench/tune_quality.py, docs/quality.md)."
    )
    lexical_weight: float = _setting(
        0.4, "Weight of BM25 in the fusion (0 to 1); dense gets the rest. 0.4 had the best nDCG@10 on the SQuAD DEV half."
    )
    candidates: int = _setting(50, "Candidates taken from each side before fusion.")
    top_k: int = _setting(5, "Paragraphs whose sentences may be used in an answer.")
    # Answers
    max_sentences: int = _setting(3, "Sentences in an answer, at most.")
    min_score: float = _setting(
        0.39, "Evidence of the best sentence below this is refused, not answered. 0.39 (with coverage_weight 0.4, pooled "
        "sentence vectors) is the highest threshold refusing under 1% of answerable questions on the SQuAD DEV half "
        "(bench/tune_pooled.py, docs/quality.md)."
    )
    coverage_weight: float = _setting(
        0.4, "Weight, in a sentence's evidence, of the IDF-weighted share of the question's words its paragraph holds "
        "(0 to 1); 0.7 x sentence cosine + 0.3 x paragraph cosine gets the rest. 0.4 refused the most unanswerable "
        "questions on the SQuAD DEV half at under 1% of answerable ones refused."
    )
    unknown_word_weight: float = _setting(
        0.5, "How much a question word that no paragraph uses counts against coverage, as a share of its IDF (0 to 1): "
        "1 treats it as a name the documents lack, 0 as another word for one they use."
    )
    max_doubt: float = _setting(
        0.86, "Refuse when the doubt that the best sentence answers (0 to 1, chat/doubt.py: a model of ten signals "
        "fitted on the DEV half of SQuAD 2.0) is above this; 1 never refuses on doubt. With sentence vectors embedded "
        "alone, 0.84 refused the most unanswerable SQuAD 2.0 DEV questions while refusing under 10% of its answerable ones "
        "and keeping the answer first for 70% of SQuAD v1.1 DEV (bench/tune_answers.py); 0.86 gives pooled vectors "
        "the same DEV figures (bench/tune_pooled.py)."
    )
    sentence_margin: float = _setting(0.15, "A sentence joins the answer if it scores within this of the best.")
    sentence_coverage_weight: float = _setting(
        0.3, "Weight, in choosing the sentence that opens an answer, of the IDF-weighted share of the question's words that "
        "sentence holds (its evidence counts fully)."
    )
    require_answer_kind: bool = _setting(
        True, "Refuse a question that asks for a number, date, name or place when no sentence close enough holds one."
    )
    require_names: bool = _setting(
        True, "Refuse a question whose names and numbers (known to the corpus) the answering paragraph never mentions."
    )
    max_question_chars: int = _setting(1000, "Longest question accepted, in characters.")
    # Generation (optional): the user's own LLM writes the answer, every sentence checked against its source
    llm_url: str = _setting(
        "", "Base URL of an OpenAI-compatible chat endpoint (e.g. http://127.0.0.1:11434/v1); empty answers extractively, "
        "with no LLM. Its key, if any, comes from the CITEWISE_LLM_API_KEY variable only."
    )
    llm_model: str = _setting("default", "Model name sent to llm_url.")
    llm_timeout_seconds: float = _setting(
        20.0, "Longest wait for the LLM's whole answer; past it (or on any error) the extractive answer is served."
    )
    llm_max_tokens: int = _setting(300, "Most tokens the LLM may write for one answer.")
    llm_min_support: float = _setting(
        SUPPORT_THRESHOLD, "A generated sentence stays only if its cosine with a sentence of the paragraph it cites is at "
        "least this (all-MiniLM-L6-v2). 0.58 separated answers from their gold paragraph and from another paragraph of the "
        "same article best on the DEV half of SQuAD v1.1 dev; on the TEST half it keeps 87.6% of supported claims and drops "
        "88.5% of unsupported ones (bench/tune_grounding.py, docs/generation.md)."
    )
    # Server
    host: str = _setting("127.0.0.1", "Address the server listens on.")
    port: int = _setting(7860, "Port the server listens on.")
    allow_origins: list[str] = _setting([], "Origins allowed to use the API and embed the widget (deny by default).")
    token: str = _setting("", "If set, the API and widget require this token.")
    rate_limit: int = _setting(
        30, "Requests a minute per client (API questions, page questions and votes); 0 turns the limit off."
    )
    max_request_kb: int = _setting(64, "Largest API request body (question plus history), in KiB; bigger ones get 413.")
    max_page_request_kb: int = _setting(
        1024, "Largest request body to the chat page's own routes (Gradio's queue, a question with the chat so far, a "
        "vote, the login form), in KiB; bigger ones get 413 before anything reads them."
    )
    page_sessions: int = _setting(
        500, "Chat pages whose session state the server keeps (Gradio's: about 0.1 MB each, plus the chat it holds, at "
        "most max_page_request_kb); past this the longest idle one is forgotten, and its next question is read "
        "without the earlier turns."
    )
    trusted_proxies: list[str] = _setting(
        [], "Reverse proxies (IP addresses or networks like 10.0.0.0/8) whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed; from any other peer those headers are dropped. Empty trusts none: a client is its peer address."
    )
    allow_hosts: list[str] = _setting(
        [], "Host names the server answers to besides the bind host, localhost and IP addresses (a defence against DNS "
        "rebinding); other Host headers get 400. * allows any."
    )
    page_title: str = _setting("citewise", "Title of the chat page.")
    page_description: str = _setting("", "One line under the title about the documents; empty describes the index.")
    examples: list[str] = _setting([], "Example questions on an empty chat; empty takes them from the section headings.")
    feedback_log: str = _setting("", "JSONL file for thumbs up/down; empty means <data_dir>/feedback.jsonl.")
    feedback_max_kb: int = _setting(
        10_240, "Size of the feedback log, in KiB, at which it is rotated to <feedback_log>.1 (replacing an older one), "
        "so the votes on disk stay under twice this."
    )

    def __post_init__(self) -> None:
        if self.fusion not in FUSION_METHODS:
            raise SettingsError(f"Invalid fusion: {self.fusion!r}. Valid values are: {FUSION_METHODS}.")
        try:  # the index layer checks its own options (backend, max_words, sentence_vectors, the dense index's)
            self.index_config()
            self.search_options()
        except ValueError as error:
            raise SettingsError(str(error)) from None
        for name in ("lexical_weight", "coverage_weight", "unknown_word_weight", "max_doubt", "llm_min_support"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise SettingsError(f"Invalid {name}: {getattr(self, name)!r}. It must be between 0 and 1.")
        for name in ("batch_size", "keep_versions", "candidates", "top_k", "max_sentences", "max_question_chars",
                     "cpu_threads", "max_request_kb", "max_page_request_kb", "page_sessions", "feedback_max_kb", "llm_max_tokens"):
            if getattr(self, name) < 1:
                raise SettingsError(f"Invalid {name}: {getattr(self, name)!r}. It must be at least 1.")
        if self.build_threads < 0:
            raise SettingsError(f"Invalid build_threads: {self.build_threads!r}. It must be 0 (every core) or more.")
        if not 1 <= self.port <= 65535:
            raise SettingsError(
                f"Invalid port: {self.port!r}. Give a port from 1 to 65535, e.g. --port 8000 or CITEWISE_PORT=8000."
            )
        if self.rate_limit < 0:
            raise SettingsError(
                f"Invalid rate_limit: {self.rate_limit!r}. Give requests a minute per client, e.g. --rate-limit 30 "
                "(or CITEWISE_RATE_LIMIT=30); 0 turns the limit off."
            )
        # An origin copied from the address bar ends in "/": that is still the origin, not a path.
        origins = [origin[:-1] if origin.endswith("/") and origin.count("/") == 3 else origin for origin in self.allow_origins]
        for origin in origins:
            if not ORIGIN.fullmatch(origin):
                raise SettingsError(
                    f"Invalid allowed origin: {origin!r}. Give scheme, host and port only, e.g. "
                    "--allow-origin http://intranet.example:8080 (or CITEWISE_ALLOW_ORIGINS=http://intranet.example:8080)."
                )
        object.__setattr__(self, "allow_origins", origins)
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    f"Invalid trusted proxy: {proxy!r}. Give an IP address or a network, like 127.0.0.1 or 10.0.0.0/8."
                ) from None
        for host in self.allow_hosts:
            if host != "*" and (not host or any(c in host for c in "/:@ ")):
                raise SettingsError(f"Invalid allowed host: {host!r}. Give a host name without scheme or port, like chat.example.")
        if self.llm_url and not re.fullmatch(r"https?://\S+", self.llm_url):
            raise SettingsError(
                f"Invalid llm_url: {self.llm_url!r}. Give the base URL of an OpenAI-compatible API, e.g. "
                "--llm-url http://127.0.0.1:11434/v1 (or CITEWISE_LLM_URL)."
            )
        if self.llm_timeout_seconds <= 0:
            raise SettingsError(f"Invalid llm_timeout_seconds: {self.llm_timeout_seconds!r}. It must be more than 0 seconds.")
        for name in ("reload_seconds", "watch_debounce_seconds"):
            if getattr(self, name) < 0:
                raise SettingsError(f"Invalid {name}: {getattr(self, name)!r}. It must be 0 or more seconds.")

    def index_config(self) -> IndexConfig:
        """How a build with these settings is made: a rebuild compares it with the serving version's."""
        return IndexConfig(
            model=model_name(self.model), backend=self.backend, max_words=self.max_words, sentence_vectors=self.sentence_vectors,
            exact_search_limit=self.exact_search_limit, ivf_lists=self.ivf_lists,
        )

    def models_folder(self) -> Path:
        """Where the onnx backends' exported model is kept: ``models_dir``, else ``<data_dir>/models``."""
        return Path(self.models_dir) if self.models_dir else DataDir(self.data_dir).models_dir

    def search_options(self) -> SearchOptions:
        """How a loaded index searches with these settings, whatever it was built with."""
        return SearchOptions(ivf_probes=self.ivf_probes)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) values replaced, e.g. from CLI flags."""
        return replace(self, **{k: _convert(k, v) for k, v in overrides.items() if v is not None})


def _types() -> dict[str, Any]:
    return get_type_hints(Settings)


def _convert(name: str, value: Any) -> Any:
    kind = _types().get(name)
    if kind is None:
        known = ", ".join(f.name for f in fields(Settings))
        raise SettingsError(f"Invalid setting {name!r}. Known settings: {known}.")
    if kind is Path:
        return Path(value)
    if kind == list[str]:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)
    if kind is bool and isinstance(value, str):
        return value.lower() in ("1", "true", "yes", "on")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise SettingsError(f"Invalid value for {name}: {value!r} is not a {kind.__name__}.") from None


def load_settings(config_file: Path | str | None = None, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, the TOML file, ``CITEWISE_*`` variables and ``overrides``.

    Raises:
        SettingsError: an unknown key or a bad value (the message names it), or a config file that is missing.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = Path(config_file or environ.get(f"{ENV_PREFIX}CONFIG") or CONFIG_FILE)
    if path.exists():
        values.update(_read_config(path))
    elif config_file or environ.get(f"{ENV_PREFIX}CONFIG"):
        raise SettingsError(f"Config file not found: '{path}'. Give an existing file with --config or CITEWISE_CONFIG.")
    names = [f.name for f in fields(Settings)]
    for key, value in environ.items():
        name = key[len(ENV_PREFIX):].lower()
        if key.startswith(ENV_PREFIX) and name != "config" and key != LLM_API_KEY_VARIABLE:
            if name not in names:
                close = _closest(name, names)
                hint = f"did you mean {ENV_PREFIX}{close.upper()}?" if close else f"known settings: {', '.join(names)}."
                raise SettingsError(f"Invalid setting {key!r} in the environment: {hint}")
            values[name] = _convert(name, value)
    return Settings(**values).with_overrides(**overrides)


def _closest(name: str, names: list[str]) -> str | None:
    """The known setting ``name`` is most likely a typo of, if any is close."""
    matches = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _line_of(text: str, key: str) -> int | None:
    """The line (from 1) of ``text`` where the top-level ``key`` is set (or its table opens)."""
    pattern = re.compile(rf"""^\s*(\[\s*)?(["']?){re.escape(key)}\2\s*[=\].]""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None


def _read_config(path: Path) -> dict[str, Any]:
    """The settings of a TOML file; a bad key or value names the file, its line and the fix."""
    text = path.read_text(encoding="utf-8")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}.") from None
    names = [f.name for f in fields(Settings)]
    values: dict[str, Any] = {}
    for key, value in table.items():
        line = _line_of(text, key)
        where = f"{path}, line {line}" if line else str(path)
        if key not in names:
            close = _closest(key, names)
            hint = f"did you mean {close}?" if close else f"known settings: {', '.join(names)}."
            raise SettingsError(f"Invalid setting {key!r} in {where}: {hint}")
        try:
            values[key] = _convert(key, value)
        except ValueError as error:
            raise SettingsError(f"{error} ({where})") from None
    return values


def describe_settings() -> list[tuple[str, Any, str]]:
    """``(name, default, help)`` of every setting, for docs and ``--help``."""
    defaults = Settings()
    return [(f.name, getattr(defaults, f.name), f.metadata["help"]) for f in fields(Settings)]
