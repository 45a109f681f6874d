"""The answer index, shared by the ingest pipeline (`ingest/`, which writes it) and the bot (which reads it).

- `documents`: corpus files read into `CorpusDocument`s, their metadata validated;
- `splitting`: document bodies split into passages and sentences, with character offsets;
- `embedding`: the sentence-embedding models (bundled MiniLM, multilingual-e5), loaded lazily and offline;
- `records`: the format of index records: passage and sentence ids, and their metadata;
- `store`: the versioned Chroma collections behind one published pointer (`IndexStore`).

Dependencies point one way: `ingest` imports from here (and from `bot.settings`, `bot.errors`, `bot.schema`);
nothing in `bot` imports `ingest`.
"""
