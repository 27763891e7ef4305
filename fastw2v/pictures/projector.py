"""Export for the TensorFlow Embedding Projector (https://projector.tensorflow.org).

The projector's "Load" dialog takes two tab-separated files:

- ``vectors.tsv``: one line per word, its values separated by tabs, no header;
- ``metadata.tsv``: one word per line in the same order. With a single column
  the projector expects no header row (its documented exception for "vocab
  files"), so none is written.

Values are written with 9 significant digits, enough for every float32 to read
back exactly (the same Numba formatter as :func:`fastw2v.save_word2vec`).
Words read from word2vec files never hold whitespace, but a tab, newline or
carriage return in a word given from Python would break the one-line-per-word
rule, so each is replaced by a space. Each file is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import FastW2VError, OptionError
from ..files import atomic_write
from ..vectors.word2vec_format import format_lines

VECTORS_FILE = "vectors.tsv"
METADATA_FILE = "metadata.tsv"
_ROWS_PER_BATCH = 4096
_UNSAFE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def check_projector_dir(directory: str | os.PathLike) -> Path:
    """Fail early if ``directory`` cannot hold the files (it may not exist yet)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise FastW2VError(f"not a directory: {directory}")
    existing = directory
    while not existing.exists():  # the nearest ancestor that exists must be writable
        existing = existing.parent
    if not existing.is_dir():
        raise FastW2VError(f"cannot create {directory}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FastW2VError(f"directory is not writable: {existing}")
    return directory


def export_projector(words: Sequence[str], vectors, directory: str | os.PathLike,
                     top: int | None = None) -> tuple[Path, Path]:
    """Write ``DIR/vectors.tsv`` and ``DIR/metadata.tsv`` for the first ``top`` words (all
    when ``top`` is None); create ``directory`` if missing. Returns both paths."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(words) != len(vectors):
        raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
    if top is not None:
        if top < 1:
            raise OptionError("top", f"must be 1 or more (got {top})")
        words, vectors = list(words[:top]), vectors[:top]
    if not len(words):
        raise FastW2VError("no vectors to export")
    directory = check_projector_dir(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FastW2VError(f"cannot create {directory}: {exc.strerror or exc}") from None
    vectors_path, metadata_path = directory / VECTORS_FILE, directory / METADATA_FILE
    with atomic_write(vectors_path, "wb") as f:
        for start in range(0, len(vectors), _ROWS_PER_BATCH):
            f.write(_tsv_rows(vectors[start:start + _ROWS_PER_BATCH]))
    with atomic_write(metadata_path, "w") as f:
        f.writelines(str(w).translate(_UNSAFE) + "\n" for w in words)
    return vectors_path, metadata_path


def _tsv_rows(block: np.ndarray) -> bytes:
    """Rows of ``block`` as tab-separated lines."""
    n, dim = block.shape
    no_words = np.zeros(n + 1, dtype=np.int64)  # empty words: each line is " v1 v2 ... vD\n"
    out = np.empty(n * (dim * 17 + 1), dtype=np.uint8)
    used = format_lines(block, 0, np.empty(0, dtype=np.uint8), no_words, out)
    text = out[:used].tobytes().replace(b" ", b"\t")
    return text[1:].replace(b"\n\t", b"\n")  # drop the separator before each first value
