"""The same model on ONNX Runtime: exported on this machine from the local weights, cached, and run without torch.

The export (``torch.onnx``) and the int8 dynamic quantization happen once per source weights; the
files are kept under ``<models_dir>/<model name>-<hash of the weights>/`` (``model.onnx``, fp32,
and ``model-int8.onnx``). Later loads read them and never import torch. The model's own fast
tokenizer (``tokenizer.json``), mean pooling over the attended tokens and L2 normalisation are
done here, as sentence-transformers does them for this model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.data_dir import file_name_part
from index.errors import ModelNotFoundError

log = logging.getLogger(__name__)

# Changing how the file is exported or quantized changes this, so files of the old recipe are not reused.
EXPORT_RECIPE = "torch.onnx-trace-eager-opset17/int8-matmul-per-channel"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
# The weights file of a sentence-transformers folder, by preference; its bytes name the cache folder.
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_HASH_CHUNK = 1 << 20


def _weights_file(model_path: Path) -> Path:
    for name in _WEIGHTS:
        if (model_path / name).is_file():
            return model_path / name
    raise ModelNotFoundError(f"{str(model_path)!r} holds no {' or '.join(_WEIGHTS)}: nothing to export to ONNX.")


def source_hash(model_path: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the weights, the model config and the export recipe."""
    digest = hashlib.sha256(EXPORT_RECIPE.encode())
    for path in (model_path / "config.json", _weights_file(model_path)):
        with open(path, "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def _require_mean_pooling(model_path: Path) -> None:
    """This engine pools as all-MiniLM-L6-v2 does (mean of the attended tokens, then normalised): refuse a model
    whose sentence-transformers modules say otherwise rather than return vectors unlike its own."""
    modules = json.loads((model_path / "modules.json").read_text(encoding="utf-8"))
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling_path = next((model_path / m["path"] for m in modules if m["type"].endswith(".Pooling")), None)
    pooling = json.loads((pooling_path / "config.json").read_text(encoding="utf-8")) if pooling_path else {}
    modes = sorted(key for key, value in pooling.items() if key.startswith("pooling_mode_") and value)
    if kinds != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"]:
        raise ModelNotFoundError(
            f"The onnx backends run Transformer + mean Pooling + Normalize models; {str(model_path)!r} is "
            f"{' + '.join(kinds)} ({', '.join(modes) or 'no pooling'}): use --backend torch for it."
        )


def max_seq_length(model_path: Path) -> int:
    """Tokens a text is truncated to, as sentence-transformers truncates it (``sentence_bert_config.json``)."""
    config = model_path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text(encoding="utf-8"))["max_seq_length"])
    return int(json.loads((model_path / "config.json").read_text(encoding="utf-8"))["max_position_embeddings"])


def _replace_atomically(write, target: Path) -> None:
    """``write(temp_path)`` next to ``target``, then rename it over ``target``: a reader (or a second process
    exporting at the same time) sees the whole file or none of it, never a half-written one."""
    descriptor, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(descriptor)
    try:
        write(Path(temp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes it private; the cache is as readable as the rest of the data
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _export_fp32(model_path: Path, target: Path) -> None:
    """Export the transformer (token ids and attention mask in, last hidden state out) with torch.onnx.

    By tracing (``dynamo=False``), with the model's plain ("eager") attention: on this 2-core machine
    its graph ran 600 paragraph parts in 7.0 s where the dynamo exporter's ran them in 10.0 s
    (SDPA attention; 8.7 s with eager attention), and it exports in 2 s instead of 15 s. Its
    vectors are torch's (cosine 1.0000 on 529 SQuAD questions and 259 paragraphs, `bench.backends`).
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            # One text per row: every token is of segment 0, as sentence-transformers feeds it.
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    transformers_logging.disable_progress_bar()
    loaded = AutoModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager")
    model = LastHiddenState(loaded).eval()
    # A padded row in the sample: tracing records the branches this input takes, and a batch's mask must stay in the graph.
    sample = (torch.ones((2, 8), dtype=torch.int64), torch.tensor([[1] * 8, [1] * 5 + [0] * 3], dtype=torch.int64))
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "last_hidden_state")}

    log.info("exporting %s to ONNX as %s (once per model and weights)", model_path.name, target)

    def write(temp: Path) -> None:
        # The tracer's warnings (Python values it records as constants, its own deprecation) say nothing about this model.
        with torch.no_grad(), warnings.catch_warnings(), _quiet("torch.onnx"):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, sample, str(temp), input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)

    _replace_atomically(write, target)


def _quantize(source: Path, target: Path) -> None:
    """int8 dynamic quantization of ``source``'s weights (activations quantized on the fly at run time).

    Per channel, and the matrix products only: with one scale per tensor the vectors of 400 SQuAD
    texts had a mean cosine of 0.961 to the fp32 ones (min 0.911), per channel 0.995 (min 0.990);
    quantizing the embedding table too cost a little more cosine and saved no time.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantizing %s to int8 as %s", source, target)

    def write(temp: Path) -> None:
        # Its advice to pre-process (shape inference for static quantization) is logged on the root logger, to every user.
        with _quiet(""):
            quantize_dynamic(str(source), str(temp), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])

    _replace_atomically(write, target)


def export_model(model_path: Path, name: str, models_dir: Path, quantized: bool, *, replace: bool = False) -> Path:
    """The cached ONNX file of the model ``name`` at ``model_path`` (int8 if ``quantized``), exported now if missing.

    ``replace`` makes that file again even if it is there (it was found damaged); the int8 file is made
    from the fp32 one, which is exported again too if it cannot be read.
    """
    folder = Path(models_dir) / f"{file_name_part(name)}-{source_hash(model_path)}"
    folder.mkdir(parents=True, exist_ok=True)
    fp32, int8 = folder / FP32_FILE, folder / INT8_FILE
    if not fp32.is_file() or (replace and not quantized):
        _export_fp32(model_path, fp32)
    if quantized and (replace or not int8.is_file()):
        try:
            _quantize(fp32, int8)
        except Exception as error:  # the quantizer's errors for an unreadable model share no narrower base
            log.warning("cached ONNX model %s cannot be read (%s); exporting it again", fp32, str(error).splitlines()[0])
            _export_fp32(model_path, fp32)
            _quantize(fp32, int8)
    return int8 if quantized else fp32


def _import_onnxruntime():
    try:
        import onnxruntime
        import tokenizers
    except ImportError:
        raise ModelNotFoundError(
            "The onnx backends need onnxruntime, which citewise installs: reinstall it (pip install citewise), "
            "or use --backend torch (CITEWISE_BACKEND=torch)."
        ) from None
    return onnxruntime, tokenizers


class OnnxEngine:
    """Encodes like the torch model, on ONNX Runtime: unit vectors and the token embeddings they pool.

    Args:
        model_path: A local sentence-transformers folder (Transformer + mean Pooling + Normalize).
        name: The model's name (``Embedder.name``), which names its folder in ``models_dir``.
        models_dir: Where the exported files are cached (``<data_dir>/models``).
        quantized: Run the int8 file (faster; vectors a little off the fp32 ones) instead of the fp32 one.
        batch_size: Texts per run of the model.
        threads: Default thread count of ``encode``. ONNX Runtime fixes a session's threads when
            it is made, so one session is kept per thread count asked for.
    """

    def __init__(self, model_path: Path, name: str, models_dir: Path, quantized: bool, batch_size: int,
                 threads: int = 1) -> None:
        self._runtime, tokenizers = _import_onnxruntime()
        _require_mean_pooling(model_path)
        self.batch_size = batch_size
        self.threads = threads
        self._sessions: dict[int, object] = {}
        self.path = export_model(model_path, name, models_dir, quantized)
        try:
            session = self._session(threads)
        except Exception as error:  # ONNX Runtime's load errors share no base class but Exception
            log.warning("cached ONNX model %s cannot be loaded (%s); exporting it again", self.path, str(error).splitlines()[0])
            self.path = export_model(model_path, name, models_dir, quantized, replace=True)
            session = self._session(threads)
        self._tokenizer = tokenizers.Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_seq_length(model_path))
        self._tokenizer.no_padding()  # tokenizer.json pads every text to 128; batches are padded here, to their longest
        self.dimension = int(session.get_outputs()[0].shape[-1])

    def _session(self, threads: int):
        """The session that runs on ``threads`` threads, made on first use."""
        if threads not in self._sessions:
            options = self._runtime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # warnings about unused initializers are noise here
            # No busy-waiting between runs: on a shared CPU a spinning pool takes cores from other requests.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sessions[threads] = self._runtime.InferenceSession(
                str(self.path), options, providers=["CPUExecutionProvider"])
        return self._sessions[threads]

    def _hidden_states(self, encodings: list, threads: int):
        """The model's last hidden state, batch by batch, shortest texts batched together (less padding);
        yields ``(positions in encodings, attention mask, states)``."""
        order = sorted(range(len(encodings)), key=lambda number: len(encodings[number].ids))
        session = self._session(threads)
        for start in range(0, len(order), self.batch_size):
            positions = order[start : start + self.batch_size]
            ids = np.zeros((len(positions), max(len(encodings[p].ids) for p in positions)), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, position in enumerate(positions):
                count = len(encodings[position].ids)
                ids[row, :count] = encodings[position].ids
                mask[row, :count] = 1
            (states,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
            yield positions, mask, states

    def encode(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """``(len(texts), dimension)`` float32 unit vectors: the mean of each text's token embeddings, normalised."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        for positions, mask, states in self._hidden_states(encodings, threads or self.threads):
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            vectors[positions] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors

    def token_vectors(self, texts: list[str], threads: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text: its tokens' output embeddings (float32, ``(n_tokens, dimension)``, [CLS]/[SEP] included:
        what ``encode`` averages) and their character offsets into the text (``(n_tokens, 2)``; (0, 0) for
        special tokens), truncated as ``encode`` truncates."""
        encodings = self._tokenizer.encode_batch(list(texts))
        result: list = [None] * len(encodings)
        for positions, mask, states in self._hidden_states(encodings, threads or self.threads):
            for row, position in enumerate(positions):
                count = len(encodings[position].ids)
                offsets = np.asarray(encodings[position].offsets, dtype=np.int64).reshape(count, 2)
                result[position] = (np.ascontiguousarray(states[row, :count], dtype=np.float32), offsets)
        return result
