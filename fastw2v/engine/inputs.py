"""The input side: which rows of the input matrix ``syn0`` make up a word's input vector.

A word's input vector is the mean of its rows, and training adds the input's
gradient to each of them. For word2vec a word has one row, its own
(:class:`WordRows`). fastText's subword model gives a word its own row plus one
row per character n-gram; it enters as another typed tuple with its own
implementations of the two functions below, and the kernels
(:mod:`fastw2v.engine.kernels`) need no new copy of their loop: they only ever
ask for a word's rows (:func:`rows_of`) and for one word's input vector
(:func:`word_input`).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numba.extending import overload

from .intrinsics import prefetch_row

WordRows = namedtuple("WordRows", ["n_words"])
WordRows.__doc__ = """word2vec's input side: word w is row w of syn0, alone."""
SubwordRows = namedtuple("SubwordRows", ["offsets", "ngrams", "most"])
SubwordRows.__doc__ = """fastText's input side: word w is its own row w and its n-gram rows
``ngrams[offsets[w]:offsets[w + 1]]`` (rows after the V word rows: see
:mod:`fastw2v.text.subwords`); ``most`` is the most rows of any word."""


def rows_of(inputs, word, rows, at):
    """Write ``word``'s rows of syn0 at ``rows[at:]``; return how many."""


def max_rows(inputs):
    """The most rows one word can have."""


def word_input(inputs, syn0, rows, lo, hi, out):
    """``out`` = the input vector of the one word whose rows are ``rows[lo:hi]``."""


def prefetch_input(inputs, syn0, word):
    """Ask for the cache lines of every row of ``word`` (a hint; changes no result)."""


def window_cached(inputs):
    """Whether the kernel keeps each word's input vector for its whole stay in the window
    (:func:`fastw2v.engine.kernels.train_epoch`): worth it when a word has many rows."""


@njit(cache=True, inline="always", fastmath=True)
def mean_of_rows(matrix, rows, lo, hi, out):
    """out = the mean of matrix[rows[i]] for lo <= i < hi (CBOW's hidden layer;
    a subword's input)."""
    for d in range(matrix.shape[1]):
        out[d] = 0.0
    for i in range(lo, hi):
        row = rows[i]
        for d in range(matrix.shape[1]):
            out[d] += matrix[row, d]
    inv = np.float32(1.0) / (hi - lo)
    for d in range(matrix.shape[1]):
        out[d] *= inv


@overload(rows_of, inline="always")
def _rows_of(inputs, word, rows, at):
    if getattr(inputs, "instance_class", None) is WordRows:
        def own_row(inputs, word, rows, at):
            rows[at] = word
            return 1
        return own_row
    if getattr(inputs, "instance_class", None) is SubwordRows:
        def own_and_ngram_rows(inputs, word, rows, at):
            rows[at] = word
            lo, hi = inputs.offsets[word], inputs.offsets[word + 1]
            for k in range(lo, hi):
                rows[at + 1 + k - lo] = inputs.ngrams[k]
            return 1 + hi - lo
        return own_and_ngram_rows


@overload(max_rows, inline="always")
def _max_rows(inputs):
    if getattr(inputs, "instance_class", None) is WordRows:
        return lambda inputs: 1
    if getattr(inputs, "instance_class", None) is SubwordRows:
        return lambda inputs: inputs.most


@overload(word_input, inline="always", jit_options={"fastmath": True})
def _word_input(inputs, syn0, rows, lo, hi, out):
    if getattr(inputs, "instance_class", None) is WordRows:
        def copy_row(inputs, syn0, rows, lo, hi, out):
            row = rows[lo]
            for d in range(syn0.shape[1]):
                out[d] = syn0[row, d]
        return copy_row
    if getattr(inputs, "instance_class", None) is SubwordRows:
        def mean_of_its_rows(inputs, syn0, rows, lo, hi, out):
            mean_of_rows(syn0, rows, lo, hi, out)
        return mean_of_its_rows


@overload(prefetch_input, inline="always")
def _prefetch_input(inputs, syn0, word):
    if getattr(inputs, "instance_class", None) is WordRows:
        return lambda inputs, syn0, word: prefetch_row(syn0, word)
    if getattr(inputs, "instance_class", None) is SubwordRows:
        def prefetch_all(inputs, syn0, word):
            prefetch_row(syn0, word)
            for k in range(inputs.offsets[word], inputs.offsets[word + 1]):
                prefetch_row(syn0, inputs.ngrams[k])
        return prefetch_all


@overload(window_cached, inline="always")
def _window_cached(inputs):
    if getattr(inputs, "instance_class", None) is WordRows:
        return lambda inputs: False
    if getattr(inputs, "instance_class", None) is SubwordRows:
        return lambda inputs: True

