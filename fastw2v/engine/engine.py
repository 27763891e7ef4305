"""The engine: one model's training, a run of chunks at a time, through the one kernel call.

An :class:`Engine` owns everything an epoch needs: the loss's tables, the
subsampling probabilities, the layout of the corpus in chunks, the counters
the kernel writes, and the call into :func:`fastw2v.engine.kernels.train_epoch`.
Both drivers use it, the single-process one (:mod:`fastw2v.training.driver`)
and each Dask worker's (:mod:`fastw2v.training.distributed`); neither builds a
table or calls the kernel itself.

The engine knows nothing of files, options objects or progress bars: it takes
arrays and the settings it needs, by name.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from . import kernels
from .inputs import WordRows
from .losses import loss_tables
from .sampling import keep_probabilities

CHUNK_WORDS = 10_000  # sentences are grouped into chunks of about this many words


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (``a`` itself stays as it was)."""
    view = a.view()
    view.flags.writeable = False
    return view


@njit(cache=True)
def chunk_layout(sentence_ends: np.ndarray, chunk_words: int = CHUNK_WORDS) -> np.ndarray:
    """Group consecutive sentences into chunks of at least ``chunk_words`` words.

    Returns ``starts`` with chunk c covering sentences ``starts[c]:starts[c+1]``:
    a new chunk begins at the first sentence ending in a new multiple of
    ``chunk_words``. The layout depends on the corpus alone, never on the
    number of threads; it reads ``sentence_ends`` once, without temporaries.
    """
    n = sentence_ends.shape[0]
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    n_chunks = 1
    for s in range(1, n):
        n_chunks += sentence_ends[s] // chunk_words != sentence_ends[s - 1] // chunk_words
    starts = np.empty(n_chunks + 1, dtype=np.int64)
    starts[0] = 0
    c = 1
    for s in range(1, n):
        if sentence_ends[s] // chunk_words != sentence_ends[s - 1] // chunk_words:
            starts[c] = s
            c += 1
    starts[n_chunks] = n
    return starts


class Engine:
    """The training of ``syn0``/``syn1`` (and NCE's ``bias``) on one encoded corpus.

    ``counts``: the vocabulary's counts (noise, subsampling and Huffman tables come
    from them). ``tokens``/``sentence_ends``: the encoded corpus. The settings are
    the fields of the same names of :class:`fastw2v.TrainOptions`; ``seed`` and
    ``threads`` are given apart because a Dask worker uses its own; ``share_negatives``
    0 (all of a centre's context words share its outputs) unless given.
    """

    def __init__(self, syn0: np.ndarray, syn1: np.ndarray, bias: np.ndarray | None,
                 counts: np.ndarray, tokens: np.ndarray, sentence_ends: np.ndarray, *,
                 model: str, batching: str, loss: str, window: int, negative: int, sample: float,
                 ns_exponent: float, alpha: float, min_alpha: float, epochs: int, seed: int,
                 threads: int, report_loss: bool = False, inputs=None, share_negatives: int = 0):
        self.syn0, self.syn1, self.bias = syn0, syn1, bias
        self.threads = threads
        self.loss = loss_tables(loss, counts, ns_exponent, negative, bias)
        self.inputs = inputs if inputs is not None else WordRows(len(counts))
        self.schedule = kernels.Schedule(keep_probabilities(counts, sample), kernels.rule_of(model, batching),
                                         int(share_negatives), int(window), float(alpha), float(min_alpha),
                                         int(epochs), int(seed))
        # Read-only views whether the corpus is in memory or a memory-mapped cache: one
        # compiled kernel serves both (Numba types a read-only array apart, and compiling
        # each variant of every loss and input side costs seconds on a first run).
        tokens, sentence_ends = _read_only(tokens), _read_only(sentence_ends)
        self.chunks = chunk_layout(sentence_ends)
        self.corpus = kernels.CorpusArrays(tokens, sentence_ends, self.chunks)
        self.n_chunks = self.chunks.shape[0] - 1
        self.counters = kernels.Counters(np.zeros(threads * kernels.PROGRESS_STRIDE, dtype=np.int64),
                                         np.zeros(threads * kernels.PROGRESS_STRIDE, dtype=np.float64),
                                         np.zeros(1, dtype=np.int64),
                                         np.zeros(self.n_chunks, dtype=np.float32), bool(report_loss))

    @property
    def params(self) -> list[np.ndarray]:
        """What training changes: syn0, syn1 and, for NCE, the biases."""
        return [self.syn0, self.syn1] + ([self.bias] if self.bias is not None else [])

    @property
    def chunk_alphas(self) -> np.ndarray:
        """The learning rate at each chunk's start (of the last epoch that trained it)."""
        return self.counters.chunk_alphas

    def run(self, epoch: int, lo: int, hi: int, chunk_done: np.ndarray) -> None:
        """Train chunks ``lo:hi`` of ``epoch`` that ``chunk_done`` does not mark (marking them)."""
        numba.set_num_threads(min(self.threads, numba.config.NUMBA_NUM_THREADS))
        kernels.train_epoch(self.syn0, self.syn1, self.corpus, self.inputs, self.loss, self.schedule,
                            self.counters, epoch, lo, hi, chunk_done, self.threads)

    def warm_up(self) -> None:
        """Load (or compile) the kernel with a call that trains nothing."""
        self.run(0, 0, 0, np.zeros(max(self.n_chunks, 1), dtype=np.uint8))

    def words(self) -> int:
        """Corpus words trained since the counters were last taken."""
        return int(self.counters.progress.sum())

    def loss_sum(self) -> float:
        """The loss summed since the counters were last taken (with ``report_loss``)."""
        return float(self.counters.losses.sum())

    def take_counts(self) -> tuple[int, float]:
        """(words, loss) since the last take, and zero the counters."""
        words, loss = self.words(), self.loss_sum()
        self.counters.progress[:] = 0
        self.counters.losses[:] = 0
        return words, loss

    @property
    def stop(self) -> np.ndarray:
        """Set ``stop[0]`` (from any thread) to make the workers stop before their next chunk."""
        return self.counters.stop

    def segments(self, words: int) -> list[tuple[int, int]]:
        """Cut the chunks into consecutive runs of about ``words`` corpus words, each one
        kernel call: between calls a driver checks for stops, guards the numerics,
        writes checkpoints and lets go of the corpus pages read."""
        return segments(self.chunks, self.corpus.sentence_ends, words)

    def rounds(self, n: int) -> np.ndarray:
        """Chunk index where each of ``n`` rounds begins (and the end): round r trains the
        chunks ending in the r-th of ``n`` equal parts of the corpus's words."""
        return round_bounds(self.chunks, self.corpus.sentence_ends, n)


def first_beyond(arrays: list[np.ndarray], limit: float) -> int:
    """Index of the first array holding NaN, infinity or a value beyond ``limit``, or -1."""
    for i, a in enumerate(arrays):
        if not kernels.all_within(a, limit):
            return i
    return -1


def segments(chunk_starts: np.ndarray, sentence_ends: np.ndarray, words: int) -> list[tuple[int, int]]:
    """:meth:`Engine.segments` of a layout."""
    n_chunks = chunk_starts.shape[0] - 1
    if n_chunks <= 0:
        return []
    last = chunk_starts[1:] - 1  # last sentence of each chunk
    chunk_end_words = np.asarray(sentence_ends[last], dtype=np.int64)
    marks = chunk_end_words // max(words, 1)
    cuts = np.flatnonzero(np.diff(marks)) + 1
    bounds = [0] + cuts.tolist() + [n_chunks]
    return [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]


def round_bounds(chunk_starts: np.ndarray, sentence_ends: np.ndarray, rounds: int) -> np.ndarray:
    """:meth:`Engine.rounds` of a layout."""
    n_chunks = chunk_starts.shape[0] - 1
    if n_chunks <= 0:
        return np.zeros(rounds + 1, dtype=np.int64)
    chunk_end_words = np.asarray(sentence_ends[chunk_starts[1:] - 1], dtype=np.float64)
    n_words = float(sentence_ends[-1])
    marks = np.arange(rounds + 1, dtype=np.float64) * n_words / rounds
    bounds = np.searchsorted(chunk_end_words, marks, side="right").astype(np.int64)
    bounds[0], bounds[-1] = 0, n_chunks
    return bounds
