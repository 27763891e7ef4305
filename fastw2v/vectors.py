"""Vector files in word2vec's text and binary formats, written atomically.

Text: a header ``V D``, then one line per word: the word and D numbers separated
by single spaces. Numbers are written with 9 significant digits, which is enough
for every float32 to read back bit for bit (gensim's
``KeyedVectors.load_word2vec_format`` included). The formatting runs in Numba:
Python's ``%`` formatting takes over a second for 43k x 100 values.

Binary (word2vec.c ``-binary 1``): the same header line, then per word the word,
a space, D little-endian float32 values and a newline.

Every file is written to a temporary file in the target directory and renamed
over the target only once complete, so a failure never leaves a half-written file
and never damages an existing one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from numba import njit

from .errors import FastW2VError


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any training) if ``path`` cannot be written."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FastW2VError(f"output directory does not exist: {parent}")
    if path.is_dir():
        raise FastW2VError(f"output path is a directory: {path}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FastW2VError(f"output directory is not writable: {parent}")
    if path.exists() and not os.access(path, os.W_OK):
        raise FastW2VError(f"output file is not writable: {path}")
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file beside ``path``; rename it over ``path`` on success."""
    path = Path(path)
    check_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FastW2VError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


@njit(cache=True)
def _write_number(v, out, p):
    """Write float ``v`` at ``out[p:]`` with 9 significant digits; return the new position."""
    if v != v:
        for c in (110, 97, 110):  # nan
            out[p] = c
            p += 1
        return p
    if v < 0:
        out[p] = 45  # '-'
        p += 1
        v = -v
    if v == 0.0:
        out[p] = 48
        return p + 1
    if v == np.inf:
        for c in (105, 110, 102):  # inf
            out[p] = c
            p += 1
        return p
    e = int(np.floor(np.log10(v)))
    m = int(np.rint(v * 10.0 ** (8 - e)))
    if m >= 1000000000:
        e += 1
        m = int(np.rint(v * 10.0 ** (8 - e)))
    elif m < 100000000:
        e -= 1
        m = int(np.rint(v * 10.0 ** (8 - e)))
    digits = np.empty(9, dtype=np.uint8)
    for k in range(8, -1, -1):
        digits[k] = 48 + m % 10
        m //= 10
    nd = 9
    while nd > 1 and digits[nd - 1] == 48:
        nd -= 1
    if -5 <= e < 0:  # 0.000ddd
        out[p] = 48
        out[p + 1] = 46
        p += 2
        for _ in range(-e - 1):
            out[p] = 48
            p += 1
        for k in range(nd):
            out[p] = digits[k]
            p += 1
    elif 0 <= e < 9:  # ddd.ddd
        for k in range(max(nd, e + 1)):
            if k == e + 1:
                out[p] = 46
                p += 1
            out[p] = digits[k] if k < nd else 48
            p += 1
    else:  # d.ddde[+-]XX
        out[p] = digits[0]
        p += 1
        if nd > 1:
            out[p] = 46
            p += 1
            for k in range(1, nd):
                out[p] = digits[k]
                p += 1
        out[p] = 101
        out[p + 1] = 45 if e < 0 else 43
        p += 2
        e = abs(e)
        if e >= 100:
            out[p] = 48 + e // 100
            p += 1
        out[p] = 48 + (e // 10) % 10
        out[p + 1] = 48 + e % 10
        p += 2
    return p


@njit(cache=True)
def _format_lines(vectors, row_start, row_end, word_blob, word_offsets, out):
    """Write ``word v1 ... vD\\n`` lines for rows [row_start, row_end); return bytes used."""
    p = 0
    for r in range(row_start, row_end):
        for k in range(word_offsets[r], word_offsets[r + 1]):
            out[p] = word_blob[k]
            p += 1
        for d in range(vectors.shape[1]):
            out[p] = 32
            p = _write_number(np.float64(vectors[r, d]), out, p + 1)
        out[p] = 10
        p += 1
    return p


def _word_blob(words: list[str]) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return blob, offsets, encoded


def save_word2vec(path: str | os.PathLike, words: list[str], vectors: np.ndarray,
                  binary: bool = False, rows_per_batch: int = 4096) -> None:
    """Write ``vectors`` (one row per word) in word2vec text or binary format."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n != len(words):
        raise ValueError(f"{len(words)} words but {n} vectors")
    blob, offsets, encoded = _word_blob(words)
    with atomic_write(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        if binary:
            for word, row in zip(encoded, vectors):
                f.write(word + b" " + row.astype("<f4").tobytes() + b"\n")
            return
        for start in range(0, n, rows_per_batch):
            end = min(n, start + rows_per_batch)
            size = int(offsets[end] - offsets[start]) + (end - start) * (dim * 17 + 1)
            out = np.empty(size, dtype=np.uint8)
            used = _format_lines(vectors, start, end, blob, offsets, out)
            f.write(out[:used].tobytes())


def load_word2vec(path: str | os.PathLike, binary: bool | None = None,
                  limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file (``binary=None``: guess from the content).

    Returns ``(words, vectors)``; ``limit`` reads only the first N vectors. A
    malformed file raises :class:`FastW2VError` naming the line (or vector) at fault.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header = f.readline()
            try:
                n, dim = (int(x) for x in header.split())
                if n < 0 or dim < 1:
                    raise ValueError
            except ValueError:
                raise FastW2VError(f"{path}:1: bad header {header[:60]!r}: expected 'count dimension'") from None
            if limit is not None:
                n = min(n, limit)
            if binary is None:
                binary = _looks_binary(f, dim)
            reader = _read_binary if binary else _read_text
            return reader(f, path, n, dim)
    except OSError as exc:
        raise FastW2VError(f"cannot read vectors file {path}: {exc.strerror or exc}") from None


def _looks_binary(f, dim: int) -> bool:
    pos = f.tell()
    sample = f.read(4 * dim + 200)
    f.seek(pos)
    try:
        first = sample.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return True
    return len(first.split()) != dim + 1


def _read_text(f, path, n, dim):
    words: list[str] = []
    vectors = np.empty((n, dim), dtype=np.float32)
    for i in range(n):
        line = f.readline()
        lineno = i + 2
        if not line:
            raise FastW2VError(f"{path}: file ends after {i} of {n} vectors (line {lineno})")
        parts = line.decode("utf-8", "replace").split()
        if len(parts) != dim + 1:
            raise FastW2VError(f"{path}:{lineno}: expected a word and {dim} values, got {len(parts)} fields")
        try:
            vectors[i] = np.array(parts[1:], dtype=np.float32)
        except ValueError:
            raise FastW2VError(f"{path}:{lineno}: a value is not a number") from None
        words.append(parts[0])
    return words, vectors


def _read_binary(f, path, n, dim):
    words: list[str] = []
    vectors = np.empty((n, dim), dtype=np.float32)
    nbytes = 4 * dim
    for i in range(n):
        word = bytearray()
        while True:
            c = f.read(1)
            if not c:
                raise FastW2VError(f"{path}: truncated binary file: vector {i + 1} of {n} is incomplete")
            if c == b" ":
                break
            if c != b"\n" or word:
                word += c
            if len(word) > 100000:
                raise FastW2VError(f"{path}: vector {i + 1}: no space after the word; not a word2vec binary file?")
        data = f.read(nbytes)
        if len(data) != nbytes:
            raise FastW2VError(f"{path}: truncated binary file: vector {i + 1} of {n} is incomplete")
        vectors[i] = np.frombuffer(data, dtype="<f4")
        words.append(word.decode("utf-8", "replace"))
    return words, vectors
