"""gensim's ``KeyedVectors`` from fastw2v's vectors, for code written against gensim.

gensim is an optional dependency: it is imported only when a conversion is asked
for, and its absence is one :class:`fastw2v.errors.FastW2VError` line naming
``pip install gensim``.

The result is what gensim's own ``KeyedVectors.load_word2vec_format`` gives for
the file fastw2v writes (``fvocab`` naming the vocabulary file when there are
counts): the same words in the same order, the same float32 vectors, and each
word's ``count`` attribute (``kv.get_vecattr(word, "count")``). Without counts,
gensim makes up descending ones (the number of words minus the row), and so does
this module, so that gensim code that ranks words by count keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import FastW2VError


def gensim_keyed_vectors_class():
    """gensim's ``KeyedVectors`` class; :class:`FastW2VError` if gensim cannot be imported."""
    try:
        from gensim.models import KeyedVectors
    except ImportError as exc:
        raise FastW2VError(f"to_keyedvectors needs gensim, which cannot be imported ({exc}): "
                           "pip install gensim") from None
    return KeyedVectors


def to_keyedvectors(words: Sequence[str], vectors: np.ndarray, counts: Sequence[int] | None = None):
    """A gensim ``KeyedVectors`` holding ``words`` (in order) with a float32 copy of ``vectors``.

    ``counts``: each word's corpus count, set as its ``count`` attribute; None sets
    gensim's made-up descending counts (``len(words) - row``), as gensim does when it
    loads a vectors file without a vocabulary file.
    """
    KeyedVectors = gensim_keyed_vectors_class()
    vectors = np.asarray(vectors)
    words = list(words)
    if vectors.ndim != 2 or len(words) != vectors.shape[0]:
        raise FastW2VError(f"{len(words)} words but vectors of shape {vectors.shape}")
    if len(set(words)) != len(words):
        raise FastW2VError("the words are not unique: a KeyedVectors holds each word once")
    if counts is None:
        counts = np.arange(len(words), 0, -1, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape != (len(words),):
        raise FastW2VError(f"{len(words)} words but {counts.size} counts")
    kv = KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words, vectors.astype(np.float32, copy=False))  # copies into kv.vectors
    # What set_vecattr(word, "count", c) for every word gives (gensim stores int as int64),
    # in one assignment rather than a Python call per word.
    kv.allocate_vecattrs(attrs=["count"], types=[int])
    kv.expandos["count"][:] = counts
    return kv
