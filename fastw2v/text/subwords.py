"""Character n-grams of words, hashed into buckets as fastText does (Bojanowski et al. 2017).

A word is wrapped as ``<word>``; its n-grams are its substrings of ``minn`` to
``maxn`` characters (UTF-8 characters: a multi-byte character is never cut),
except the lone ``<`` and ``>`` when ``minn`` is 1. Each n-gram is hashed with
32-bit FNV-1a over its bytes, every byte sign-extended as a C ``signed char``
before the xor (fastText's ``Dictionary::hash``), and lands in bucket
``hash % bucket``: row ``V + bucket`` of the input matrix, after the V word rows.
The same n-gram listed twice in a word (``aaa`` in ``<aaaa>``) counts twice, and
two n-grams may share a bucket, as in fastText.

A word's input vector is the mean of its own row and its n-gram rows; a word
outside the vocabulary has only its n-gram rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


@njit(cache=True)
def fnv1a(arena, lo, hi):
    """fastText's hash of the bytes ``arena[lo:hi]``."""
    h = np.uint32(FNV_OFFSET)
    for i in range(lo, hi):
        b = np.int32(arena[i])
        if b >= 128:
            b -= 256  # sign-extended, as fastText's int8_t(c)
        h = np.uint32((h ^ np.uint32(b & 0xFFFFFFFF)) * np.uint32(FNV_PRIME))
    return h


@njit(cache=True)
def _ngrams_of(arena, lo, hi, minn, maxn, bucket, base, out, at):
    """Write the rows (``base + hash % bucket``) of the n-grams of the wrapped word
    ``arena[lo:hi]`` to ``out[at:]``; return how many (``out`` None: only count)."""
    n_out = 0
    for i in range(lo, hi):
        if arena[i] & 0xC0 == 0x80:  # a UTF-8 continuation byte starts no n-gram
            continue
        j = i
        n = 1
        while j < hi and n <= maxn:
            j += 1
            while j < hi and arena[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == lo or j == hi)):
                if out is not None:
                    out[at + n_out] = base + np.int64(fnv1a(arena, i, j) % np.uint32(bucket))
                n_out += 1
            n += 1
    return n_out


@njit(cache=True)
def _all_ngrams(arena, offsets, minn, maxn, bucket, base):
    n = offsets.shape[0] - 1
    counts = np.empty(n + 1, dtype=np.int64)
    counts[0] = 0
    for w in range(n):
        counts[w + 1] = counts[w] + _ngrams_of(arena, offsets[w], offsets[w + 1], minn, maxn, bucket,
                                               base, None, 0)
    rows = np.empty(counts[n], dtype=np.int32)
    for w in range(n):
        _ngrams_of(arena, offsets[w], offsets[w + 1], minn, maxn, bucket, base, rows, counts[w])
    return counts, rows


def wrapped_arena(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The words as ``<word>`` in UTF-8, one after another, and where each starts."""
    encoded = [b"<" + w.encode("utf-8", "surrogatepass") + b">" for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def ngram_rows(words: list[str], minn: int, maxn: int, bucket: int, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Every word's n-gram rows: word ``w``'s are ``rows[offsets[w]:offsets[w + 1]]``
    (int32, ``base`` + bucket); ``base`` is the number of word rows before the buckets."""
    if maxn < minn or maxn == 0 or not words:
        return np.zeros(len(words) + 1, dtype=np.int64), np.empty(0, dtype=np.int32)
    arena, offsets = wrapped_arena(words)
    return _all_ngrams(arena, offsets, minn, maxn, bucket, base)


def word_ngrams(word: str, minn: int, maxn: int) -> list[str]:
    """The n-grams of ``word`` as text, in fastText's order (for tests and for reading)."""
    data = b"<" + word.encode("utf-8", "surrogatepass") + b">"
    out = []
    for i in range(len(data)):
        if data[i] & 0xC0 == 0x80:
            continue
        j, n = i, 1
        while j < len(data) and n <= maxn:
            j += 1
            while j < len(data) and data[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == len(data))):
                out.append(data[i:j].decode("utf-8", "surrogatepass"))
            n += 1
    return out
