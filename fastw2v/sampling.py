"""Sampling: random numbers, subsampling, negative table, learning rate, sigmoid.

Everything the kernels draw or look up, as small functions that tests can call
directly from Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---------------------------------------------------------------- random numbers
# A 64-bit linear congruential generator (Knuth's MMIX constants), one state per
# chunk of the corpus. The high 32 bits are well distributed; they are all we use.
_LCG_MUL = np.uint64(6364136223846793005)
_LCG_ADD = np.uint64(1442695040888963407)


@njit(cache=True, inline="always")
def next_random(state):
    """Advance ``state``; return (new state, 32 random bits as uint64)."""
    state = state * _LCG_MUL + _LCG_ADD
    return state, state >> np.uint64(32)


@njit(cache=True)
def seed_state(seed, epoch, chunk):
    """The random state of one chunk in one epoch (SplitMix64 of its coordinates)."""
    z = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
         + np.uint64(epoch) * np.uint64(0xBF58476D1CE4E5B9)
         + np.uint64(chunk) * np.uint64(0x94D049BB133111EB) + np.uint64(1))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def random_below(bits, n):
    """Map 32 random bits to an integer in [0, n) (multiply-shift, no division)."""
    return np.int64((bits * np.uint64(n)) >> np.uint64(32))


# ---------------------------------------------------------------- subsampling
def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec.c's probability of keeping each occurrence of a word.

    ``(sqrt(f / (s*T)) + 1) * (s*T) / f`` with f the word's count, T the total
    count of vocabulary words and s = ``sample``; capped at 1. ``sample = 0``
    keeps everything.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(counts.shape[0], dtype=np.float32)
    threshold = sample * counts.sum()
    keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
    return np.minimum(keep, 1.0).astype(np.float32)


# ---------------------------------------------------------------- negatives
def negative_table_size(vocab_size: int) -> int:
    """Table length: 100 slots per word, between 10^6 and 10^8 (word2vec.c uses 10^8)."""
    return int(min(10**8, max(10**6, 100 * vocab_size)))


def negative_table(counts: np.ndarray, exponent: float = 0.75, size: int | None = None) -> np.ndarray:
    """word2vec.c's unigram table: word i fills a share count_i^exponent / Z of the slots.

    Slot j holds the word whose cumulative share contains (j + 0.5) / size, so
    each word's slot count is its exact share rounded. Drawing a uniform random
    slot draws words with probability count^exponent / Z.
    """
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    size = size or negative_table_size(len(weights))
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    # Word i owns the slots j with cumulative[i-1] <= (j + 0.5) / size < cumulative[i].
    bounds = np.ceil(cumulative * size - 0.5).astype(np.int64)
    bounds[-1] = size
    slots = np.diff(bounds, prepend=0)
    return np.repeat(np.arange(len(weights), dtype=np.int32), slots)


# ---------------------------------------------------------------- learning rate
@njit(cache=True)
def learning_rate(alpha, min_alpha, done, total):
    """Linear decay from ``alpha`` to ``min_alpha`` as ``done`` goes from 0 to ``total``.

    ``done`` counts corpus words before the current point over all epochs, so
    the rate depends on the position in the corpus, never on thread timing.
    """
    rate = alpha - (alpha - min_alpha) * (done / total)
    return max(rate, min_alpha)


# ---------------------------------------------------------------- sigmoid
MAX_EXP = 6.0
SIGMOID_TABLE_SIZE = 1024


def sigmoid_table() -> np.ndarray:
    """sigmoid(x) sampled at the centres of SIGMOID_TABLE_SIZE cells over [-6, 6]."""
    x = (np.arange(SIGMOID_TABLE_SIZE) + 0.5) / SIGMOID_TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


@njit(cache=True, inline="always")
def sigmoid(table, x):
    """Table sigmoid; clipped to exactly 0 and 1 beyond +-6 as in word2vec.c."""
    if x >= MAX_EXP:
        return np.float32(1.0)
    if x <= -MAX_EXP:
        return np.float32(0.0)
    return table[int((x + MAX_EXP) * (SIGMOID_TABLE_SIZE / (2 * MAX_EXP)))]
