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

**Subwords.** A fastText ``.bin`` model (recognised by its magic number, whatever
its name) also gives vectors to words outside its vocabulary. Its words' vectors
are what fastText's ``get_word_vector`` returns: the mean of the word's own input
row and its character n-gram rows (:mod:`fastw2v.text.subwords`), computed for the
whole vocabulary once, in Numba. An unseen word gets the mean of its n-gram rows
(:meth:`WordVectors.vector`); a word without n-grams, or any unseen word of a
model without subwords (``maxn 0``) or of a plain vectors file, is "not in
vocabulary". Query words may be unseen; the answers are always vocabulary words.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ..errors import FastW2VError
from ..text.subwords import ngram_rows
from .fasttext_bin import MAGIC as FASTTEXT_MAGIC
from .fasttext_bin import FastTextModel, load_fasttext_bin
from .word2vec_format import load_word2vec

METHODS = ("3cosadd", "3cosmul")
COSMUL_EPSILON = 1e-6  # gensim's most_similar_cosmul


EOS = "</s>"  # fastText's end-of-sentence word: its vector is its own row, without n-grams
_WORDS_PER_CHUNK = 1 << 16  # words whose n-gram rows are listed at a time


@dataclass(frozen=True)
class Subwords:
    """The character n-gram side of a fastText model: ``rows`` are its ``bucket``
    n-gram rows (float32, ``(bucket, dim)``: the input matrix after its word rows), and
    n-grams are ``minn`` to ``maxn`` characters long."""

    rows: np.ndarray
    minn: int
    maxn: int

    @property
    def bucket(self) -> int:
        return self.rows.shape[0]

    def mean_vectors(self, words: Sequence[str], own: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per word, the mean of its n-gram rows (and of its row of ``own``, when given):
        ``(vectors (len(words), dim) float32, how many rows each mean took)``. A word
        with no rows at all gets a zero vector and 0."""
        dim = self.rows.shape[1]
        out = np.empty((len(words), dim), dtype=np.float32)
        used = np.empty(len(words), dtype=np.int64)
        for start in range(0, len(words), _WORDS_PER_CHUNK):
            chunk = list(words[start:start + _WORDS_PER_CHUNK])
            offsets, rows = ngram_rows(chunk, self.minn, self.maxn, self.bucket, 0)
            if EOS in chunk:  # fastText gives its end-of-sentence word no n-grams
                rows, offsets = _drop_ngrams(offsets, rows, [i for i, w in enumerate(chunk) if w == EOS])
            end = start + len(chunk)
            own_rows = own[start:end] if own is not None else np.empty((0, dim), dtype=np.float32)
            _mean_rows(own_rows, self.rows, offsets, rows, out[start:end], used[start:end])
        return out, used


def _drop_ngrams(offsets: np.ndarray, rows: np.ndarray, words: list[int]) -> tuple[np.ndarray, np.ndarray]:
    keep = np.ones(len(rows), dtype=bool)
    counts = np.diff(offsets)
    for w in words:
        keep[offsets[w]:offsets[w + 1]] = False
        counts[w] = 0
    new_offsets = np.zeros_like(offsets)
    np.cumsum(counts, out=new_offsets[1:])
    return rows[keep], new_offsets


@njit(parallel=True, cache=True)
def _mean_rows(own, buckets, offsets, rows, out, used):
    """out[w] = mean of own[w] (if ``own`` has rows) and buckets[rows[offsets[w]:offsets[w+1]]],
    summed in float32 in that order and scaled by float32(1 / count), as fastText does."""
    has_own = own.shape[0] > 0
    for w in prange(out.shape[0]):
        acc = np.zeros(out.shape[1], dtype=np.float32)
        count = 0
        if has_own:
            acc += own[w]
            count = 1
        for k in range(offsets[w], offsets[w + 1]):
            acc += buckets[rows[k]]
        count += offsets[w + 1] - offsets[w]
        if count > 0:
            acc *= np.float32(1.0 / count)
        out[w] = acc
        used[w] = count


class WordVectors:
    """Words and their vectors, with unit-length rows for cosine queries.

    ``subwords``: a fastText model's n-gram rows, which give unseen words a vector
    (:meth:`vector`); ``vectors`` then hold fastText's vectors of the vocabulary
    words (see :meth:`from_fasttext`).
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, subwords: Subwords | None = None):
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
        if subwords is not None and subwords.rows.shape[1:] != vectors.shape[1:]:
            raise ValueError(f"n-gram rows of shape {subwords.rows.shape} for vectors of shape {vectors.shape}")
        self.subwords: Subwords | None = subwords
        self._unit: np.ndarray | None = None

    @classmethod
    def load(cls, path: str | os.PathLike, limit: int | None = None,
             binary: bool | None = None) -> "WordVectors":
        """Read a word2vec text or binary file (see :func:`fastw2v.load_word2vec`), or a
        fastText ``.bin`` model (told by its magic number; see :meth:`from_fasttext`).

        A vector holding NaN or an infinity is refused: its cosines are undefined.
        """
        if is_fasttext_bin(path):
            if limit is not None and limit < 0:
                raise FastW2VError(f"limit must be 0 or more (got {limit})")
            return cls.from_fasttext(load_fasttext_bin(path), limit=limit, name=str(path))
        words, vectors = load_word2vec(path, binary=binary, limit=limit)
        bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
        if len(bad):
            raise FastW2VError(f"{path}: vector {bad[0] + 1} ({words[bad[0]][:60]!r}) holds NaN or "
                               "infinite values")
        return cls(words, vectors)

    @classmethod
    def from_fasttext(cls, model: FastTextModel, limit: int | None = None,
                      name: str = "the model") -> WordVectors:
        """The word vectors of a fastText model, with its n-gram rows when it has any.

        A word's vector is fastText's (``get_word_vector``): the mean of its own input
        row and its n-gram rows; with ``limit`` only the first N words are kept, and
        the others become unseen words (n-gram rows alone).
        """
        n_words = len(model.words)
        n = n_words if limit is None else min(limit, n_words)
        words = model.words[:n]
        subwords = None
        if model.maxn > 0 and model.bucket > 0 and model.minn <= model.maxn:
            subwords = Subwords(model.input[n_words:], int(model.minn), int(model.maxn))
            vectors, _ = subwords.mean_vectors(words, own=model.input[:n])
        else:
            vectors = np.array(model.input[:n], dtype=np.float32)
        bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
        if len(bad):
            raise FastW2VError(f"{name}: the vector of word {bad[0] + 1} ({words[bad[0]][:60]!r}) "
                               "overflows float32")
        return cls(words, vectors, subwords)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vector(word)

    def __repr__(self) -> str:
        extra = f", n-grams of {self.subwords.minn}-{self.subwords.maxn} characters in " \
                f"{self.subwords.bucket:,} buckets" if self.subwords is not None else ""
        return f"WordVectors({len(self):,} words, {self.dim} dimensions{extra})"

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word``: its own if it is in the vocabulary, else (with subwords)
        the mean of its n-gram rows; :class:`FastW2VError` if it has neither."""
        row = self.index.get(word)
        if row is not None:
            return self.vectors[row]
        return self.vectors_for([word])[0]

    def vectors_for(self, words: Iterable[str]) -> np.ndarray:
        """The vectors of ``words`` (rows of a float32 array), as :meth:`vector` gives them."""
        words = _word_list(words)
        out = np.empty((len(words), self.dim), dtype=np.float32)
        unseen = [i for i, w in enumerate(words) if w not in self.index]
        for i, w in enumerate(words):
            if w in self.index:
                out[i] = self.vectors[self.index[w]]
        if unseen:
            if self.subwords is None:
                self.lookup(words[unseen[0]])  # raises: not in vocabulary
            built, used = self.subwords.mean_vectors([words[i] for i in unseen])
            missing = np.flatnonzero(used == 0)
            if len(missing):
                self.lookup(words[unseen[missing[0]]])
            if not np.isfinite(built).all():
                bad = unseen[int(np.flatnonzero(~np.isfinite(built).all(axis=1))[0])]
                raise FastW2VError(f"the n-gram vector of {words[bad][:60]!r} overflows float32")
            out[unseen] = built
        return out

    def has_vector(self, word: str) -> bool:
        """Whether :meth:`vector` gives ``word`` a vector (in the vocabulary, or n-grams)."""
        if word in self.index:
            return True
        return self.subwords is not None and bool(self.subwords.mean_vectors([word])[1][0])

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
        """Cosine similarity of two words (unseen ones by their n-grams, with subwords)."""
        (unit1, unit2), _ = self._query_units([word1, word2])
        return float(unit1 @ unit2)

    def _query_units(self, words: list[str]) -> tuple[np.ndarray, list[int]]:
        """Unit vectors of query words and the vocabulary rows to leave out of the answers
        (those of the words in the vocabulary; an unseen word has no row)."""
        rows = [self.index.get(w) for w in words]
        if all(r is not None for r in rows):
            return self.unit[rows], rows
        if self.subwords is None:
            self.lookup(words[rows.index(None)])  # raises: not in vocabulary
        return unit_rows(self.vectors_for(words)), [r for r in rows if r is not None]

    def most_similar(self, positive: Iterable[str] = (), negative: Iterable[str] = (),
                     topn: int = 10, restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """The ``topn`` words nearest the mean of ``positive`` minus ``negative`` words, by cosine."""
        positive, negative = _word_list(positive), _word_list(negative)
        if not positive and not negative:
            raise FastW2VError("no query words given")
        units, rows = self._query_units(positive + negative)
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        mean = (weights[:, None] * units).sum(axis=0)
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
        units, rows = self._query_units(positive + negative)
        shifted = (1 + self.unit[:self._limit(restrict_vocab)] @ units.T) / 2
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
            WordVectors(source.words[:limit], source.vectors[:limit], source.subwords)
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
    """Read a word2vec text or binary file, or a fastText ``.bin`` model, into a :class:`WordVectors`."""
    return WordVectors.load(path, limit=limit, binary=binary)


def is_fasttext_bin(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a regular file starting with fastText's magic number (its name
    does not matter: word2vec binary files are often named ``.bin`` too)."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False  # the word2vec reader reports it
    return len(head) == 4 and int.from_bytes(head, "little", signed=True) == FASTTEXT_MAGIC


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
