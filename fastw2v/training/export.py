"""What a trained model's files hold: input vectors, output vectors, or their sum.

``--export`` picks the matrix ``-o`` holds; ``--save-output`` writes the output
vectors (and, for NCE, the trained biases) beside it. Hierarchical softmax has
no output vector per word (its output layer is the Huffman tree's inner nodes),
so it offers only the input vectors. See docs/output-layers.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import OptionError
from ..files import atomic_write
from ..vectors.word2vec_format import save_word2vec

EXPORTS = ("in", "out", "in+out")


def check_export(loss: str, export: str, save_output=None) -> None:
    """Reject export choices the loss cannot give (one-line :class:`OptionError` naming
    ``export`` or ``save_output``)."""
    if export not in EXPORTS:
        raise OptionError("export", f"must be in, out or in+out (got {export!r})")
    if loss == "hs" and export != "in":
        raise OptionError("export", f"{export} needs one output vector per word, but {{loss}} hs has "
                          "none (its output layer is V-1 Huffman tree nodes); use {export} in",
                          also=("loss",))
    if loss == "hs" and save_output is not None:
        raise OptionError("save_output", "needs one output vector per word, but {loss} hs has "
                          "none (its output layer is V-1 Huffman tree nodes)", also=("loss",))


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
    check_export(model.options.loss, "in", save_output=path)  # hs: names save_output, not export
    save_word2vec(path, model.vocab.words, model.output_vectors, binary=binary, threads=model.options.threads)
    if model.biases is None:
        return None
    target = biases_path(path)
    with atomic_write(target, "w") as f:
        for word, bias in zip(model.vocab.words, model.biases.tolist()):
            f.write(f"{word} {bias:.9g}\n")
    return target
