"""Subword (fastText) vectors (issue 17): the hash and the n-gram lists against fastText's
own code, the subword input side of the kernel against a finite-difference gradient,
training, and model files that fastText and gensim load with the same vectors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_env, fastw2v_script, topic_corpus
from test_output_layers import (
    CENTER,
    DIM,
    NOISE_TABLE,
    K,
    draw_outputs_py,
    nce_loss,
    numeric_gradients,
)

import fastw2v
from fastw2v.engine import kernels
from fastw2v.engine.inputs import SubwordRows
from fastw2v.engine.losses import NoiseContrastive, nce_log_kq
from fastw2v.errors import FastW2VError
from fastw2v.text.subwords import fnv1a, ngram_rows, word_ngrams
from fastw2v.vectors.fasttext_bin import ft_hash

WORDS = ["where", "été", "naïve", "日本語", "a", "aaaa", "Straße", "😀ok", "x" * 40]


# ---------------------------------------------------------------- the hash and the n-grams
def test_word_ngrams_are_fasttexts():
    assert word_ngrams("where", 3, 6) == ["<wh", "<whe", "<wher", "<where", "whe", "wher", "where", "where>",
                                          "her", "here", "here>", "ere", "ere>", "re>"]
    assert word_ngrams("été", 1, 2) == ["<é", "é", "ét", "t", "té", "é", "é>"]  # never a lone < or >
    assert word_ngrams("a", 3, 6) == ["<a>"]
    assert word_ngrams("aaaa", 3, 3) == ["<aa", "aaa", "aaa", "aa>"]  # repeats count twice


@pytest.mark.parametrize("word", WORDS)
def test_numba_hash_is_fasttexts_signed_char_fnv1a(word):
    data = np.frombuffer(word.encode(), dtype=np.uint8)
    assert int(fnv1a(data, 0, len(data))) == ft_hash(word.encode())
    # Worked by hand for one byte: (2166136261 ^ 0x61) * 16777619 mod 2^32 = 0xe40c292c.
    assert ft_hash(b"a") == 0xE40C292C
    # A byte >= 128 is sign-extended: 0xC3 xors as 0xFFFFFFC3, not 0x000000C3.
    assert ft_hash(b"\xc3") == ((2166136261 ^ 0xFFFFFFC3) * 16777619) % 2**32


def test_ngram_rows_equal_fasttexts_get_subwords(tmp_path):
    """A model written by fastw2v, loaded by the fasttext package: fastText computes the
    n-gram ids of every word (and of unseen ones) with its own code from the file's minn,
    maxn and bucket; they are ours."""
    fasttext = pytest.importorskip("fasttext")
    sentences, _ = topic_corpus(n_sentences=400)
    sentences = [s + [WORDS[i % len(WORDS)]] * 2 for i, s in enumerate(sentences)]
    model = fastw2v.train(sentences, min_count=2, dim=8, epochs=1, threads=1, minn=2, maxn=5, bucket=997)
    model.save_model(tmp_path / "m.bin")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    offsets, rows = model.ngrams
    for i, w in enumerate(model.words):
        grams, ids = ft.get_subwords(w)
        assert ids[0] == i and list(ids[1:]) == rows[offsets[i]:offsets[i + 1]].tolist(), w
        assert list(grams[1:]) == word_ngrams(w, 2, 5)
    for unseen in ("zzqx", "éléphant", "日本"):
        grams, ids = ft.get_subwords(unseen)
        assert list(ids) == ngram_rows([unseen], 2, 5, 997, len(model.words))[1].tolist()


# ---------------------------------------------------------------- the gradient
COUNTS = np.array([90, 60, 40, 30, 20, 12, 8, 5, 3])
LOG_KQ = nce_log_kq(COUNTS, 0.75, K).astype(np.float64)


def run_subword_step(rule, syn0, syn1, inputs, ctx, alpha, bias):
    """One centre through the kernel's own step, with NCE (whose sigmoid is exact, so the
    check needs no allowance for word2vec.c's table)."""
    loss = NoiseContrastive(NOISE_TABLE, LOG_KQ, bias, K)
    outs = np.zeros(8, np.int32)
    labels = np.zeros(8, np.float64)
    n_out, rng = draw_outputs_py(loss, outs, labels, np.uint64(11))
    scratch = kernels.new_scratch(loss, inputs, 4, syn0)
    slots = np.arange(len(ctx))
    cached = rule != kernels.SG_PAIRS  # through the window cache, as the kernel trains them
    if cached:
        for b, c in enumerate(ctx):
            kernels._cache_word(inputs, syn0, c, b, scratch)
    total, _ = kernels.centre_step(rule, 0, loss, inputs, syn0, syn1, CENTER, np.array(ctx, np.int32), slots,
                                   len(ctx), outs, n_out, labels, scratch, alpha, True, rng)
    if cached:
        for b, c in enumerate(ctx):
            kernels._uncache_word(inputs, syn0, c, b, scratch)
    return total, outs[1:K + 1].tolist()


@pytest.mark.parametrize("rule", [kernels.SG_SHARED, kernels.SG_PAIRS, kernels.CBOW], ids=["sg-shared", "sg-pairs", "cbow"])
def test_subword_update_is_the_gradient_of_the_mean_input(rule):
    """A word's input is the mean of its own row and its n-gram rows. The step gives each
    of those rows the whole gradient of that mean (fastText's unsupervised rule, and
    word2vec.c's CBOW rule): k times the gradient of the loss with respect to the row
    itself, k the rows averaged. Checked against central differences of the loss stated
    in NumPy, with n-gram rows shared by two words and one n-gram listed twice."""
    V, B = 9, 6
    rng = np.random.default_rng(4)
    syn0 = rng.normal(0, 0.6, (V + B, DIM))
    syn1 = rng.normal(0, 0.6, (V, DIM))
    grams = {1: [V + 0, V + 1, V + 1], 4: [V + 2, V + 3], 8: [V + 0, V + 4, V + 5]}  # 1 repeats V+1; 1, 8 share V
    offsets = np.zeros(V + 1, np.int64)
    for w in range(V):
        offsets[w + 1] = offsets[w] + len(grams.get(w, []))
    ngrams = np.array([r for w in range(V) for r in grams.get(w, [])], np.int32)
    inputs = SubwordRows(offsets, ngrams, 4)
    ctx = [1, 4, 8] if rule != kernels.SG_PAIRS else [1]

    def rows(c):
        return [c, *grams.get(c, [])]

    bias = rng.normal(0, 0.5, V)
    _, noise = run_subword_step(rule, syn0.copy(), syn1.copy(), inputs, ctx, 0.0, bias.copy())
    assert len(set(noise)) == K

    nce = nce_loss(LOG_KQ)

    def ns(h):
        return nce(h, syn1, bias, CENTER, noise)

    def stated():
        if rule == kernels.CBOW:
            return ns(syn0[[r for c in ctx for r in rows(c)]].mean(axis=0))
        return sum(ns(syn0[rows(c)].mean(axis=0)) for c in ctx)

    before0, before1 = syn0.copy(), syn1.copy()
    alpha = 1e-3
    reported, _ = run_subword_step(rule, syn0, syn1, inputs, ctx, alpha, bias.copy())
    after0, after1 = syn0.copy(), syn1.copy()
    syn0[...], syn1[...] = before0, before1
    assert reported == pytest.approx(stated(), abs=1e-5)
    g0, g1 = numeric_gradients(stated, [syn0, syn1])
    # Expected update of each input row: every time it is listed among a context's rows,
    # -alpha times the gradient of that context's loss with respect to its mean input.
    expected = np.zeros_like(syn0)
    if rule == kernels.CBOW:
        listed = [r for c in ctx for r in rows(c)]
        per_row = np.zeros_like(syn0)  # d loss / d row = (times listed / N) * d loss / d h
        for r in set(listed):
            per_row[r] = g0[r] / (listed.count(r) / len(listed))
        dh = per_row[listed[0]]
        for r in listed:
            expected[r] += dh
    else:
        for c in ctx:
            one = [r for r in rows(c)]
            # the gradient of this context's term alone, by differences
            def term(c=c):
                return ns(syn0[rows(c)].mean(axis=0))
            gc, = numeric_gradients(term, [syn0])
            dh = gc[one[0]] * len(one)  # the word's own row is listed once
            for r in one:
                expected[r] += dh
    np.testing.assert_allclose((after0 - before0) / -alpha, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose((after1 - before1) / -alpha, g1, rtol=1e-5, atol=1e-7)
    assert np.abs(expected).max() > 0.05 and np.abs(g1).max() > 0.05


# ---------------------------------------------------------------- training and the files
@pytest.fixture(scope="module")
def subword_model():
    sentences, groups = topic_corpus(n_sentences=3000)
    return fastw2v.train(sentences, min_count=2, dim=12, epochs=3, threads=1, seed=2, minn=3, maxn=5,
                         bucket=5000), groups


def test_subword_model_has_word_rows_then_buckets_and_composed_vectors(subword_model):
    model, _ = subword_model
    V = len(model.words)
    assert model.syn0.shape[0] == V + 5000 and model.input_rows.shape == (V + 5000, 12)
    offsets, rows = model.ngrams
    for w in (0, V // 2, V - 1):
        mean = model.syn0[[w, *rows[offsets[w]:offsets[w + 1]]], :12].mean(axis=0)
        np.testing.assert_allclose(model.input_vectors[w], mean, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(model[model.words[w]], mean, rtol=1e-6, atol=1e-7)
    assert model.syn0[V:, :12].std() > 0  # the buckets trained (or at least start random)


def test_subword_model_learns_the_topics(subword_model):
    from conftest import group_purity

    model, groups = subword_model
    assert group_purity(model, groups) > 0.9


def unseen_vector(model, word):
    """A word never seen: the mean of its n-gram rows (minn 3, maxn 5, 5000 buckets)."""
    _, rows = ngram_rows([word], 3, 5, 5000, len(model.words))
    return model.syn0[rows, :12].mean(axis=0)


def test_subword_bin_loads_in_fasttext_with_our_vectors(subword_model, tmp_path):
    fasttext = pytest.importorskip("fasttext")

    model, _ = subword_model
    model.save_model(tmp_path / "m.bin")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    for w in model.words[:40]:
        np.testing.assert_allclose(ft.get_word_vector(w), model[w], atol=1e-5)
    np.testing.assert_allclose(ft.get_word_vector("g1w1x"), unseen_vector(model, "g1w1x"), atol=1e-5)


def test_subword_bin_loads_in_gensim_with_our_vectors(subword_model, tmp_path):
    """gensim alone (no fasttext package): the same vectors for vocabulary words and for
    an unseen word (from the buckets, by gensim's own n-gram hashing)."""
    pytest.importorskip("gensim")
    from gensim.models.fasttext import load_facebook_model, load_facebook_vectors

    model, _ = subword_model
    model.save_model(tmp_path / "m.bin")
    gm = load_facebook_model(tmp_path / "m.bin")
    gv = load_facebook_vectors(tmp_path / "m.bin")
    V = len(model.words)
    for wv in (gm.wv, gv):
        assert list(wv.index_to_key) == model.words and (wv.min_n, wv.max_n, wv.bucket) == (3, 5, 5000)
        np.testing.assert_array_equal(wv.vectors_ngrams, model.syn0[V:, :12])
        for w in model.words[:40]:
            np.testing.assert_allclose(wv[w], model[w], atol=1e-5)
        np.testing.assert_allclose(wv["g1w1x"], unseen_vector(model, "g1w1x"), atol=1e-5)
    back = fastw2v.load_model(tmp_path / "m.bin")
    assert np.array_equal(back.syn0, model.syn0) and back.options.maxn == 5 and back.options.bucket == 5000


def test_vec_output_is_the_composed_word_vectors(subword_model, tmp_path):
    from gensim.models import KeyedVectors

    model, _ = subword_model
    model.save(tmp_path / "v.vec")
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.vec")
    assert list(kv.index_to_key) == model.words
    np.testing.assert_allclose(kv.vectors, model.input_vectors, atol=1e-6)


def test_checkpoint_and_resume_of_a_subword_run_is_exact(tmp_path):
    sentences, _ = topic_corpus(n_sentences=800)
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    settings = dict(min_count=2, dim=8, epochs=2, threads=1, seed=1, minn=3, maxn=4, bucket=300)
    whole = fastw2v.train(path, **settings)
    control = fastw2v.RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=60.0)
    fastw2v.train(path, control=control, **{**settings, "epochs": 1})
    from fastw2v.training.checkpoint import load_checkpoint

    model, _, _ = load_checkpoint(tmp_path / "c.ckpt")
    assert model.syn0.shape[0] == len(model.words) + 300
    done = fastw2v.train(path, **settings)
    assert np.array_equal(done.syn0, whole.syn0)


def test_continue_a_subword_model_keeps_its_buckets_and_settings(subword_model, tmp_path):
    model, _ = subword_model
    more = fastw2v.train([["g1w1", "brandnew", "g1w2"]] * 50, init=model, alpha=0.0, min_alpha=0.0,
                         threads=1, in_memory=True)
    V = len(model.words)
    assert "brandnew" in more and np.array_equal(more.syn0[len(more.words):], model.syn0[V:])
    assert more.options.maxn == 5
    with pytest.raises(FastW2VError, match="maxn cannot change when continuing"):
        fastw2v.train([["a", "b"]] * 10, init=model, maxn=6, min_count=1)


@pytest.mark.parametrize("args, message", [
    (["--maxn", "3", "--minn", "4"], "--minn (4) does not make n-grams: with --maxn 3, --minn must be at most --maxn"),
    (["--maxn", "3", "--bucket", "0"], "--bucket (0) does not make n-grams"),
    (["--maxn", "-1"], "--maxn must be 0 or more"),
    (["--maxn", "3", "--dask", "local:1"], "subword models (--maxn > 0) are not trained on Dask yet"),
])
def test_bad_subword_options_give_one_line(tmp_path, args, message):
    import subprocess

    (tmp_path / "c.txt").write_text("a b c\n" * 20)
    done = subprocess.run([*fastw2v_script(), "train", str(tmp_path / "c.txt"), "-o", str(tmp_path / "v.txt"),
                           *args], capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


@pytest.mark.parametrize("model", ["sg", "cbow"])
@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_window_cache_trains_as_the_uncached_kernel(model, loss):
    """With subwords the kernel keeps each context word's input vector in a cache while it
    is in the window, and adds its gathered gradient to its rows when it leaves. On
    sentences where no word repeats (so no two cached copies of one row exist), that is
    the uncached kernel's training up to float rounding: the same input side without
    n-grams (SubwordRows with none) against WordRows, which reads and writes the rows
    for every centre."""
    from fastw2v.engine.inputs import WordRows
    from fastw2v.engine.losses import output_rows
    from fastw2v.text.corpus import EncodedCorpus
    from fastw2v.training.model import engine_for, initial_vectors
    from fastw2v.training.options import TrainOptions

    rng = np.random.default_rng(0)
    V = 60
    sentences = [rng.permutation(V)[:20] for _ in range(1500)]
    encoded = EncodedCorpus(np.concatenate(sentences).astype(np.int32),
                            np.cumsum([len(s) for s in sentences]).astype(np.int64))
    counts = np.bincount(encoded.tokens, minlength=V).astype(np.int64)
    opts = TrainOptions(model=model, loss=loss, dim=16, window=3, epochs=2, threads=1, min_count=1,
                        sample=0).resolved()
    trained = []
    for inputs in (WordRows(V), SubwordRows(np.zeros(V + 1, np.int64), np.zeros(0, np.int32), 1)):
        syn0, syn1 = initial_vectors(V, 16, 1, output_rows(loss, V))
        bias = np.zeros(V, np.float32) if loss == "nce" else None
        engine = engine_for(opts, syn0, syn1, bias, counts, encoded, inputs=inputs)
        for epoch in range(2):
            engine.run(epoch, 0, engine.n_chunks, np.zeros(engine.n_chunks, np.uint8))
        trained.append((syn0.copy(), syn1.copy()))
    for a, b in zip(*trained):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-4 * np.abs(a).max())
    assert np.abs(trained[0][0] - initial_vectors(V, 16, 1)[0]).max() > 0.1  # it trained
