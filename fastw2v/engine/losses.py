"""Output layers (losses): negative sampling, NCE, hierarchical softmax.

Every model has an input matrix (``syn0``: one vector per word, the word
vectors users keep) and an output layer that the input vector must predict the
target word with. Three output layers are offered (``--loss``):

* ``ns`` negative sampling (word2vec.c's default): one output vector per word
  (``syn1``, V rows); the target is told from ``negative`` noise words drawn
  from the unigram^ns_exponent distribution Q; logit = h . u_w.
* ``nce`` noise-contrastive estimation, as TensorFlow's ``tf.nn.nce_loss``: the
  same output vectors plus one trained bias per word; the logit of word w is
  ``h . u_w + b_w - log(k Q(w))`` with k = ``negative``. With that correction
  the classifier estimates the normalised model p(w | h) = exp(h . u_w + b_w)
  itself, not just a ranking.
* ``hs`` hierarchical softmax (word2vec.c ``-hs 1``): a Huffman tree over the
  vocabulary (:mod:`fastw2v.engine.huffman`); ``syn1`` holds its V - 1
  inner-node vectors, so there is no per-word output vector.

All three are logistic outputs: for each centre word the loss lists its outputs
as (row of ``syn1``, label, logit offset) and each gets a sigmoid cross-entropy.
They differ only in that list, in the sigmoid (ns keeps word2vec.c's table, the
others the exact function: NCE's offsets move logits far beyond the table's
+-6) and in NCE's trained biases. So the kernels (:mod:`fastw2v.engine.kernels`)
have one step for all three, and each loss is a typed tuple of its tables:
:class:`NegativeSampling`, :class:`NoiseContrastive`,
:class:`HierarchicalSoftmax`. The functions below are overloaded on those types
(the way umap specialises its kernels per metric), so the compiler builds one
kernel per loss with every loss-specific choice fixed at compile time, and the
ns kernel is the plain negative-sampling loop. See docs/output-layers.md for
the mathematics and measurements.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numba.extending import overload

from .huffman import build_huffman
from .sampling import draw_noise, noise_table, sigmoid, sigmoid_table

NegativeSampling = namedtuple("NegativeSampling", ["noise", "sig_table", "negative"])
NegativeSampling.__doc__ = """Negative sampling: ``negative`` noise words from the alias table
``noise`` (:func:`fastw2v.engine.sampling.noise_table`); word2vec.c's table sigmoid."""
NoiseContrastive = namedtuple("NoiseContrastive", ["noise", "log_kq", "bias", "negative"])
NoiseContrastive.__doc__ = """NCE: ``negative`` noise words, logit offsets ``bias[w] - log_kq[w]``;
``bias`` (one per word) is trained in place."""
HierarchicalSoftmax = namedtuple("HierarchicalSoftmax", ["codes", "points", "lengths"])
HierarchicalSoftmax.__doc__ = """Hierarchical softmax: the Huffman paths of :mod:`fastw2v.engine.huffman`
(inner nodes ``points``, labels ``1 - codes``, ``lengths`` nodes per word)."""


def output_rows(loss: str, n_words: int) -> int:
    """Rows of the output matrix ``syn1``: V, or the V - 1 inner nodes for hs."""
    return max(n_words - 1, 0) if loss == "hs" else n_words


def nce_log_kq(counts: np.ndarray, exponent: float, negative: int) -> np.ndarray:
    """NCE's logit correction log(k Q(w)) per word (float32).

    Q(w) = count_w^exponent / sum_v count_v^exponent, the distribution the noise
    words are drawn from (by the alias table of :func:`fastw2v.engine.sampling.noise_table`,
    exact to 2^-32), and k = ``negative`` noise words per target.
    """
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    return np.log(negative * weights / weights.sum()).astype(np.float32)


def loss_tables(loss: str, counts: np.ndarray, exponent: float, negative: int,
                bias: np.ndarray | None = None):
    """The typed tuple of ``loss``'s tables, built from the vocabulary counts.

    ``bias``: NCE's trained biases (float32, one per word), updated in place by training.
    """
    if loss == "ns":
        return NegativeSampling(noise_table(counts, exponent), sigmoid_table(), int(negative))
    if loss == "nce":
        if bias is None:
            raise ValueError("nce needs its biases")
        return NoiseContrastive(noise_table(counts, exponent), nce_log_kq(counts, exponent, negative),
                                bias, int(negative))
    if loss == "hs":
        tree = build_huffman(counts)
        return HierarchicalSoftmax(tree.codes, tree.points, tree.lengths)
    raise ValueError(f"unknown loss {loss!r}")


# ---------------------------------------------------------------- the logistic loss
# softplus(x) = log(1 + exp(x)) at SOFTPLUS_CELLS + 1 evenly spaced points of
# [-SOFTPLUS_RANGE, SOFTPLUS_RANGE], read with linear interpolation: a libm exp
# and log1p per output would make --report-loss cost more than the training.
SOFTPLUS_RANGE = 16.0
SOFTPLUS_CELLS = 8192
_SOFTPLUS_X = np.linspace(-SOFTPLUS_RANGE, SOFTPLUS_RANGE, SOFTPLUS_CELLS + 1)
_SOFTPLUS = (np.maximum(_SOFTPLUS_X, 0.0) + np.log1p(np.exp(-np.abs(_SOFTPLUS_X)))).astype(np.float32)


@njit(cache=True, inline="always")
def softplus(x):
    """log(1 + exp(x)), the loss of one logistic output, as a float64.

    Interpolated in a table: off by about 5e-7 at most (the interpolation error
    (32 / 8192)^2 / 8 x max softplus'' = 1/4, plus float32 rounding). Beyond the
    table, softplus(x) is x + exp(-x) or exp(x) to within exp(-32).
    """
    if x >= SOFTPLUS_RANGE:
        return np.float64(x) + np.exp(-np.float64(x))
    if x <= -SOFTPLUS_RANGE:
        return np.exp(np.float64(x))
    pos = (np.float64(x) + SOFTPLUS_RANGE) * (SOFTPLUS_CELLS / (2 * SOFTPLUS_RANGE))
    i = min(int(pos), SOFTPLUS_CELLS - 1)
    frac = pos - i
    return (1.0 - frac) * _SOFTPLUS[i] + frac * _SOFTPLUS[i + 1]


@njit(cache=True, inline="always")
def exact_sigmoid(x):
    """1 / (1 + exp(-x)) in the precision of x (float32 in training, float64 in the
    tests); x is clamped to +-30 so that exp stays finite under fastmath."""
    x = min(max(x, np.float32(-30.0)), np.float32(30.0))
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@njit(cache=True, inline="always")
def logistic_loss(x, label):
    """Sigmoid cross-entropy of logit x with label 1 or 0 (float64)."""
    return softplus(-x) if label > 0.5 else softplus(x)


# ---------------------------------------------------------------- per-loss choices
# Pure-Python stubs, given one implementation per loss type below. Inside a
# kernel each call resolves, at compile time, to its loss's implementation.
def max_outputs(loss):
    """Outputs one centre word can have: 1 + negative, or the longest Huffman path."""


def draw_outputs(loss, centre, outs, labels, rng):
    """Fill ``outs``/``labels`` with the centre word's outputs; return (count, rng)."""


def logit_offsets(loss, outs, n_out, offsets):
    """Fill ``offsets[:n_out]`` with what is added to each output's logit (NCE only)."""


def offset_of(loss, offsets, k):
    """Output k's logit offset (a constant 0 where the loss has none)."""


def logistic(loss, x):
    """The sigmoid of logit x the loss trains with."""


def trains_biases(loss):
    """Whether the loss has per-output biases, updated by :func:`update_biases`."""


def update_biases(loss, outs, n_out, gsum):
    """Add the summed gradient of each output's logit to its bias (NCE only)."""


def _is(loss, kind) -> bool:
    return getattr(loss, "instance_class", None) is kind


@overload(max_outputs, inline="always")
def _max_outputs(loss):
    if _is(loss, HierarchicalSoftmax):
        return lambda loss: max(loss.codes.shape[1], 1)
    return lambda loss: loss.negative + 1


@overload(draw_outputs, inline="always")
def _draw_outputs(loss, centre, outs, labels, rng):
    if _is(loss, NegativeSampling):
        def draw_ns(loss, centre, outs, labels, rng):
            # outs[0] = centre (label 1), then up to ``negative`` noise words, a draw
            # equal to the centre being skipped (word2vec.c).
            outs[0] = centre
            labels[0] = 1.0
            n_out = 1
            for _ in range(loss.negative):
                w, rng = draw_noise(loss.noise, rng)
                if w != centre:
                    outs[n_out] = w
                    labels[n_out] = 0.0
                    n_out += 1
            return n_out, rng
        return draw_ns
    if _is(loss, NoiseContrastive):
        def draw_nce(loss, centre, outs, labels, rng):
            # outs[0] = centre (label 1), then exactly ``negative`` noise words (label
            # 0): a draw equal to the centre is kept, as tf.nn.nce_loss without
            # remove_accidental_hits, because NCE's loss assumes k draws from Q.
            outs[0] = centre
            labels[0] = 1.0
            for k in range(1, loss.negative + 1):
                outs[k], rng = draw_noise(loss.noise, rng)
                labels[k] = 0.0
            return loss.negative + 1, rng
        return draw_nce
    if _is(loss, HierarchicalSoftmax):
        def draw_hs(loss, centre, outs, labels, rng):
            # the inner nodes of the centre's Huffman path, labels 1 - code; no draws
            n = np.int64(loss.lengths[centre])
            for k in range(n):
                outs[k] = loss.points[centre, k]
                labels[k] = 1.0 - loss.codes[centre, k]
            return n, rng
        return draw_hs


@overload(logit_offsets, inline="always")
def _logit_offsets(loss, outs, n_out, offsets):
    if _is(loss, NoiseContrastive):
        def offsets_nce(loss, outs, n_out, offsets):
            for k in range(n_out):
                offsets[k] = loss.bias[outs[k]] - loss.log_kq[outs[k]]
        return offsets_nce
    return lambda loss, outs, n_out, offsets: None


@overload(offset_of, inline="always")
def _offset_of(loss, offsets, k):
    if _is(loss, NoiseContrastive):
        return lambda loss, offsets, k: offsets[k]
    return lambda loss, offsets, k: np.float32(0.0)


@overload(logistic, inline="always")
def _logistic(loss, x):
    if _is(loss, NegativeSampling):
        return lambda loss, x: sigmoid(loss.sig_table, x)
    return lambda loss, x: exact_sigmoid(x)


@overload(trains_biases, inline="always")
def _trains_biases(loss):
    if _is(loss, NoiseContrastive):
        return lambda loss: True
    return lambda loss: False


@overload(update_biases, inline="always")
def _update_biases(loss, outs, n_out, gsum):
    if _is(loss, NoiseContrastive):
        def update_nce(loss, outs, n_out, gsum):
            for k in range(n_out):
                loss.bias[outs[k]] += gsum[k]
        return update_nce
    return lambda loss, outs, n_out, gsum: None
