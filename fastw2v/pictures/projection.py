"""Projecting word vectors to two dimensions: PCA and a small exact t-SNE, in numpy.

Both work on the directions of the vectors, not their lengths (cosine is what
word2vec's similarities measure): rows are scaled to unit length first
(``normalise=False`` turns that off; all-zero rows stay zero).

- :func:`pca`: the rows are centred and the two right singular vectors of the
  largest singular values are the axes. Each axis has its sign fixed (its
  largest loading is positive), so the same vectors always give the same picture.
- :func:`tsne`: van der Maaten and Hinton's t-SNE (2008), exact: the
  affinities of every pair from Gaussian kernels whose widths are found by
  bisection so that each point's perplexity is ``perplexity`` (at most
  ``(n - 1) / 3``), a Student-t kernel in the map, and gradient descent on the
  KL divergence with momentum, per-coordinate gains and early exaggeration
  (x12 for the first 250 of 1000 steps). The start is random from ``seed``, so
  the same seed gives the same map (whatever the number of threads). The
  gradient runs in a Numba kernel; time grows as n^2 (1000 points: about 3 s
  on 2 cores) and memory too (P is n x n), so :data:`TSNE_MAX_POINTS` is the
  most it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ..errors import FastW2VError

METHODS = ("pca", "tsne")
TSNE_MAX_POINTS = 5000
TSNE_MIN_POINTS = 5


def unit_rows(x) -> np.ndarray:
    """``x`` (float64) with every non-zero row scaled to length 1."""
    x = np.array(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


@dataclass
class PCAResult:
    coords: np.ndarray      # (n, k): the rows on the principal axes
    components: np.ndarray  # (k, d): the axes, unit vectors
    explained: np.ndarray   # (k,): fraction of the total variance along each axis


def pca(x, n_components: int = 2, *, normalise: bool = True) -> PCAResult:
    """Principal axes of the rows of ``x`` by SVD of the centred (unit) rows."""
    x = _matrix(x, 2)
    if normalise:
        x = unit_rows(x)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(n_components, vt.shape[0])
    components = vt[:k].copy()
    for row in components:  # a fixed sign: the largest loading is positive
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    total = float(np.sum(s ** 2))
    explained = s[:k] ** 2 / total if total > 0 else np.zeros(k)
    coords = centred @ components.T
    if k < n_components:  # fewer dimensions (or rows) than axes asked for: pad with zeros
        coords = np.hstack([coords, np.zeros((len(x), n_components - k))])
        components = np.vstack([components, np.zeros((n_components - k, x.shape[1]))])
        explained = np.concatenate([explained, np.zeros(n_components - k)])
    return PCAResult(coords, components, explained)


def tsne(x, n_components: int = 2, *, perplexity: float = 30.0, seed: int = 1,
         n_iter: int = 1000, early_exaggeration: float = 12.0, exaggeration_iter: int = 250,
         learning_rate: float | None = None, normalise: bool = True) -> np.ndarray:
    """Exact t-SNE map of the rows of ``x``: an ``(n, n_components)`` array."""
    x = _matrix(x, TSNE_MIN_POINTS, "t-SNE")
    n = len(x)
    if n > TSNE_MAX_POINTS:
        raise FastW2VError(f"exact t-SNE is limited to {TSNE_MAX_POINTS} points "
                           f"(time and memory grow as n^2); got {n}")
    if not perplexity > 0:
        raise FastW2VError(f"perplexity must be positive (got {perplexity})")
    if seed < 0:
        raise FastW2VError(f"seed must be 0 or more (got {seed})")
    if normalise:
        x = unit_rows(x)
    p = joint_probabilities(squared_distances(x), min(perplexity, (n - 1) / 3))
    if learning_rate is None:  # scikit-learn's "auto"
        learning_rate = max(n / early_exaggeration / 4, 50.0)
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, n_components)) * 1e-4
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    exaggerated = p * early_exaggeration
    for step in range(n_iter):
        early = step < exaggeration_iter
        grad = _kl_gradient(exaggerated if early else p, y)
        gains = np.where(np.sign(grad) != np.sign(update), gains + 0.2, gains * 0.8)
        np.maximum(gains, 0.01, out=gains)
        update = (0.5 if early else 0.8) * update - learning_rate * gains * grad
        y += update
        y -= y.mean(axis=0)
    return y


def squared_distances(x: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of every pair of rows (exactly 0 on the diagonal)."""
    sq = np.einsum("ij,ij->i", x, x)
    d = sq[:, None] + sq[None, :] - 2 * (x @ x.T)
    np.maximum(d, 0, out=d)
    np.fill_diagonal(d, 0)
    return d


def conditional_probabilities(d2: np.ndarray, perplexity: float, *, tol: float = 1e-5,
                              max_steps: int = 200) -> np.ndarray:
    """Row-stochastic P(j | i) = exp(-beta_i d2_ij) / sum; each beta_i by bisection so that
    the row's entropy is log(perplexity) (all rows at once)."""
    n = len(d2)
    off = ~np.eye(n, dtype=bool)
    # Shift each row by its smallest off-diagonal distance: the distribution is the
    # same, and the nearest neighbour's weight is exp(0) = 1, so no row underflows to 0.
    shifted = d2 - np.where(off, d2, np.inf).min(axis=1, keepdims=True)
    target = np.log(perplexity)
    beta = np.ones(n)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    for _ in range(max_steps):
        w = np.exp(-shifted * beta[:, None]) * off
        total = w.sum(axis=1)
        entropy = np.log(total) + beta * (shifted * w).sum(axis=1) / total
        if np.all(np.abs(entropy - target) < tol):
            break
        too_flat = entropy > target  # too wide a kernel: increase beta
        lo = np.where(too_flat, beta, lo)
        hi = np.where(too_flat, hi, beta)
        beta = np.where(too_flat, np.where(np.isinf(hi), beta * 2, (beta + hi) / 2), (beta + lo) / 2)
    w = np.exp(-shifted * beta[:, None]) * off
    return w / w.sum(axis=1, keepdims=True)


def joint_probabilities(d2: np.ndarray, perplexity: float) -> np.ndarray:
    """Symmetric P_ij = (P(j|i) + P(i|j)) / 2n, floored at 1e-12."""
    conditional = conditional_probabilities(d2, perplexity)
    p = (conditional + conditional.T) / (2 * len(d2))
    return np.maximum(p, 1e-12)


def _kl_gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of KL(P || Q) with Q from a Student-t kernel on the map ``y``."""
    grad = np.empty_like(y)
    _kl_gradient_kernel(np.ascontiguousarray(p, dtype=np.float64),
                        np.ascontiguousarray(y, dtype=np.float64), grad)
    return grad


@njit(cache=True, parallel=True)
def _kl_gradient_kernel(p, y, grad):
    """grad_i = 4 sum_j (p_ij - q_ij) k_ij (y_i - y_j), with k_ij = 1 / (1 + |y_i - y_j|^2)
    and q_ij = k_ij / sum(k).

    Two passes over the pairs, one row per thread, no n x n temporaries (numpy's
    version needs about ten n x n arrays per step and runs 5-10 times slower).
    Row sums are added up in order, so the result does not depend on the threads.
    """
    n, dims = y.shape
    row_sums = np.empty(n)
    for i in prange(n):
        s = 0.0
        for j in range(n):
            if j != i:
                d = 0.0
                for c in range(dims):
                    t = y[i, c] - y[j, c]
                    d += t * t
                s += 1.0 / (1.0 + d)
        row_sums[i] = s
    z = 0.0
    for i in range(n):
        z += row_sums[i]
    for i in prange(n):
        for c in range(dims):
            grad[i, c] = 0.0
        for j in range(n):
            if j != i:
                d = 0.0
                for c in range(dims):
                    t = y[i, c] - y[j, c]
                    d += t * t
                k = 1.0 / (1.0 + d)
                w = 4.0 * (p[i, j] - max(k / z, 1e-12)) * k
                for c in range(dims):
                    grad[i, c] += w * (y[i, c] - y[j, c])


def check_projection_method(method: str) -> str:
    """Normalise a projection method name ("t-SNE" -> "tsne"); reject unknown ones."""
    name = method.lower().replace("-", "")
    if name not in METHODS:
        raise FastW2VError(f"unknown projection method {method!r}: use pca or tsne")
    return name


def _matrix(x, min_rows: int, what: str = "a projection") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {x.shape}")
    if len(x) < min_rows:
        raise FastW2VError(f"{what} needs at least {min_rows} words (got {len(x)})")
    if not np.all(np.isfinite(x)):
        raise FastW2VError("vectors contain NaN or infinite values")
    return x
