"""The Chroma index: versioned collections behind one pointer, so a published index is never half-written.

Layout (names use `Settings.collection_prefix`, default `bot`):
- `bot-manifest`: an empty collection whose metadata `live` names the published version tag;
- `bot-passages`: a copy of the live version's passages under a fixed name, for other tools (a plain Chroma
  or langchain-chroma client); refreshed after each publish;
- `bot-passages-<tag>`: one record per passage (vector of "title / heading / text"), metadata to cite it;
- `bot-sentences-<tag>`: one record per sentence (vector of "title: sentence"), keyed `<passage id>.<n>`
  (ids and metadata of both kinds of record: `bot.index.records`);
- `bot-multilingual-<tag>` (optional): the same sentences embedded by multilingual-e5-small, so a question
  in Spanish can find English sentences.

An ingest fills a fresh `<tag>` and then flips `live` in one metadata write; until then readers keep using
the previous version, and a crash leaves only unpublished collections that the next ingest deletes.
Chroma never embeds anything here: collections are created with `embedding_function=None`. Other modules
reach the collections only through `IndexStore`'s public methods (`query`, `get`, `read_all`, `count`, `add`,
...), which turn a lost connection into `IndexUnavailableError`.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.errors import IndexMissingError, IndexUnavailableError
from bot.settings import Settings

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

SCHEMA_VERSION = 1
KINDS = ("passages", "sentences", "multilingual")


def open_client(settings: Settings):
    """A Chroma client: HttpClient for a `chroma run` server when BOT_CHROMA_HOST is set, else embedded."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.uses_chroma_server:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants here
            raise IndexUnavailableError(_unreachable(settings, exc)) from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def _unreachable(settings: Settings, exc: Exception) -> str:
    return (f"The Chroma server at {settings.chroma_host}:{settings.chroma_port} cannot be reached "
            f"({type(exc).__name__}). Check that `chroma run` is up, or unset BOT_CHROMA_HOST to use the local index.")


@dataclass
class IndexVersion:
    """One complete, immutable index: its two collections and what was ingested into it."""

    tag: str
    passages: Collection
    sentences: Collection
    info: dict = field(default_factory=dict)  # files, model, splitter settings, counts
    multilingual: Collection | None = None  # sentence vectors of the multilingual model, when ingested

    def collections(self) -> dict[str, Collection]:
        """Kind -> collection, for every collection the version has."""
        found = {"passages": self.passages, "sentences": self.sentences}
        if self.multilingual is not None:
            found["multilingual"] = self.multilingual
        return found

    @property
    def files(self) -> dict:
        return self.info.get("files", {})


class IndexStore:
    def __init__(self, settings: Settings, client=None):
        self.settings = settings
        self.client = client if client is not None else open_client(settings)
        self.prefix = settings.collection_prefix

    # --- names --------------------------------------------------------------------------------
    def _name(self, kind: str, tag: str = "") -> str:
        return f"{self.prefix}-{kind}-{tag}" if tag else f"{self.prefix}-{kind}"

    def _call(self, fn, *args, **kwargs):
        """Run a Chroma call, turning connection failures into IndexUnavailableError."""
        try:
            return fn(*args, **kwargs)
        except (ConnectionError, OSError) as exc:
            raise IndexUnavailableError(_unreachable(self.settings, exc)) from None
        except Exception as exc:
            if "connect" in str(exc).lower() and self.settings.uses_chroma_server:
                raise IndexUnavailableError(_unreachable(self.settings, exc)) from None
            raise

    # --- reading -------------------------------------------------------------------------------
    def live_tag(self) -> str | None:
        manifest = self._call(self.client.get_or_create_collection, self._name("manifest"), embedding_function=None)
        return (manifest.metadata or {}).get("live")

    def live(self) -> IndexVersion | None:
        tag = self.live_tag()
        return self.open_version(tag) if tag else None

    def require_live(self) -> IndexVersion:
        version = self.live()
        if version is None or not version.info.get("passages"):
            raise IndexMissingError()
        return version

    def open_version(self, tag: str) -> IndexVersion | None:
        try:
            passages = self._call(self.client.get_collection, self._name("passages", tag), embedding_function=None)
            sentences = self._call(self.client.get_collection, self._name("sentences", tag), embedding_function=None)
        except IndexUnavailableError:
            raise
        except Exception:  # published pointer to a collection that is gone: treat as missing
            return None
        info = json.loads((passages.metadata or {}).get("info", "{}"))
        multilingual = None
        if info.get("multilingual"):
            try:
                multilingual = self._call(self.client.get_collection, self._name("multilingual", tag),
                                          embedding_function=None)
            except IndexUnavailableError:
                raise
            except Exception:
                return None  # the version says it has one, and it is gone: not a usable version
        return IndexVersion(tag, passages, sentences, info, multilingual)

    # --- writing -------------------------------------------------------------------------------
    def create_version(self, multilingual: bool = False) -> IndexVersion:
        tag = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)
        kinds = ("passages", "sentences") + (("multilingual",) if multilingual else ())
        created = {kind: self._call(self.client.create_collection, self._name(kind, tag), embedding_function=None,
                                    configuration={"hnsw": {"space": "cosine"}}) for kind in kinds}
        return IndexVersion(tag, created["passages"], created["sentences"], multilingual=created.get("multilingual"))

    def add(self, collection, ids, embeddings, documents, metadatas) -> None:
        step = max(1, min(self.client.get_max_batch_size(), 2000))
        for i in range(0, len(ids), step):
            self._call(collection.add, ids=ids[i:i + step], embeddings=embeddings[i:i + step],
                       documents=documents[i:i + step], metadatas=metadatas[i:i + step])

    def publish(self, version: IndexVersion) -> None:
        """Record what the version holds, then make it live in one write."""
        info = dict(version.info, schema=SCHEMA_VERSION, published_at=time.time())
        self._call(version.passages.modify, metadata={"info": json.dumps(info)})
        manifest = self._call(self.client.get_or_create_collection, self._name("manifest"), embedding_function=None)
        self._call(manifest.modify, metadata={"live": version.tag})
        version.info = info
        self._refresh_stable_copy(version)

    @property
    def stable_name(self) -> str:
        """The fixed name other tools can open (`bot-passages`): a copy of the live version's passages."""
        return self._name("passages")

    def _refresh_stable_copy(self, version: IndexVersion) -> None:
        """Chroma has no collection aliases, so the live passages (vectors, texts, metadata) are copied into
        a collection with a fixed name after each publish. It is for reading by other tools; the bot itself
        reads the versioned collections. For a moment during the copy the fixed collection is empty."""
        try:
            self.client.delete_collection(self.stable_name)
        except Exception:
            pass  # first publish: nothing to replace
        stable = self._call(self.client.create_collection, self.stable_name, embedding_function=None,
                            configuration={"hnsw": {"space": "cosine"}},
                            metadata={"live": version.tag, "info": json.dumps(version.info)})
        include = ("documents", "metadatas", "embeddings")
        for ids, documents, metadatas, embeddings in self.read_all(version.passages, include=include):
            self.add(stable, list(ids), embeddings, list(documents), list(metadatas))

    def drop_version(self, tag: str) -> None:
        for kind in KINDS:
            try:
                self.client.delete_collection(self._name(kind, tag))
            except Exception:
                pass  # already gone

    def drop_unpublished(self) -> list[str]:
        """Delete every version except the live one (left-overs of crashed or superseded ingests)."""
        live = self.live_tag()
        stale = set()
        for collection in self._call(self.client.list_collections):
            name = getattr(collection, "name", collection)
            for kind in KINDS:
                head = self._name(kind) + "-"
                if name.startswith(head) and name[len(head):] != live:
                    stale.add(name[len(head):])
        for tag in stale:
            self.drop_version(tag)
        return sorted(stale)

    def query(self, collection, query_vector, n_results: int, include=("distances",)) -> dict:
        """The `n_results` records nearest to one query vector: Chroma's result (`ids`, `distances`, ...), one
        list per field holding the single query's list."""
        return self._call(collection.query, query_embeddings=[query_vector], n_results=n_results,
                          include=list(include))

    def get(self, collection, ids: list[str], include=("embeddings",)) -> dict:
        """The records with the given ids (those that exist): Chroma's result (`ids`, `embeddings`, ...)."""
        return self._call(collection.get, ids=ids, include=list(include))

    def count(self, collection) -> int:
        """How many records a collection holds."""
        return self._call(collection.count)

    def read_all(self, collection, include=("documents", "metadatas"), where=None, page: int = 5000):
        """Every record of a collection (optionally filtered), in pages; yields (ids, documents, metadatas,
        embeddings)."""
        offset = 0
        while True:
            batch = self._call(collection.get, where=where, limit=page, offset=offset, include=list(include))
            ids = batch["ids"]
            if not len(ids):
                return
            embeddings = batch.get("embeddings")
            yield ids, batch.get("documents"), batch.get("metadatas"), embeddings
            if len(ids) < page:
                return
            offset += page
