"""Query embedding: the ONNX path gives the torch model's vectors (and falls back to torch when it cannot export); the
multilingual question cache keeps its bound."""
import numpy as np
import pytest

TEXTS = ["baclofen withdrawal symptoms?", "can u get high on it",
         "What did the French trial with high doses find about heavy drinking days over a whole year?",
         "¿El baclofeno es adictivo?"]


@pytest.mark.slow
def test_onnx_vectors_match_torch(real_embedder):
    assert real_embedder._onnx is not None, "the export should work on this machine"
    fast = real_embedder.embed_few(TEXTS)  # padded batch of different lengths
    reference = real_embedder.embed(TEXTS)  # sentence-transformers' own encode, through torch
    assert fast.shape == reference.shape == (len(TEXTS), 384)
    assert np.allclose((fast * reference).sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose(real_embedder.embed_one(TEXTS[1]), reference[1], atol=1e-4)


@pytest.mark.slow
def test_unusable_cache_dir_falls_back_to_torch(tmp_path, caplog):
    from bot.index.embedding import SentenceTransformerEmbedder

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    embedder = SentenceTransformerEmbedder(onnx_dir=blocker / "onnx")
    vector = embedder.embed_one("is baclofen addictive")
    assert embedder._onnx is None and "using torch" in caplog.text
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_the_multilingual_question_cache_keeps_its_bound_and_can_be_turned_off():
    from bot.index.embedding import multilingual_embedder, set_multilingual_cache_size

    model = multilingual_embedder()
    try:
        set_multilingual_cache_size(0)  # as a Bot with BOT_QUERY_CACHE_SIZE=0 sets it
        first, again = model.embed_query("is baclofen addictive"), model.embed_query("is baclofen addictive")
        assert first is not again and np.allclose(first, again)  # embedded twice: nothing kept
        model.set_cache_size(1)
        kept = model.embed_query("is baclofen addictive")
        assert model.embed_query("is baclofen addictive") is kept
        model.embed_query("que es el baclofeno")  # the older question leaves a cache of one
        assert model.embed_query("is baclofen addictive") is not kept
        assert not model.embed_query("que es el baclofeno").flags.writeable
    finally:
        set_multilingual_cache_size(2048)
