"""Word classes, as word2vec.c's ``-classes K``: spherical k-means of the vectors.

Rows are normalised to unit length and each word joins the centroid of highest
cosine (dot product with the unit centroid); a centroid is the normalised sum of
its words (word2vec.c normalises its centroids the same way). Centroids start at
K words chosen by greedy k-means++ seeding (seeded, on a sample of at most
max(10 K, 10000) words) so that well-separated groups are found; an empty cluster is re-seeded from a random
word. Iteration stops after ``iterations`` rounds (word2vec.c: 10) or when no
word changes class. Scores are computed in batches of rows so that memory stays
bounded (100k x 300 vectors and K = 1000 take a few seconds).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import FastW2VError, OptionError
from ..files import atomic_write

_BATCH = 8192


def _unit_rows(x: np.ndarray) -> np.ndarray:
    from .query import unit_rows  # huge values included

    return unit_rows(x)


def _assign(x: np.ndarray, centroids: np.ndarray, out: np.ndarray) -> None:
    ct = np.ascontiguousarray(centroids.T)
    for start in range(0, x.shape[0], _BATCH):
        out[start:start + _BATCH] = np.argmax(x[start:start + _BATCH] @ ct, axis=1)


def kmeans_classes(vectors, k: int, *, iterations: int = 10, seed: int = 1) -> np.ndarray:
    """Class id (0..k-1, int32) of every row of ``vectors`` by spherical k-means.

    ``vectors`` is an (n, d) array or anything with a ``.vectors`` attribute
    (:class:`~fastw2v.vectors.query.WordVectors`, a trained model). Same seed, same classes.
    """
    x = getattr(vectors, "vectors", vectors)
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise FastW2VError(f"need a non-empty 2-d array of vectors (got shape {x.shape})")
    n = x.shape[0]
    if k < 1:
        raise OptionError("k", f"must be 1 or more (got {k})")
    if k > n:
        raise OptionError("k", f"{k} is more than the number of words ({n})")
    if iterations < 1:
        raise OptionError("iterations", f"must be 1 or more (got {iterations})")
    x = _unit_rows(x)
    rng = np.random.default_rng(seed)
    centroids = _seed_centroids(x, k, rng)
    labels = np.full(n, -1, dtype=np.int32)
    new = np.empty(n, dtype=np.int32)
    for _ in range(iterations):
        _assign(x, centroids, new)
        if np.array_equal(new, labels):
            break
        labels[:] = new
        sums = np.zeros((k, x.shape[1]), dtype=np.float64)
        _sum_rows(sums, labels, x)
        sizes = np.bincount(labels, minlength=k)
        for c in np.flatnonzero(sizes == 0):  # empty cluster: a random word restarts it
            sums[c] = x[rng.integers(n)]
        centroids = _unit_rows(sums)
    return labels


def _seed_centroids(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (cosine distance) on a random sample of the rows.

    Each next centroid is the best (lowest total distance) of a few candidates
    drawn with probability proportional to their distance from the nearest
    centroid so far, so that well-separated groups each get one.
    """
    n = x.shape[0]
    m = min(n, max(10 * k, 10000))
    sample = x[np.sort(rng.choice(n, size=m, replace=False))] if m < n else x
    n_local = max(8, 2 + int(np.log(k)))
    chosen = [int(rng.integers(m))]
    dist = np.maximum(1.0 - sample @ sample[chosen[0]], 0.0).astype(np.float64)
    for _ in range(1, k):
        total = dist.sum()
        if total <= 0:  # all rows coincide with a centroid: take any unused row
            chosen.append(int(rng.choice(np.setdiff1d(np.arange(m), chosen))))
            continue
        cands = np.searchsorted(np.cumsum(dist), rng.random(n_local) * total, side="right")
        cands = np.minimum(cands, m - 1)
        cand_dist = np.maximum(1.0 - sample @ sample[cands].T, 0.0)
        best = int(np.argmin(np.minimum(dist[:, None], cand_dist).sum(axis=0)))
        chosen.append(int(cands[best]))
        np.minimum(dist, cand_dist[:, best], out=dist)
    return sample[chosen].copy()


def _sum_rows(sums: np.ndarray, labels: np.ndarray, x: np.ndarray) -> None:
    """sums[c] += x[i] for every i with labels[i] == c (sorting, then reduceat)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    sums[sorted_labels[starts]] = np.add.reduceat(x[order], starts, axis=0)


def save_classes(path: str | os.PathLike, words: Sequence[str], classes) -> None:
    """Write ``word class_id`` per line (word2vec.c's ``-classes`` output), atomically."""
    classes = np.asarray(classes)
    if len(words) != len(classes):
        raise FastW2VError(f"{len(words)} words but {len(classes)} classes")
    with atomic_write(path, "w") as f:
        f.writelines(f"{w} {int(c)}\n" for w, c in zip(words, classes.tolist()))


def word_classes(vectors, k: int, *, iterations: int = 10, seed: int = 1) -> dict[str, int]:
    """``{word: class_id}`` for a :class:`~fastw2v.vectors.query.WordVectors` or a vectors file."""
    if isinstance(vectors, (str, os.PathLike)):
        from .query import load_vectors

        vectors = load_vectors(vectors)
    labels = kmeans_classes(vectors, k, iterations=iterations, seed=seed)
    return dict(zip(vectors.words, labels.tolist()))
