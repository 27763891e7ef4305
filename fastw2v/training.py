"""The training driver: options, the model, and :func:`train`.

:func:`train` reads and encodes the corpus once (:mod:`fastw2v.encode`), builds
the sampling tables (:mod:`fastw2v.sampling`), then runs one parallel kernel call
per epoch (:mod:`fastw2v.kernels`) while a monitor thread shows progress.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field

import numba
import numpy as np

from . import kernels
from .corpus import Corpus, EncodedCorpus
from .encode import vocab_and_corpus
from .errors import FastW2VError
from .prefetch import LINE_FLOATS
from .progress import Display, Monitor, elapsed, format_rate
from .sampling import keep_probabilities, learning_rate, negative_table, sigmoid_table
from .vectors import check_output_path, save_word2vec
from .vocab import Vocabulary

MODELS = ("sg", "cbow")
BATCHING = ("shared-negatives", "none")
CHUNK_WORDS = 10_000  # sentences are grouped into chunks of about this many words


@dataclass
class TrainOptions:
    """Every training setting, with word2vec.c's defaults where it has one."""

    model: str = "sg"
    dim: int = 100
    window: int = 5
    negative: int = 5
    sample: float = 1e-3
    min_count: int = 5
    max_vocab_size: int = 0  # 0: no limit
    alpha: float | None = None  # None: 0.025 for sg, 0.05 for cbow
    min_alpha: float | None = None  # None: 0.0001 * alpha
    epochs: int = 5
    threads: int | None = None  # None: all cores
    seed: int = 1
    ns_exponent: float = 0.75
    max_sentence_length: int = 10_000
    batching: str = "shared-negatives"

    def resolved(self) -> "TrainOptions":
        """A validated copy with every default filled in."""
        o = TrainOptions(**asdict(self))
        if o.model not in MODELS:
            raise FastW2VError(f"unknown model {o.model!r} (choose sg or cbow)")
        if o.batching not in BATCHING:
            raise FastW2VError(f"unknown batching {o.batching!r} (choose {' or '.join(BATCHING)})")
        for name in ("dim", "window", "negative", "epochs", "min_count", "max_sentence_length"):
            if getattr(o, name) < 1:
                raise FastW2VError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(o, name)})")
        if o.threads is None:
            o.threads = os.cpu_count() or 1
        if o.threads < 1:
            raise FastW2VError(f"--threads must be at least 1 (got {o.threads})")
        if o.max_vocab_size < 0:
            raise FastW2VError(f"--max-vocab-size must be 0 (no limit) or positive (got {o.max_vocab_size})")
        if o.alpha is None:
            o.alpha = 0.025 if o.model == "sg" else 0.05
        if o.min_alpha is None:
            o.min_alpha = 0.0001 * o.alpha
        for name in ("sample", "alpha", "min_alpha", "ns_exponent"):
            value = getattr(o, name)
            if not value >= 0 or value == float("inf"):  # also rejects NaN
                raise FastW2VError(f"--{name.replace('_', '-')} must be a finite number >= 0 (got {value})")
        if o.min_alpha > o.alpha:
            raise FastW2VError(f"--min-alpha ({o.min_alpha}) must not exceed --alpha ({o.alpha})")
        return o

    @property
    def rule(self) -> int:
        if self.model == "cbow":
            return kernels.CBOW
        return kernels.SG_SHARED if self.batching == "shared-negatives" else kernels.SG_PAIRS


@dataclass
class TrainStats:
    words_per_epoch: int = 0  # corpus words in the vocabulary (before subsampling)
    epochs: int = 0
    prepare_seconds: float = 0.0  # reading, counting, encoding
    train_seconds: float = 0.0

    @property
    def words_trained(self) -> int:
        return self.words_per_epoch * self.epochs

    @property
    def words_per_second(self) -> float:
        return self.words_trained / self.train_seconds if self.train_seconds else 0.0


@dataclass
class Word2VecModel:
    """A trained model: vocabulary, input vectors (the word vectors) and output vectors.

    ``syn0`` and ``syn1`` are the training buffers: rows padded with zero columns to
    a whole number of 64-byte cache lines (see :func:`aligned_zeros`).
    ``input_vectors`` and ``output_vectors`` are their ``dim`` real columns.
    """

    vocab: Vocabulary
    syn0: np.ndarray  # (V, padded dim) float32: input vectors
    syn1: np.ndarray  # (V, padded dim) float32: output vectors of negative sampling
    options: TrainOptions
    stats: TrainStats = field(default_factory=TrainStats)
    chunk_alphas: np.ndarray | None = None  # learning rate at each chunk start, last epoch

    @property
    def input_vectors(self) -> np.ndarray:
        return self.syn0[:, :self.options.dim]

    @property
    def output_vectors(self) -> np.ndarray:
        return self.syn1[:, :self.options.dim]

    @property
    def words(self) -> list[str]:
        return self.vocab.words

    def __getitem__(self, word: str) -> np.ndarray:
        return self.input_vectors[self.vocab.index[word]]

    def __contains__(self, word: str) -> bool:
        return word in self.vocab

    def save(self, path: str | os.PathLike, binary: bool = False) -> None:
        """Write the input vectors in word2vec text (or binary) format."""
        save_word2vec(path, self.vocab.words, self.input_vectors, binary=binary)


def chunk_layout(sentence_ends: np.ndarray, chunk_words: int = CHUNK_WORDS) -> np.ndarray:
    """Group consecutive sentences into chunks of at least ``chunk_words`` words.

    Returns ``starts`` with chunk c covering sentences ``starts[c]:starts[c+1]``.
    The layout depends on the corpus alone, never on the number of threads.
    """
    if sentence_ends.shape[0] == 0:
        return np.zeros(1, dtype=np.int64)
    marks = sentence_ends // chunk_words  # chunk index of each sentence's end
    boundaries = np.flatnonzero(np.diff(marks)) + 1  # first sentence past each mark change
    return np.concatenate(([0], boundaries[boundaries < sentence_ends.shape[0]],
                           [sentence_ends.shape[0]])).astype(np.int64)


def aligned_zeros(rows: int, dim: int) -> np.ndarray:
    """A zero float32 matrix whose rows are whole, 64-byte aligned cache lines.

    Columns beyond ``dim`` are padding. They start at zero and stay exactly zero
    in training (every update to a column is a product with the same column of
    another padded matrix), so they never change a result; they let the kernels'
    vector loops run without remainders or loads split across cache lines.
    """
    width = -(-dim // LINE_FLOATS) * LINE_FLOATS
    flat = np.zeros(rows * width + LINE_FLOATS, dtype=np.float32)
    offset = (-flat.ctypes.data % 64) // 4
    return flat[offset:offset + rows * width].reshape(rows, width)


def initial_vectors(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Padded syn0 uniform in [-0.5/dim, 0.5/dim) (real columns), syn1 zero."""
    rng = np.random.default_rng(seed)
    syn0 = aligned_zeros(n, dim)
    syn0[:, :dim] = (rng.random((n, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    return syn0, aligned_zeros(n, dim)


def train(corpus, *, vocab: Vocabulary | str | os.PathLike | None = None,
          save_vocab: str | os.PathLike | None = None, progress: bool | Display = False,
          **options) -> Word2VecModel:
    """Train word vectors on ``corpus`` and return the model.

    ``corpus``: a path, a list of paths (plain, .gz, .bz2 or .xz), or an iterable
    of sentences given as lists of str tokens. ``vocab``: a :class:`Vocabulary`
    or a word2vec.c vocabulary file to use instead of counting. ``options``: the
    fields of :class:`TrainOptions`. ``progress``: show progress bars on stderr.
    """
    opts = TrainOptions(**options).resolved()
    display = progress if isinstance(progress, Display) else Display(bool(progress))
    source = Corpus(corpus)
    if isinstance(vocab, (str, os.PathLike)):
        vocab = Vocabulary.load(vocab, opts.min_count)
    if save_vocab is not None:
        check_output_path(save_vocab)

    t0 = time.perf_counter()
    with display.phase("reading", source.total_bytes) as update:
        vocab, encoded = vocab_and_corpus(
            source, min_count=opts.min_count, max_vocab_size=opts.max_vocab_size,
            max_sentence_length=opts.max_sentence_length, vocab=vocab, progress=update)
    stats = TrainStats(words_per_epoch=encoded.n_words, prepare_seconds=elapsed(t0))
    display.line(f"vocabulary: {len(vocab):,} words, corpus: {encoded.n_words:,} words in "
                 f"{encoded.n_sentences:,} sentences ({stats.prepare_seconds:.1f} s)")
    if save_vocab is not None:
        vocab.save(save_vocab)

    syn0, syn1 = initial_vectors(len(vocab), opts.dim, opts.seed)
    model = Word2VecModel(vocab, syn0, syn1, opts, stats)
    run_epochs(model, encoded, display)
    display.line(f"trained {stats.words_trained:,} words in {stats.train_seconds:.1f} s "
                 f"({format_rate(stats.words_per_second)}, {opts.threads} threads)")
    return model


def run_epochs(model: Word2VecModel, encoded: EncodedCorpus, display: Display) -> None:
    """Run every epoch of training on ``model`` in place."""
    opts, stats = model.options, model.stats
    keep = keep_probabilities(model.vocab.counts, opts.sample)
    table = negative_table(model.vocab.counts, opts.ns_exponent)
    sig = sigmoid_table()
    chunks = chunk_layout(encoded.sentence_ends)
    chunk_alphas = np.zeros(chunks.shape[0] - 1, dtype=np.float32)
    progress = np.zeros(opts.threads * kernels.PROGRESS_STRIDE, dtype=np.int64)
    numba.set_num_threads(min(opts.threads, numba.config.NUMBA_NUM_THREADS))
    total = encoded.n_words * opts.epochs
    # Compile (first run) or load (later runs) the kernel with a call that has no
    # chunks to train, so that neither counts as training time.
    kernels.train_epoch(model.syn0, model.syn1, encoded.tokens, encoded.sentence_ends,
                        chunks[:1], keep, table, sig, opts.rule, opts.window, opts.negative,
                        opts.alpha, opts.min_alpha, 0, opts.epochs, opts.seed, opts.threads,
                        progress, chunk_alphas)
    t0 = time.perf_counter()
    with display.phase("training", total) as update:
        for epoch in range(opts.epochs):
            progress[:] = 0
            done_before = epoch * encoded.n_words

            def poll():
                done = done_before + int(progress.sum())
                seconds = elapsed(t0)
                alpha = learning_rate(opts.alpha, opts.min_alpha, done, total)
                update(done, f"{format_rate(done / seconds if seconds else 0)}  lr {alpha:.2e}")

            with Monitor(poll):
                kernels.train_epoch(
                    model.syn0, model.syn1, encoded.tokens,
                    encoded.sentence_ends, chunks, keep, table, sig, opts.rule, opts.window,
                    opts.negative, opts.alpha, opts.min_alpha, epoch, opts.epochs, opts.seed,
                    opts.threads, progress, chunk_alphas)
            stats.epochs = epoch + 1
    stats.train_seconds = elapsed(t0)
    model.chunk_alphas = chunk_alphas
