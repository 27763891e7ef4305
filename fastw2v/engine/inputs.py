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

from numba.extending import overload

WordRows = namedtuple("WordRows", ["n_words"])
WordRows.__doc__ = """word2vec's input side: word w is row w of syn0, alone."""


def rows_of(inputs, word, rows, at):
    """Write ``word``'s rows of syn0 at ``rows[at:]``; return how many."""


def max_rows(inputs):
    """The most rows one word can have."""


def word_input(inputs, syn0, rows, lo, hi, out):
    """``out`` = the input vector of the one word whose rows are ``rows[lo:hi]``."""


@overload(rows_of, inline="always")
def _rows_of(inputs, word, rows, at):
    if getattr(inputs, "instance_class", None) is WordRows:
        def own_row(inputs, word, rows, at):
            rows[at] = word
            return 1
        return own_row


@overload(max_rows, inline="always")
def _max_rows(inputs):
    if getattr(inputs, "instance_class", None) is WordRows:
        return lambda inputs: 1


@overload(word_input, inline="always", jit_options={"fastmath": True})
def _word_input(inputs, syn0, rows, lo, hi, out):
    if getattr(inputs, "instance_class", None) is WordRows:
        def copy_row(inputs, syn0, rows, lo, hi, out):
            row = rows[lo]
            for d in range(syn0.shape[1]):
                out[d] = syn0[row, d]
        return copy_row
