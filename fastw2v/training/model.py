"""The model: the vectors, and where training stands.

The options are :class:`fastw2v.training.options.TrainOptions`; :class:`Word2VecModel` holds the vocabulary, the input
vectors (the word vectors users keep) and the output layer (see
docs/output-layers.md); :class:`TrainState` is the position of a run, which
with the model makes a checkpoint (:mod:`fastw2v.training.checkpoint`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from numba import njit, prange

from ..engine.engine import Engine
from ..engine.inputs import SubwordRows, WordRows
from ..engine.intrinsics import LINE_FLOATS
from ..text.subwords import ngram_rows
from ..text.vocab import Vocabulary
from ..vectors.word2vec_format import save_word2vec
from .export import exported_vectors
from .model_file import ModelParts, read_model, write_model
from .options import TrainOptions

DIVERGED_LIMIT = 1e4  # a vector component beyond this means training has blown up


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
    """A trained model: vocabulary, input vectors (the word vectors) and output layer.

    ``syn0`` and ``syn1`` are the training buffers: rows padded with zero columns to
    a whole number of 64-byte cache lines (see :func:`aligned_zeros`).
    ``input_vectors`` and ``output_vectors`` are their ``dim`` real columns.
    What ``syn1`` holds depends on ``options.loss`` (docs/output-layers.md): for
    ns and nce one output vector per word (V rows), for hs the V - 1 inner nodes
    of the Huffman tree (also named ``inner_node_vectors``; row i is inner node i,
    the root is V - 2; see :mod:`fastw2v.engine.huffman`). ``biases``: NCE's trained
    bias per word (float32, V), None for the other losses.
    """

    vocab: Vocabulary
    syn0: np.ndarray  # (V, padded dim) float32: input vectors
    syn1: np.ndarray  # (V or V-1 for hs, padded dim) float32: the output layer
    options: TrainOptions
    stats: TrainStats = field(default_factory=TrainStats)
    chunk_alphas: np.ndarray | None = None  # learning rate at each chunk start, last epoch
    epoch_losses: list = field(default_factory=list)  # loss per word per epoch (report_loss)
    biases: np.ndarray | None = None  # (V,) float32 for nce (created zero if not given)
    _ngrams: tuple | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.options.loss == "nce" and self.biases is None:
            self.biases = np.zeros(len(self.vocab), dtype=np.float32)

    @property
    def input_rows(self) -> np.ndarray:
        """Every row of the input layer, unpadded: the V word rows, then (with subwords) the
        n-gram buckets. Without subwords, the same as :attr:`input_vectors`."""
        return self.syn0[:, :self.options.dim]

    @property
    def input_vectors(self) -> np.ndarray:
        """(V, dim) the word vectors: a word's input row; with subwords, the mean of its
        own row and its n-gram rows (fastText's word vector), computed afresh."""
        if not self.options.subwords:
            return self.syn0[:, :self.options.dim]
        offsets, ngrams = self.ngrams
        out = np.empty((len(self.vocab), self.options.dim), dtype=np.float32)
        compose_words(self.syn0, offsets, ngrams, self.options.dim, out)
        return out

    @property
    def ngrams(self) -> tuple[np.ndarray, np.ndarray]:
        """With subwords: every word's n-gram rows, ``(offsets, rows)`` as
        :func:`fastw2v.text.subwords.ngram_rows` gives them."""
        key = (id(self.vocab), self.options.minn, self.options.maxn, self.options.bucket)
        if self._ngrams is None or self._ngrams[0] != key:
            o = self.options
            self._ngrams = key, ngram_rows(self.vocab.words, o.minn, o.maxn, o.bucket, len(self.vocab))
        return self._ngrams[1]

    @property
    def inputs(self):
        """The engine's input side for this model (:mod:`fastw2v.engine.inputs`)."""
        if not self.options.subwords:
            return WordRows(len(self.vocab))
        offsets, rows = self.ngrams
        most = int(np.diff(offsets).max()) + 1 if len(self.vocab) else 1
        return SubwordRows(offsets, rows, most)

    @property
    def output_vectors(self) -> np.ndarray:
        """(V, dim) output vectors for ns and nce; for hs the (V - 1, dim) inner nodes."""
        return self.syn1[:, :self.options.dim]

    @property
    def inner_node_vectors(self) -> np.ndarray | None:
        """hs: the (V - 1, dim) vectors of the Huffman tree's inner nodes; None otherwise."""
        return self.output_vectors if self.options.loss == "hs" else None

    @property
    def words(self) -> list[str]:
        return self.vocab.words

    def __getitem__(self, word: str) -> np.ndarray:
        w = self.vocab.index[word]
        if not self.options.subwords:
            return self.input_vectors[w]
        offsets, ngrams = self.ngrams
        rows = [w, *ngrams[offsets[w]:offsets[w + 1]].tolist()]
        return self.syn0[rows, :self.options.dim].mean(axis=0, dtype=np.float32)

    def __contains__(self, word: str) -> bool:
        return word in self.vocab

    def save(self, path: str | os.PathLike, binary: bool = False, export: str = "in") -> None:
        """Write the word vectors in word2vec text (or binary) format.

        ``export``: "in" (input vectors, the default), "out" (output vectors) or "in+out"
        (their sum); hs has only "in" (see :func:`fastw2v.training.export.exported_vectors`).
        """
        save_word2vec(path, self.vocab.words, exported_vectors(self, export), binary=binary,
                      threads=self.options.threads)

    def save_model(self, path: str | os.PathLike) -> None:
        """Write the whole model (vocabulary and counts, both layers, options) to ``path`` in
        fastText's ``.bin`` format, plus ``path.fastw2v.json`` for what that format cannot
        hold: :func:`fastw2v.load_model` reads it back to query or train further, and the
        ``fasttext`` package and gensim load it too (:mod:`fastw2v.training.model_file`)."""
        write_model(path, ModelParts(self.vocab, self.input_rows, self.output_vectors, self.options,
                                     self.biases))

    def to_keyedvectors(self, export: str = "in"):
        """The word vectors as a gensim ``KeyedVectors`` (gensim must be installed).

        The vocabulary's words in order, a float32 copy of the vectors ``export``
        names (as for :meth:`save`) and each word's corpus count as its ``count``
        attribute: what gensim's ``KeyedVectors.load_word2vec_format`` reads from the
        files :meth:`save` and ``vocab.save`` write (the latter as ``fvocab``).
        """
        from ..vectors.gensim_bridge import to_keyedvectors

        return to_keyedvectors(self.vocab.words, exported_vectors(self, export), self.vocab.counts)


def load_model(path: str | os.PathLike) -> Word2VecModel:
    """A model saved by :meth:`Word2VecModel.save_model`, or a word-vector model (no
    subwords) that fastText or gensim saved in fastText's ``.bin`` format: to query,
    or to train further (``fastw2v.train(corpus, init=model)``). A damaged or foreign
    file raises :class:`fastw2v.errors.FastW2VError` with one line."""
    parts = read_model(path)
    dim = parts.options.dim
    syn0 = aligned_zeros(parts.input.shape[0], dim)
    syn0[:, :dim] = parts.input
    syn1 = aligned_zeros(parts.output.shape[0], dim)
    syn1[:, :dim] = parts.output
    return Word2VecModel(parts.vocab, syn0, syn1, parts.options, TrainStats(), biases=parts.biases)


@njit(cache=True, parallel=True)
def compose_words(syn0, offsets, ngrams, dim, out):
    """out[w] = the mean of row w of syn0 and its n-gram rows ``ngrams[offsets[w]:offsets[w + 1]]``."""
    for w in prange(out.shape[0]):
        for d in range(dim):
            out[w, d] = syn0[w, d]
        for k in range(offsets[w], offsets[w + 1]):
            row = ngrams[k]
            for d in range(dim):
                out[w, d] += syn0[row, d]
        inv = np.float32(1.0) / np.float32(1 + offsets[w + 1] - offsets[w])
        for d in range(dim):
            out[w, d] *= inv


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


def input_rows(opts: TrainOptions, n_words: int) -> int:
    """Rows of the input layer: one per word, then (with subwords) one per n-gram bucket."""
    return n_words + (opts.bucket if opts.subwords else 0)


def initial_vectors(n: int, dim: int, seed: int, out_rows: int | None = None,
                    threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Padded syn0 uniform in [-0.5/dim, 0.5/dim) (real columns), syn1 zero.

    ``out_rows``: rows of syn1 (default n; hs has n - 1, see ``output_rows``).
    The values are one stream of ``default_rng(seed)`` in row order, whatever
    ``threads`` (default: the cores, as the option's) fill it: see :func:`_fill_uniform`.
    """
    syn0 = aligned_zeros(n, dim)
    _fill_uniform(syn0, dim, seed, threads or os.cpu_count() or 1)
    return syn0, aligned_zeros(n if out_rows is None else out_rows, dim)


_FILL_BLOCK = 1 << 22  # floats per block: no full-size temporaries (2M n-gram buckets)


def _fill_uniform(syn0: np.ndarray, dim: int, seed: int, threads: int) -> None:
    """syn0[:, :dim] = (u - 0.5) / dim, u the float32 stream of ``default_rng(seed)``
    in row order, filled by up to ``threads`` threads, each over its own rows.

    NumPy makes float32 value f of the stream from half of the generator's 64-bit
    output f // 2 (the low half when f is even), so a thread starting at value f
    advances its own copy of the generator by f // 2 outputs and, when f is odd,
    draws one value to skip it: every thread count gives the same bits. NumPy
    releases the GIL while it fills an array, and the pages of the 800 MB of a
    subword model are first touched by the threads that fill them.
    """
    n = syn0.shape[0]
    rows_per_block = max(1, _FILL_BLOCK // dim)
    parts = min(threads, -(-n // rows_per_block))

    def fill(lo: int, hi: int) -> None:
        first = lo * dim
        bits = np.random.PCG64(seed)  # what default_rng(seed) uses
        bits.advance(first // 2)
        rng = np.random.Generator(bits)
        if first % 2:
            rng.random(1, dtype=np.float32)
        block = np.empty((min(rows_per_block, hi - lo), dim), dtype=np.float32)
        for a in range(lo, hi, rows_per_block):
            b = min(hi, a + rows_per_block)
            part = block[:b - a]
            rng.random(out=part, dtype=np.float32)
            part -= np.float32(0.5)
            part /= np.float32(dim)
            syn0[a:b, :dim] = part

    if parts <= 1:
        fill(0, n)
        return
    bounds = [n * k // parts for k in range(parts + 1)]
    with ThreadPoolExecutor(parts) as pool:
        for done in [pool.submit(fill, lo, hi) for lo, hi in pairwise(bounds)]:
            done.result()


@dataclass
class TrainState:
    """Where training stands: enough, with the model, to continue exactly (a checkpoint)."""

    epoch: int = 0  # the epoch under way (0-based); == epochs when finished
    chunk_done: np.ndarray | None = None  # uint8 per chunk of the corpus: trained this epoch
    words_done: int = 0  # corpus words trained, all epochs (whole chunks)
    epoch_words: int = 0  # of which in the epoch under way
    epoch_loss: float = 0.0  # loss summed over the epoch under way (with report_loss)
    train_seconds: float = 0.0
    epoch_losses: list = field(default_factory=list)  # loss per word of each finished epoch


def engine_for(opts: TrainOptions, syn0: np.ndarray, syn1: np.ndarray, bias: np.ndarray | None,
               counts: np.ndarray, encoded, *, seed: int | None = None, threads: int | None = None,
               report_loss: bool = False, inputs=None) -> Engine:
    """The :class:`fastw2v.engine.engine.Engine` that trains these parameters under ``opts``
    on ``encoded`` (an :class:`fastw2v.text.corpus.EncodedCorpus`); ``seed`` and
    ``threads`` default to the options'."""
    return Engine(syn0, syn1, bias, counts, encoded.tokens, encoded.sentence_ends, inputs=inputs,
                  model=opts.model, batching=opts.batching, share_negatives=opts.share_negatives,
                  loss=opts.loss, window=opts.window,
                  negative=opts.negative, sample=opts.sample, ns_exponent=opts.ns_exponent,
                  alpha=opts.alpha, min_alpha=opts.min_alpha, epochs=opts.epochs,
                  seed=opts.seed if seed is None else seed,
                  threads=opts.threads if threads is None else threads, report_loss=report_loss)
