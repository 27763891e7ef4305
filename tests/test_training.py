"""The training driver: options, chunk layout, the learning-rate schedule across
threads, reproducibility, and multi-threaded quality (issue 2, parts 3 and 5)."""

from __future__ import annotations

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
def test_invalid_options_are_rejected_before_any_work(options, fragment, monkeypatch):
    """The option error comes first: reading the corpus (or preparing it) would raise
    something else, so the option check must happen before either is touched. The
    library names the field; the command line shows it as its flag."""
    from fastw2v.training import driver

    class Untouchable:
        def __iter__(self):
            raise AssertionError("the corpus was read before the options were checked")

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the options were checked")

    monkeypatch.setattr(driver, "Corpus", no_work)
    monkeypatch.setattr(driver, "prepare_corpus", no_work)
    monkeypatch.setattr(driver, "vocab_and_corpus", no_work)
    with pytest.raises(OptionError) as err:
        fastw2v.train(Untouchable(), **{"min_count": 1, **options})
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


@pytest.mark.parametrize("n, dim", [(1, 1), (9, 3), (1001, 5), (4099, 7), (257, 300)])
def test_initial_vectors_are_one_stream_whatever_the_threads(monkeypatch, n, dim):
    """syn0 starts as one float32 stream of default_rng(seed) in row order, (u - 0.5) / dim,
    padding zero; threads that each fill their own rows (small blocks here, so that many
    start at an odd value of the stream) give the same bits as one."""
    from fastw2v.training import model as model_module

    monkeypatch.setattr(model_module, "_FILL_BLOCK", 61)
    stream = np.random.default_rng(11).random(n * dim, dtype=np.float32).reshape(n, dim)
    expected = (stream - np.float32(0.5)) / np.float32(dim)
    for threads in (1, 2, 3, 8):
        syn0, syn1 = model_module.initial_vectors(n, dim, 11, threads=threads)
        assert syn0[:, :dim].tobytes() == expected.tobytes(), threads
        assert not syn0[:, dim:].any() and not syn1.any()


def test_training_moves_vectors_and_untrained_words_keep_their_initial_values(schedule_corpus):
    """Words of the vocabulary that never occur in the corpus are never a context, so their
    input rows stay finite and exactly as initialised; every word that does occur moves.
    With alpha 0 nothing moves at all: syn0 is its seeded initial value, syn1 stays zero."""
    from collections import Counter

    from fastw2v.training.model import initial_vectors

    counts = Counter(w for s in schedule_corpus for w in s)
    seen = {w: c for w, c in counts.items() if c >= 2}
    absent = {"never-seen-a": 5000, "never-seen-b": 40, "never-seen-c": 2}  # one of them frequent
    vocab = Vocabulary.from_counts({**seen, **absent})
    opts = dict(vocab=vocab, min_count=2, dim=8, epochs=1, threads=1, seed=4)
    trained = fastw2v.train(schedule_corpus, **opts)
    init0, _ = initial_vectors(len(vocab), 8, 4)
    assert np.all(np.abs(init0[:, :8]) <= 0.5 / 8)
    assert np.all(np.isfinite(trained.syn0)) and np.all(np.isfinite(trained.syn1))
    never = [vocab.index[w] for w in absent]
    assert np.array_equal(bits(trained.syn0[never]), bits(init0[never]))
    occurring = [vocab.index[w] for w in seen]
    moved = np.abs(trained.input_vectors[occurring] - init0[occurring, :8]).max(axis=1)
    assert np.all(moved > 1e-4), np.sort(moved)[:5]  # each by far more than a rounding step
    assert np.all(np.abs(trained.output_vectors[occurring]).max(axis=1) > 1e-4)

    frozen = fastw2v.train(schedule_corpus, alpha=0.0, min_alpha=0.0, **opts)
    assert np.array_equal(bits(frozen.syn0), bits(init0))
    assert np.array_equal(bits(frozen.syn1), bits(np.zeros_like(frozen.syn1)))


# ---------------------------------------------------------------- padding
RULES = {"sg": {"model": "sg"}, "sg-pairs": {"model": "sg", "batching": "none"}, "cbow": {"model": "cbow"}}


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_padding_columns_start_at_zero_and_stay_exactly_zero(loss, rule):
    """Rows are padded to 16 floats; dim 12 leaves 4 padding columns, which must be
    +0.0 bit for bit at the start and after training, for every loss and rule."""
    from fastw2v.engine.losses import output_rows
    from fastw2v.training.model import initial_vectors

    syn0, syn1 = initial_vectors(50, 12, 3, output_rows(loss, 50))
    assert syn0.shape[1] == syn1.shape[1] == 16
    assert not bits(syn0[:, 12:]).any() and not bits(syn1).any()
    sentences, _ = topic_corpus(n_sentences=400)
    m = fastw2v.train(sentences, min_count=1, dim=12, epochs=2, threads=2, seed=3, loss=loss,
                      negative=3, window=3, **RULES[rule])
    assert m.syn0.shape[1] == m.syn1.shape[1] == 16
    assert np.abs(m.output_vectors).max() > 1e-3  # the output layer was trained
    assert not bits(m.syn0[:, 12:]).any(), "input padding changed"
    assert not bits(m.syn1[:, 12:]).any(), "output padding changed"


# ---------------------------------------------------------------- random draws and threads
@pytest.fixture(scope="module")
def draws_corpus():
    """About 60k words (6 chunks); every word is frequent enough to be subsampled."""
    sentences, _ = topic_corpus(n_sentences=6000, sentence_length=10, seed=5)
    return sentences


def _frozen_loss(sentences, threads: int, seed: int = 9, **options) -> float:
    """The loss summed over one epoch at alpha 0 from fixed random vectors.

    Nothing is updated, so the loss is a function of the random draws alone: which
    words subsampling keeps, each centre's window, and the noise words."""
    from fastw2v.engine.losses import output_rows
    from fastw2v.training.driver import RunControl, run_epochs
    from fastw2v.training.model import (
        TrainState,
        TrainStats,
        Word2VecModel,
        aligned_zeros,
    )

    opts = TrainOptions(min_count=1, dim=12, epochs=1, threads=threads, seed=seed, window=4, negative=4,
                        sample=1e-3, alpha=0.0, min_alpha=0.0, **options).resolved()
    vocab, encoded = vocab_and_corpus(Corpus(sentences), min_count=1, max_vocab_size=0,
                                      max_sentence_length=10_000)
    rng = np.random.default_rng(0)
    syn0 = aligned_zeros(len(vocab), opts.dim)
    syn1 = aligned_zeros(output_rows(opts.loss, len(vocab)), opts.dim)
    syn0[:, :opts.dim] = rng.normal(0, 0.5, (syn0.shape[0], opts.dim))
    syn1[:, :opts.dim] = rng.normal(0, 0.5, (syn1.shape[0], opts.dim))
    model = Word2VecModel(vocab, syn0, syn1, opts, TrainStats(words_per_epoch=encoded.n_words))
    if model.biases is not None:
        model.biases[:] = rng.normal(0, 1, model.biases.shape[0])
    before = bits(syn0).copy()
    run_epochs(model, encoded, RunControl(report_loss=True), TrainState())
    assert np.array_equal(bits(model.syn0), before)  # alpha 0: really nothing moved
    assert len(chunk_layout(encoded.sentence_ends)) - 1 >= 5
    return model.epoch_losses[0] * encoded.n_words


@pytest.mark.parametrize("options", [
    {}, {"batching": "none"}, {"model": "cbow"}, {"loss": "nce"}, {"loss": "hs"},
], ids=["sg", "sg-pairs", "cbow", "nce", "hs"])
def test_random_draws_are_the_same_whatever_the_thread_count(draws_corpus, options):
    """Each chunk draws from its own generator, seeded from (seed, epoch, chunk): the
    same words are kept, the same windows and noise words drawn with 1, 2 or 3
    threads, so the frozen loss is the same up to the order of the float64 sums.
    A draw that depended on the thread would change the samples, and the loss by far
    more than that. A different seed shows how far."""
    one = _frozen_loss(draws_corpus, 1, **options)
    for threads in (2, 3):
        assert _frozen_loss(draws_corpus, threads, **options) == pytest.approx(one, rel=1e-11)
    assert _frozen_loss(draws_corpus, 1, seed=10, **options) != pytest.approx(one, rel=1e-6)
