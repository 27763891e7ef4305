"""Output layers (losses): negative sampling, NCE, hierarchical softmax, and their tables.

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
  vocabulary (:mod:`fastw2v.engine.huffman`); ``syn1`` holds its V - 1 inner-node
  vectors, so there is no per-word output vector.

The kernels (:mod:`fastw2v.engine.kernels`) take the loss as an int and the tables
built here. See docs/output-layers.md for the mathematics and measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .huffman import build_huffman
from .sampling import noise_table

LOSSES = ("ns", "nce", "hs")

# Loss ids, as passed to kernels.train_epoch.
NS = 0
NCE = 1
HS = 2
LOSS_IDS = {"ns": NS, "nce": NCE, "hs": HS}


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


@dataclass
class KernelTables:
    """The loss-specific arrays the kernel takes (dummies of one element when unused).

    ``loss``: NS, NCE or HS. ``noise``: the noise words' alias table
    (:func:`fastw2v.engine.sampling.noise_table`; NS and NCE). ``log_kq``: float32 per word (NCE). ``codes``,
    ``points``, ``lengths``: the Huffman paths (HS). The NCE biases live on the
    model (they are trained); the kernel gets a one-element dummy otherwise.
    """

    loss: int
    noise: np.ndarray
    log_kq: np.ndarray
    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray


def kernel_tables(loss: str, counts: np.ndarray, exponent: float, negative: int) -> KernelTables:
    """Build what the kernel needs for ``loss`` from the vocabulary counts."""
    noise = np.zeros(1, dtype=np.uint64)  # hs draws no noise words
    if loss != "hs":
        noise = noise_table(counts, exponent)
    log_kq = np.zeros(1, dtype=np.float32)
    codes = np.zeros((1, 1), dtype=np.uint8)
    points = np.zeros((1, 1), dtype=np.int32)
    lengths = np.zeros(1, dtype=np.int32)
    if loss == "nce":
        log_kq = nce_log_kq(counts, exponent, negative)
    elif loss == "hs":
        tree = build_huffman(counts)
        codes, points, lengths = tree.codes, tree.points, tree.lengths
    return KernelTables(LOSS_IDS[loss], noise, log_kq, codes, points, lengths)
