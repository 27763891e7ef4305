"""Output layers: negative sampling, NCE, hierarchical softmax; exporting their vectors.

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
  vocabulary (:mod:`fastw2v.huffman`); ``syn1`` holds its V - 1 inner-node
  vectors, so there is no per-word output vector.

The kernels (:mod:`fastw2v.kernels`) take the loss as an int and the tables
built here. See docs/output-layers.md for the mathematics and measurements.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import FastW2VError
from .huffman import build_huffman
from .sampling import noise_table

LOSSES = ("ns", "nce", "hs")
EXPORTS = ("in", "out", "in+out")

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
    words are drawn from (by the alias table of :func:`fastw2v.sampling.noise_table`,
    exact to 2^-32), and k = ``negative`` noise words per target.
    """
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    return np.log(negative * weights / weights.sum()).astype(np.float32)


@dataclass
class KernelTables:
    """The loss-specific arrays the kernel takes (dummies of one element when unused).

    ``loss``: NS, NCE or HS. ``noise``: the noise words' alias table
    (:func:`fastw2v.sampling.noise_table`; NS and NCE). ``log_kq``: float32 per word (NCE). ``codes``,
    ``points``, ``lengths``: the Huffman paths (HS). The NCE biases live on the
    model (they are trained); the kernel gets a one-element dummy otherwise.
    """

    loss: int
    noise: np.ndarray
    log_kq: np.ndarray
    codes: np.ndarray
    points: np.ndarray
    lengths: np.ndarray

    @property
    def max_outputs(self) -> int:
        """Outputs per step the HS paths need (0 for the other losses)."""
        return int(self.lengths.max()) if self.loss == HS and self.lengths.shape[0] else 0


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


# ---------------------------------------------------------------- export
def check_export(loss: str, export: str, save_output=None) -> None:
    """Reject export choices the loss cannot give (one-line FastW2VError)."""
    if export not in EXPORTS:
        raise FastW2VError(f"unknown --export {export!r} (choose in, out or in+out)")
    if loss == "hs" and export != "in":
        raise FastW2VError(f"--export {export} needs one output vector per word, but --loss hs "
                           "has none (its output layer is V-1 Huffman tree nodes); use --export in")
    if loss == "hs" and save_output is not None:
        raise FastW2VError("--save-output needs one output vector per word, but --loss hs has "
                           "none (its output layer is V-1 Huffman tree nodes)")


def exported_vectors(model, export: str = "in") -> np.ndarray:
    """The (V, dim) matrix ``export`` names: input, output, or their sum (in+out).

    in+out is Levy, Goldberg & Dagan (2015)'s w + c: the sum of a word's input
    and output vectors. NCE biases are not part of any of them.
    """
    check_export(model.options.loss, export)
    if export == "in":
        return model.input_vectors
    if export == "out":
        return model.output_vectors
    return model.input_vectors + model.output_vectors


def biases_path(path: str | os.PathLike) -> Path:
    """Where ``--save-output FILE`` puts the NCE biases: ``FILE.biases.txt``."""
    path = Path(path)
    return path.with_name(path.name + ".biases.txt")


def save_output_vectors(model, path: str | os.PathLike, binary: bool = False) -> Path | None:
    """Write the output vectors in word2vec format; for NCE also ``path.biases.txt``.

    The biases file has one ``word bias`` line per word, in vocabulary order
    (the bias printed with 9 significant digits, enough to read back the same
    float32). Returns the biases file's path, or None when there are no biases.
    """
    from .vectors import atomic_write, save_word2vec

    check_export(model.options.loss, "out", save_output=path)
    save_word2vec(path, model.vocab.words, model.output_vectors, binary=binary)
    if model.biases is None:
        return None
    target = biases_path(path)
    with atomic_write(target, "w") as f:
        for word, bias in zip(model.vocab.words, model.biases.tolist()):
            f.write(f"{word} {bias:.9g}\n")
    return target
