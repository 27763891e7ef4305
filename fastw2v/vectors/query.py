"""Querying vectors: nearest neighbours and analogies by cosine similarity.

A :class:`WordVectors` holds the words of a vectors file in file order (word2vec
files list the most frequent words first) and a unit-length copy of their vectors,
so that a cosine is a dot product and one matrix product scores a query against
every word. The definitions are gensim's ``KeyedVectors``:

- ``most_similar(positive, negative)``: the mean of the unit vectors of the
  positive words minus those of the negative words, normalised; the answer is
  every other word ranked by its cosine with that mean, the query words excluded.
- ``analogy(a, b, c)``: "a is to b as c is to ?", that is ``most_similar([b, c],
  [a])`` (3CosAdd), or with ``method="3cosmul"`` Levy and Goldberg's 3CosMul,
  ``cos'(x, b) * cos'(x, c) / (cos'(x, a) + 1e-6)`` with ``cos' = (1 + cos) / 2``.

``restrict_vocab=N`` ranks only the first N words. A word that occurs twice in a
file keeps its first vector (gensim's rule); an all-zero vector has cosine 0
with everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import FastW2VError
from .word2vec_format import load_word2vec

METHODS = ("3cosadd", "3cosmul")
COSMUL_EPSILON = 1e-6  # gensim's most_similar_cosmul


class WordVectors:
    """Words and their vectors, with unit-length rows for cosine queries."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        index: dict[str, int] = {}
        keep = []
        for i, word in enumerate(words):
            if word not in index:
                index[word] = len(keep)
                keep.append(i)
        if len(keep) != len(words):  # duplicates: the first vector wins, as in gensim
            vectors = vectors[keep]
            words = [words[i] for i in keep]
        self.words: list[str] = list(words)
        self.vectors: np.ndarray = vectors
        self.index: dict[str, int] = index
        self._unit: np.ndarray | None = None

    @classmethod
    def load(cls, path: str | os.PathLike, limit: int | None = None,
             binary: bool | None = None) -> "WordVectors":
        """Read a word2vec text or binary file (see :func:`fastw2v.load_word2vec`).

        A vector holding NaN or an infinity is refused: its cosines are undefined.
        """
        words, vectors = load_word2vec(path, binary=binary, limit=limit)
        bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
        if len(bad):
            raise FastW2VError(f"{path}: vector {bad[0] + 1} ({words[bad[0]][:60]!r}) holds NaN or "
                               "infinite values")
        return cls(words, vectors)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.lookup(word)]

    def __repr__(self) -> str:
        return f"WordVectors({len(self):,} words, {self.dim} dimensions)"

    def to_keyedvectors(self, counts=None):
        """These words and vectors as a gensim ``KeyedVectors`` (gensim must be installed).

        ``counts``: each word's corpus count, its ``count`` attribute; by default
        gensim's made-up descending counts, as its ``load_word2vec_format`` sets
        without a vocabulary file (see :mod:`fastw2v.vectors.gensim_bridge`).
        """
        from .gensim_bridge import to_keyedvectors

        return to_keyedvectors(self.words, self.vectors, counts)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def unit(self) -> np.ndarray:
        """The vectors scaled to length 1 (float32; all-zero rows stay zero)."""
        if self._unit is None:
            self._unit = unit_rows(self.vectors)
        return self._unit

    def lookup(self, word: str) -> int:
        """The row of ``word``; :class:`FastW2VError` if it is not in the vocabulary."""
        try:
            return self.index[word]
        except KeyError:
            raise FastW2VError(f"word not in vocabulary: {word}") from None

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.unit[self.lookup(word1)] @ self.unit[self.lookup(word2)])

    def most_similar(self, positive: Iterable[str] = (), negative: Iterable[str] = (),
                     topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """The ``topn`` words nearest the mean of ``positive`` minus ``negative`` words, by cosine."""
        positive, negative = _word_list(positive), _word_list(negative)
        if not positive and not negative:
            raise FastW2VError("no query words given")
        rows = [self.lookup(w) for w in positive + negative]
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        mean = (weights[:, None] * self.unit[rows]).sum(axis=0)
        norm = np.linalg.norm(mean)
        if norm > 0:
            mean /= norm
        scores = self.unit[:self._limit(restrict_vocab)] @ mean
        return self._top(scores, rows, topn)

    def most_similar_cosmul(self, positive: Iterable[str] = (), negative: Iterable[str] = (),
                            topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Levy and Goldberg's 3CosMul: product of shifted cosines with ``positive`` words
        divided by that with ``negative`` words."""
        positive, negative = _word_list(positive), _word_list(negative)
        if not positive:
            raise FastW2VError("3CosMul needs at least one positive word")
        rows = [self.lookup(w) for w in positive + negative]
        shifted = (1 + self.unit[:self._limit(restrict_vocab)] @ self.unit[rows].T) / 2
        k = len(positive)
        scores = np.prod(shifted[:, :k], axis=1) / (np.prod(shifted[:, k:], axis=1) + COSMUL_EPSILON)
        return self._top(scores, rows, topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd",
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """``a`` is to ``b`` as ``c`` is to ...? The ``topn`` answers with their scores."""
        method = check_analogy_method(method)
        solve = self.most_similar if method == "3cosadd" else self.most_similar_cosmul
        return solve(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)

    def _limit(self, restrict_vocab: int | None) -> int:
        if restrict_vocab is not None and restrict_vocab < 0:
            raise FastW2VError(f"restrict_vocab must be 0 or more (got {restrict_vocab})")
        return len(self) if not restrict_vocab else min(restrict_vocab, len(self))

    def _top(self, scores: np.ndarray, exclude: list[int], topn: int) -> list[tuple[str, float]]:
        """The ``topn`` best rows of ``scores`` (best first, ties by row) other than ``exclude``."""
        if topn < 1:
            return []
        scores = scores.astype(np.float64)
        scores[[r for r in exclude if r < len(scores)]] = -np.inf
        k = min(topn + len(exclude), len(scores))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.lexsort((best, -scores[best]))]
        return [(self.words[i], float(scores[i])) for i in best if scores[i] != -np.inf][:topn]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` scaled to length 1 (float32; all-zero rows stay zero).

    A row whose squares overflow float32 (values beyond about 1e19) is scaled in
    float64, so that huge but finite values give their direction, without warnings.
    """
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1
    out = x / norms
    huge = np.flatnonzero(np.isinf(norms[:, 0]))
    if len(huge):
        rows = x[huge].astype(np.float64)
        out[huge] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def as_word_vectors(source, limit: int | None = None) -> WordVectors:
    """A :class:`WordVectors` from a vectors file path, a trained model or a ``(words, vectors)`` pair."""
    if isinstance(source, WordVectors):
        return source if limit is None or limit >= len(source) else \
            WordVectors(source.words[:limit], source.vectors[:limit])
    if isinstance(source, (str, os.PathLike)):
        return WordVectors.load(source, limit=limit)
    if hasattr(source, "input_vectors") and hasattr(source, "words"):  # a trained Word2VecModel
        return WordVectors(source.words[:limit], source.input_vectors[:limit])
    if isinstance(source, tuple) and len(source) == 2:
        words, vectors = source
        return WordVectors(list(words)[:limit], np.asarray(vectors)[:limit])
    raise TypeError(f"expected a vectors file, a WordVectors, a model or (words, vectors); "
                    f"got {type(source).__name__}")


def load_vectors(path: str | os.PathLike, limit: int | None = None,
                 binary: bool | None = None) -> WordVectors:
    """Read a word2vec text or binary file into a :class:`WordVectors`."""
    return WordVectors.load(path, limit=limit, binary=binary)


def most_similar(vectors, positive: Iterable[str] = (), negative: Iterable[str] = (),
                 topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """Nearest neighbours by cosine of the positive words minus the negative words.

    ``vectors`` is a :class:`WordVectors`, a vectors file path or a trained model.
    """
    return as_word_vectors(vectors).most_similar(positive, negative, topn=topn,
                                                 restrict_vocab=restrict_vocab)


def analogy(vectors, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd",
            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
    """``a`` is to ``b`` as ``c`` is to ...? (3CosAdd or 3CosMul)."""
    return as_word_vectors(vectors).analogy(a, b, c, topn=topn, method=method,
                                            restrict_vocab=restrict_vocab)


def check_analogy_method(method: str) -> str:
    """Normalise an analogy method name ('3CosAdd' -> '3cosadd'); reject unknown ones."""
    name = method.lower()
    if name not in METHODS:
        raise FastW2VError(f"unknown analogy method {method!r}: expected 3cosadd or 3cosmul")
    return name


def _word_list(words: Iterable[str] | str) -> list[str]:
    return [words] if isinstance(words, str) else list(words)
