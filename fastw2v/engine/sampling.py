"""Sampling: random numbers, subsampling, noise words, learning rate, sigmoid.

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
# Noise words come from Walker's alias table of count^exponent / Z: one entry per
# word (8 bytes; 350 KB for 43k words, where word2vec.c's table of 10^8 slots
# takes 400 MB), and the drawn distribution is exact to 2^-32 per word. Entry i
# packs, as uint64, the column's own share as a 32-bit threshold (high half) and
# the word that fills the rest of the column (low half). A draw picks a column
# uniformly, then keeps it if a second 32-bit draw falls under its threshold.
_LOW32 = np.uint64(0xFFFFFFFF)


def noise_table(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """The alias table (uint64, one entry per word) of count^exponent / Z.

    Built by Vose's method: columns of height 1 over V words, each holding at
    most two words. Words with count 0 are never drawn.
    """
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    if weights.shape[0] == 0 or not weights.sum() > 0:
        raise ValueError("noise_table needs at least one word with a positive count")
    return _build_alias(weights * (weights.shape[0] / weights.sum()))


@njit(cache=True)
def _build_alias(height):
    """Vose's alias method over ``height`` (the words' shares times V; mean 1)."""
    n = height.shape[0]
    height = height.copy()
    table = np.empty(n, dtype=np.uint64)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = n_large = 0
    for i in range(n):
        if height[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small and n_large:
        n_small -= 1
        s = small[n_small]
        l = large[n_large - 1]
        threshold = min(round(height[s] * 4294967296.0), 4294967295)
        table[s] = (np.uint64(threshold) << np.uint64(32)) | np.uint64(l)
        height[l] -= 1.0 - height[s]
        if height[l] < 1.0:
            n_large -= 1
            small[n_small] = l
            n_small += 1
    # What is left has height 1 up to rounding: a full column of its own word.
    full = np.uint64(0xFFFFFFFF) << np.uint64(32)
    for k in range(n_large):
        table[large[k]] = full | np.uint64(large[k])
    for k in range(n_small):
        table[small[k]] = full | np.uint64(small[k])
    return table


@njit(cache=True, inline="always")
def draw_noise(table, state):
    """One noise word from an alias table; returns (word, new state). Two 32-bit draws."""
    state, bits = next_random(state)
    column = random_below(bits, table.shape[0])
    state, coin = next_random(state)
    entry = table[column]
    if coin < (entry >> np.uint64(32)):
        return column, state
    return np.int64(entry & _LOW32), state


def noise_probabilities(table: np.ndarray) -> np.ndarray:
    """The exact distribution an alias table draws from (float64), for tests and docs.

    Ignores the multiply-shift's unevenness in picking a column (each column
    gets floor or ceil of 2^32 / V of the 2^32 draws: a relative error below V / 2^32).
    """
    n = table.shape[0]
    own = (table >> np.uint64(32)).astype(np.float64) / 4294967296.0
    alias = (table & _LOW32).astype(np.int64)
    p = own / n
    np.add.at(p, alias, (1.0 - own) / n)
    return p


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
