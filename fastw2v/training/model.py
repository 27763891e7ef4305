"""The model: training options, the vectors, and where training stands.

:class:`TrainOptions` holds every setting (word2vec.c's defaults where it has
one) and validates them; :class:`Word2VecModel` holds the vocabulary, the input
vectors (the word vectors users keep) and the output layer (see
docs/output-layers.md); :class:`TrainState` is the position of a run, which
with the model makes a checkpoint (:mod:`fastw2v.training.checkpoint`).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

import numpy as np

from ..engine import kernels
from ..engine.intrinsics import LINE_FLOATS
from ..engine.losses import LOSSES
from ..errors import FastW2VError
from ..text.vocab import Vocabulary
from ..vectors.word2vec_format import save_word2vec
from .export import exported_vectors

MODELS = ("sg", "cbow")
# Upper limits of the integer options.
_MOST = {"dim": 100_000, "window": 10_000, "negative": 10_000, "epochs": 1_000_000, "threads": 4096,
         "min_count": 2**62, "max_vocab_size": 2**62, "max_sentence_length": 2**31 - 1,
         "seed": 2**63 - 1}
DIVERGED_LIMIT = 1e4  # a vector component beyond this means training has blown up
BATCHING = ("shared-negatives", "none")


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
    loss: str = "ns"  # output layer: ns (negative sampling), nce or hs (hierarchical softmax)

    def resolved(self) -> "TrainOptions":
        """A validated copy with every default filled in."""
        o = TrainOptions(**asdict(self))
        if o.model not in MODELS:
            raise FastW2VError(f"unknown model {o.model!r} (choose sg or cbow)")
        if o.batching not in BATCHING:
            raise FastW2VError(f"unknown batching {o.batching!r} (choose {' or '.join(BATCHING)})")
        if o.loss not in LOSSES:
            raise FastW2VError(f"unknown --loss {o.loss!r} (choose ns, nce or hs)")
        if o.loss == "hs" and o.negative < 0:  # hs draws no negatives: 0 is fine (word2vec.c -negative 0)
            raise FastW2VError(f"--negative must be 0 or more (got {o.negative})")
        for name in ("dim", "window", "negative", "epochs", "min_count", "max_sentence_length"):
            if name == "negative" and o.loss == "hs":
                continue
            if getattr(o, name) < 1:
                raise FastW2VError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(o, name)})")
        if o.threads is None:
            o.threads = os.cpu_count() or 1
        if o.threads < 1:
            raise FastW2VError(f"--threads must be at least 1 (got {o.threads})")
        if o.max_vocab_size < 0:
            raise FastW2VError(f"--max-vocab-size must be 0 (no limit) or positive (got {o.max_vocab_size})")
        if o.seed < 0:
            raise FastW2VError(f"--seed must be 0 or more (got {o.seed})")
        for name, most in _MOST.items():  # far beyond any real use; keeps every allocation sane
            if getattr(o, name) > most:
                raise FastW2VError(f"--{name.replace('_', '-')} must be at most {most:,} "
                                   f"(got {getattr(o, name):,})")
        if o.alpha is None:
            o.alpha = 0.025 if o.model == "sg" else 0.05
        for name in ("sample", "alpha", "min_alpha", "ns_exponent"):
            value = getattr(o, name)
            if isinstance(value, int):  # from the API or a checkpoint: an int would compile another kernel
                setattr(o, name, float(value) if value < 1e308 else float("inf"))
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

    def __post_init__(self) -> None:
        if self.options.loss == "nce" and self.biases is None:
            self.biases = np.zeros(len(self.vocab), dtype=np.float32)

    @property
    def input_vectors(self) -> np.ndarray:
        return self.syn0[:, :self.options.dim]

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
        return self.input_vectors[self.vocab.index[word]]

    def __contains__(self, word: str) -> bool:
        return word in self.vocab

    def save(self, path: str | os.PathLike, binary: bool = False, export: str = "in") -> None:
        """Write the word vectors in word2vec text (or binary) format.

        ``export``: "in" (input vectors, the default), "out" (output vectors) or "in+out"
        (their sum); hs has only "in" (see :func:`fastw2v.training.export.exported_vectors`).
        """
        save_word2vec(path, self.vocab.words, exported_vectors(self, export), binary=binary)


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


def initial_vectors(n: int, dim: int, seed: int, out_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Padded syn0 uniform in [-0.5/dim, 0.5/dim) (real columns), syn1 zero.

    ``out_rows``: rows of syn1 (default n; hs has n - 1, see ``output_rows``).
    """
    rng = np.random.default_rng(seed)
    syn0 = aligned_zeros(n, dim)
    syn0[:, :dim] = (rng.random((n, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)
    return syn0, aligned_zeros(n if out_rows is None else out_rows, dim)


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
