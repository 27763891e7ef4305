"""Subsampling, the noise words' alias table, the learning-rate schedule, the sigmoid
table and the random-number helpers (issue 2, parts 2 and 3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from fastw2v.engine.sampling import (
    MAX_EXP,
    SIGMOID_TABLE_SIZE,
    draw_noise,
    keep_probabilities,
    learning_rate,
    next_random,
    noise_probabilities,
    noise_table,
    random_below,
    seed_state,
    sigmoid,
    sigmoid_table,
)


# ---------------------------------------------------------------- subsampling
def _keep_reference(counts, sample):
    """word2vec.c: keep = (sqrt(f / (s T)) + 1) * (s T) / f, capped at 1 (T = total count)."""
    total = float(sum(counts))
    out = []
    for f in counts:
        st = sample * total
        out.append(min(1.0, (math.sqrt(f / st) + 1.0) * st / f))
    return np.array(out)


@pytest.mark.parametrize("sample", [1e-2, 1e-3, 1e-4, 1e-5])
def test_keep_probabilities_match_word2vec_formula(sample):
    rng = np.random.default_rng(0)
    counts = np.sort(rng.zipf(1.2, size=5000).astype(np.int64) * 5)[::-1]
    keep = keep_probabilities(counts, sample)
    assert keep.dtype == np.float32 and keep.shape == counts.shape
    # float32 output: relative error ~6e-8 from rounding; 1e-6 leaves room for the
    # order of float64 operations while still catching any formula change.
    np.testing.assert_allclose(keep, _keep_reference(counts.tolist(), sample), rtol=1e-6, atol=0)
    assert np.all((keep > 0) & (keep <= 1))
    assert np.all(np.diff(keep) >= 0)  # rarer words are kept at least as often


def test_keep_probabilities_worked_values():
    # T = 10^6, s = 1e-3, so s*T = 1000.
    counts = np.array([100_000, 10_000, 4_000, 1_000, 10, 884_990], dtype=np.int64)
    counts = counts[np.argsort(-counts)]
    assert counts.sum() == 1_000_000
    keep = keep_probabilities(counts, 1e-3)
    by_count = dict(zip(counts.tolist(), keep.tolist()))
    assert by_count[100_000] == pytest.approx((math.sqrt(100) + 1) / 100, rel=1e-6)  # 0.11
    assert by_count[10_000] == pytest.approx((math.sqrt(10) + 1) / 10, rel=1e-6)
    assert by_count[4_000] == pytest.approx((2 + 1) / 4, rel=1e-6)  # 0.75
    assert by_count[1_000] == 1.0  # (1 + 1) * 1 = 2, capped
    assert by_count[10] == 1.0


def test_keep_probabilities_sample_zero_keeps_everything():
    keep = keep_probabilities(np.array([10**9, 5, 1]), 0.0)
    assert keep.dtype == np.float32 and keep.tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------- noise words
def _zipf_counts(v=200, top=100_000):
    return (top // np.arange(1, v + 1)).astype(np.int64)


@njit
def _draw_many(table, seed, n):
    """n draws through the kernels' own draw_noise, from one random state."""
    out = np.empty(n, dtype=np.int64)
    state = np.uint64(seed)
    for i in range(n):
        out[i], state = draw_noise(table, state)
    return out


@pytest.mark.parametrize("exponent", [0.0, 0.5, 0.75, 1.0])
def test_noise_table_distribution_is_exact_unigram_power(exponent):
    counts = _zipf_counts(300)
    table = noise_table(counts, exponent)
    assert table.dtype == np.uint64 and table.shape == counts.shape  # 8 bytes a word
    alias = (table & np.uint64(0xFFFFFFFF)).astype(np.int64)
    assert alias.min() >= 0 and alias.max() < len(counts)
    p = counts.astype(np.float64) ** exponent
    p /= p.sum()
    # Each column's share is rounded to 32 bits, and a word gathers its share from
    # its own column and the columns aliased to it: off by at most a few 2^-32 / V.
    np.testing.assert_allclose(noise_probabilities(table), p, rtol=1e-7, atol=0)


def test_noise_table_never_draws_words_of_count_zero():
    counts = np.array([0, 50, 0, 7, 1, 0], dtype=np.int64)
    table = noise_table(counts, 0.75)
    probs = noise_probabilities(table)
    assert probs[[0, 2, 5]].tolist() == [0.0, 0.0, 0.0]
    drawn = _draw_many(table, 3, 100_000)
    assert set(np.unique(drawn).tolist()) == {1, 3, 4}


def test_noise_table_needs_a_positive_count():
    with pytest.raises(ValueError):
        noise_table(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError):
        noise_table(np.zeros(0, dtype=np.int64))


def test_noise_draws_match_unigram_power():
    counts = _zipf_counts(200)
    table = noise_table(counts, 0.75)
    p = counts.astype(np.float64) ** 0.75
    p /= p.sum()
    n = 2_000_000
    observed = np.bincount(_draw_many(table, 12345, n), minlength=len(counts))
    expected = n * p
    assert expected.min() > 1000  # the chi-square approximation is excellent here

    # Chi-square goodness of fit against count^0.75 / Z, 199 degrees of freedom.
    # Tolerance: p-value > 1e-4, i.e. a correct sampler fails for 1 seed in 10^4 (the
    # seed is fixed, so the test is deterministic). The table's own error (2^-32 per
    # column) and the multiply-shift's unevenness in picking a column (relative
    # V / 2^32 = 5e-8) shift each expected count by far less than one draw.
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, df=len(counts) - 1) > 1e-4

    # Per-word binomial check: |observed - n p| <= 5 sd. One 5-sigma excursion among
    # 200 words has probability ~1e-4 for a correct sampler.
    sd = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(observed - expected) <= 5 * sd)

    # The test has power: the same draws are wildly inconsistent with the plain
    # unigram distribution (exponent 1) or with exponent 0.5.
    for wrong in (1.0, 0.5):
        q = counts.astype(np.float64) ** wrong
        q /= q.sum()
        chi2_wrong = float(np.sum((observed - n * q) ** 2 / (n * q)))
        assert stats.chi2.sf(chi2_wrong, df=len(counts) - 1) < 1e-12


# ---------------------------------------------------------------- learning rate
ALPHA, MIN_ALPHA = 0.025, 0.025 * 1e-4


def test_learning_rate_start_middle_end():
    total = 5 * 1_706_282
    assert learning_rate(ALPHA, MIN_ALPHA, 0, total) == ALPHA
    assert learning_rate(ALPHA, MIN_ALPHA, total / 2, total) == pytest.approx((ALPHA + MIN_ALPHA) / 2, rel=1e-12)
    assert learning_rate(ALPHA, MIN_ALPHA, total, total) == pytest.approx(MIN_ALPHA, rel=1e-9)
    assert learning_rate(ALPHA, MIN_ALPHA, total, total) >= MIN_ALPHA
    assert learning_rate(ALPHA, MIN_ALPHA, total - 1, total) > MIN_ALPHA
    # Past the end (never reached by training) it is clamped, never below min_alpha.
    assert learning_rate(ALPHA, MIN_ALPHA, 2 * total, total) == MIN_ALPHA


def test_learning_rate_is_linear_and_non_increasing():
    total = 1_000_003
    done = np.linspace(0, total, 101)
    rates = np.array([learning_rate(0.05, 0.001, d, total) for d in done])
    np.testing.assert_allclose(rates, 0.05 - (0.05 - 0.001) * done / total, rtol=1e-12)
    assert np.all(np.diff(rates) < 0)
    # min_alpha == alpha: constant.
    assert {learning_rate(0.01, 0.01, d, 100) for d in (0, 50, 100)} == {0.01}


# ---------------------------------------------------------------- sigmoid
def test_sigmoid_table_values_and_lookup():
    table = sigmoid_table()
    assert table.dtype == np.float32 and table.shape == (SIGMOID_TABLE_SIZE,)
    centres = (np.arange(SIGMOID_TABLE_SIZE) + 0.5) / SIGMOID_TABLE_SIZE * 2 * MAX_EXP - MAX_EXP
    np.testing.assert_allclose(table, 1 / (1 + np.exp(-centres)), rtol=1e-6)
    assert sigmoid(table, 6.0) == 1.0 and sigmoid(table, 100.0) == 1.0
    assert sigmoid(table, -6.0) == 0.0 and sigmoid(table, -100.0) == 0.0
    # Inside (-6, 6) the lookup is off by at most half a cell times the largest
    # slope of the sigmoid (1/4): 0.25 * (12 / 1024) / 2 ~ 0.0015.
    xs = np.linspace(-5.999, 5.999, 2001)
    err = max(abs(float(sigmoid(table, x)) - 1 / (1 + math.exp(-x))) for x in xs)
    assert err <= 0.25 * (2 * MAX_EXP / SIGMOID_TABLE_SIZE) / 2 + 1e-6


# ---------------------------------------------------------------- random numbers
def test_next_random_is_the_documented_lcg():
    state = np.uint64(42)
    mask = (1 << 64) - 1
    expect = 42
    for _ in range(5):
        state, bits = next_random(state)
        expect = (expect * 6364136223846793005 + 1442695040888963407) & mask
        # (Numba may box the uint64 result as a signed int: compare modulo 2^64.)
        assert int(state) & mask == expect and int(bits) & mask == expect >> 32
        state = np.uint64(int(state) & mask)


def test_random_below_range_and_uniformity():
    state = seed_state(7, 0, 0)
    draws = []
    for _ in range(20_000):
        state, bits = next_random(np.uint64(int(state) & (2**64 - 1)))
        draws.append(int(random_below(np.uint64(int(bits) & (2**64 - 1)), 10)))
    observed = np.bincount(draws, minlength=10)
    assert len(observed) == 10  # all in [0, 10)
    # Chi-square, 9 degrees of freedom; p > 1e-4 (fixed seed: deterministic).
    chi2 = float(np.sum((observed - 2000) ** 2 / 2000))
    assert stats.chi2.sf(chi2, df=9) > 1e-4


def test_seed_state_differs_by_seed_epoch_and_chunk():
    states = {int(seed_state(s, e, c)) & (2**64 - 1) for s in range(3) for e in range(3) for c in range(50)}
    assert len(states) == 3 * 3 * 50
