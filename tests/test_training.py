"""The training driver: options, chunk layout, the learning-rate schedule across
threads, reproducibility, and multi-threaded quality (issue 2, parts 3 and 5)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import group_purity, topic_corpus

import fastw2v
from fastw2v import TrainOptions, Vocabulary, load_word2vec
from fastw2v.cli import flag_of
from fastw2v.engine.engine import chunk_layout
from fastw2v.engine.sampling import learning_rate
from fastw2v.errors import OptionError
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


# ---------------------------------------------------------------- options
def test_option_defaults_are_resolved():
    sg = TrainOptions().resolved()
    assert sg.alpha == 0.025 and sg.min_alpha == pytest.approx(0.025 * 1e-4)
    assert sg.threads >= 1
    cbow = TrainOptions(model="cbow").resolved()
    assert cbow.alpha == 0.05 and cbow.min_alpha == pytest.approx(0.05 * 1e-4)
    assert TrainOptions(alpha=0.1, min_alpha=0.0).resolved().min_alpha == 0.0


@pytest.mark.parametrize("options, fragment", [
    ({"model": "glove"}, "glove"), ({"batching": "x"}, "batching"),
    ({"dim": 0}, "--dim"), ({"window": 0}, "--window"), ({"negative": 0}, "--negative"),
    ({"epochs": 0}, "--epochs"), ({"min_count": 0}, "--min-count"), ({"threads": 0}, "--threads"),
    ({"max_sentence_length": 0}, "--max-sentence-length"), ({"max_vocab_size": -1}, "--max-vocab-size"),
    ({"sample": -1e-3}, "--sample"), ({"alpha": -0.1}, "--alpha"), ({"alpha": float("nan")}, "--alpha"),
    ({"alpha": float("inf")}, "--alpha"), ({"min_alpha": -1.0}, "--min-alpha"),
    ({"alpha": 0.01, "min_alpha": 0.02}, "--min-alpha"), ({"ns_exponent": -1.0}, "--ns-exponent"),
])
def test_invalid_options_are_rejected_before_any_work(options, fragment):
    """The library names the field; the command line shows it as its flag."""
    with pytest.raises(OptionError) as err:
        fastw2v.train([["a", "b"]], **{"min_count": 1, **options})
    field = err.value.field
    assert field in options and str(err.value).startswith(f"{field} ")
    assert err.value.render(flag_of).startswith(f"{flag_of(field)} ")
    assert fragment in err.value.render(flag_of)


def test_model_basics(tmp_path):
    sentences, _ = topic_corpus(n_sentences=300)
    model = fastw2v.train(sentences, min_count=1, dim=16, epochs=2, threads=1, seed=3)
    n = len(model.vocab)
    assert model.input_vectors.shape == (n, 16) and model.output_vectors.shape == (n, 16)
    assert model.input_vectors.dtype == np.float32 and model.output_vectors.dtype == np.float32
    assert np.all(np.isfinite(model.input_vectors)) and np.any(model.output_vectors != 0)
    assert model.options.alpha == 0.025 and model.options.dim == 16 and model.options.threads == 1
    assert model.stats.epochs == 2 and model.stats.words_per_epoch == 300 * 10 == model.vocab.total
    word = model.vocab.words[5]
    assert np.array_equal(model[word], model.input_vectors[5]) and word in model
    model.save(tmp_path / "v.txt")
    words, vecs = load_word2vec(tmp_path / "v.txt", binary=False)
    assert words == model.vocab.words and np.array_equal(bits(vecs), bits(model.input_vectors))


def test_save_vocab_and_vocab_argument(tmp_path):
    sentences, _ = topic_corpus(n_sentences=300)
    m1 = fastw2v.train(sentences, min_count=1, dim=8, epochs=1, threads=1,
                       save_vocab=tmp_path / "vocab.txt")
    saved = Vocabulary.load(tmp_path / "vocab.txt")
    assert saved.words == m1.vocab.words and np.array_equal(saved.counts, m1.vocab.counts)
    for vocab in (saved, tmp_path / "vocab.txt", str(tmp_path / "vocab.txt")):
        m2 = fastw2v.train(sentences, vocab=vocab, min_count=1, dim=8, epochs=1, threads=1)
        assert np.array_equal(bits(m1.input_vectors), bits(m2.input_vectors))


# ---------------------------------------------------------------- chunk layout
def test_chunk_layout_partitions_sentences_by_word_position():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 300, size=2000)
    ends = np.cumsum(lengths).astype(np.int64)
    for chunk_words in (1, 50, 1000, 10_000, 10**9):
        starts = chunk_layout(ends, chunk_words)
        assert starts[0] == 0 and starts[-1] == len(ends)
        assert np.all(np.diff(starts) > 0)  # every chunk holds at least one sentence
        # A chunk starts exactly where a sentence's end crosses into a new multiple
        # of chunk_words: one chunk per distinct value of end // chunk_words.
        assert len(starts) - 1 == len(np.unique(ends // chunk_words))
        marks = ends // chunk_words
        for c in range(len(starts) - 1):
            assert len(set(marks[starts[c]:starts[c + 1]].tolist())) == 1
    assert chunk_layout(np.zeros(0, dtype=np.int64)).tolist() == [0]


# ---------------------------------------------------------------- learning rate
@pytest.fixture(scope="module")
def schedule_corpus():
    """About 60k words in sentences of 1..40 words: several 10k-word chunks."""
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(400)]
    sentences = []
    n = 0
    while n < 60_000:
        k = int(rng.integers(1, 41))
        sentences.append([words[i] for i in np.minimum(rng.zipf(1.5, size=k), 400) - 1])
        n += k
    return sentences


def test_chunk_alphas_independent_of_threads_and_follow_schedule(schedule_corpus):
    opts = dict(min_count=2, dim=8, epochs=3, window=3, negative=3, seed=7)
    m1 = fastw2v.train(schedule_corpus, threads=1, **opts)
    m2 = fastw2v.train(schedule_corpus, threads=2, **opts)
    assert m1.chunk_alphas.dtype == np.float32
    assert np.array_equal(m1.chunk_alphas, m2.chunk_alphas)

    # Expected values from the definition: the rate of a chunk is the rate of its
    # first sentence, a function of the corpus position of that sentence's first
    # word, here in the last epoch (the array is overwritten every epoch).
    _, encoded = vocab_and_corpus(Corpus(schedule_corpus), min_count=2, max_vocab_size=0,
                                  max_sentence_length=10_000)
    n = encoded.n_words
    assert n == m1.stats.words_per_epoch
    starts = chunk_layout(encoded.sentence_ends)
    assert len(starts) - 1 == len(m1.chunk_alphas) >= 5
    first_word = np.concatenate(([0], encoded.sentence_ends))[starts[:-1]]
    epochs, alpha, min_alpha = 3, m1.options.alpha, m1.options.min_alpha
    done = (epochs - 1) * n + first_word
    expected = np.array([learning_rate(alpha, min_alpha, d, epochs * n) for d in done], dtype=np.float32)
    assert np.array_equal(m1.chunk_alphas, expected)
    # ...and the same from first principles (linear decay), up to float32 rounding.
    np.testing.assert_allclose(m1.chunk_alphas, alpha - (alpha - min_alpha) * done / (epochs * n), rtol=1e-6)
    assert m1.chunk_alphas[0] == pytest.approx(alpha - (alpha - min_alpha) * 2 / 3, rel=1e-6)
    assert np.all(np.diff(m1.chunk_alphas) < 0)


def test_single_epoch_starts_at_alpha(schedule_corpus):
    m = fastw2v.train(schedule_corpus, min_count=2, dim=4, epochs=1, threads=2, alpha=0.04,
                      min_alpha=0.001)
    assert m.chunk_alphas[0] == np.float32(0.04)
    assert np.all((m.chunk_alphas > 0.001) & (m.chunk_alphas <= 0.04))


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("options", [
    {"model": "sg"}, {"model": "sg", "batching": "none"}, {"model": "cbow"}], ids=["sg", "sg-pairs", "cbow"])
def test_one_thread_same_seed_is_bit_identical(schedule_corpus, options):
    opts = dict(min_count=2, dim=12, epochs=2, window=3, negative=4, threads=1, **options)
    a = fastw2v.train(schedule_corpus, seed=5, **opts)
    b = fastw2v.train(schedule_corpus, seed=5, **opts)
    assert np.array_equal(bits(a.input_vectors), bits(b.input_vectors))
    assert np.array_equal(bits(a.output_vectors), bits(b.output_vectors))
    c = fastw2v.train(schedule_corpus, seed=6, **opts)
    assert not np.array_equal(a.input_vectors, c.input_vectors)


@pytest.fixture(scope="module")
def topics():
    return topic_corpus(n_groups=12, group_size=12, n_sentences=4000, sentence_length=10, seed=1)


@pytest.mark.parametrize("model", ["sg", "cbow"])
def test_two_threads_train_as_well_as_one(topics, model):
    # Each sentence draws its words from one of 12 disjoint groups, so a working
    # trainer puts each word's nearest neighbour in its own group (chance: 11/143).
    sentences, groups = topics
    opts = dict(model=model, min_count=1, dim=24, epochs=3, window=4, negative=5, sample=0, seed=2)
    one = fastw2v.train(sentences, threads=1, **opts)
    two = fastw2v.train(sentences, threads=2, **opts)
    assert one.options.threads == 1 and two.options.threads == 2
    assert np.all(np.isfinite(two.input_vectors))
    p1, p2 = group_purity(one, groups), group_purity(two, groups)
    # Both far above chance (0.08); Hogwild races may cost a little, not much.
    assert p1 >= 0.9 and p2 >= 0.9
    assert abs(p1 - p2) <= 0.1
    # A continuous measure too: mean cosine within groups minus mean cosine across
    # groups (0 for untrained vectors, about 0.6 here; across seeds it varies by
    # ~0.015). Two threads must give nearly the same separation as one.
    g1, g2 = group_gap(one, groups), group_gap(two, groups)
    assert g1 > 0.3 and g2 > 0.3
    assert abs(g1 - g2) < 0.05


def group_gap(model, groups):
    words = [w for g in groups for w in g]
    label = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    x = np.stack([model[w] for w in words]).astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    same = label[:, None] == label[None, :]
    np.fill_diagonal(same, False)
    return float(sim[same].mean() - sim[label[:, None] != label[None, :]].mean())


def test_training_moves_vectors_and_untrained_words_are_not_nan(schedule_corpus):
    m0 = fastw2v.train(schedule_corpus, min_count=2, dim=8, epochs=1, threads=1, alpha=0.0,
                       min_alpha=0.0)
    m1 = fastw2v.train(schedule_corpus, min_count=2, dim=8, epochs=1, threads=1)
    # alpha = 0: nothing learned; initial vectors are uniform in [-0.5/dim, 0.5/dim).
    assert np.all(np.abs(m0.input_vectors) <= 0.5 / 8) and np.all(m0.output_vectors == 0)
    assert not np.array_equal(m0.input_vectors, m1.input_vectors)
