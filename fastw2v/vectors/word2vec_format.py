"""Vector files in word2vec's text and binary formats, written atomically.

Text: a header ``V D``, then one line per word: the word and D numbers separated
by single spaces. Numbers are written with 9 significant digits, which is enough
for every float32 to read back bit for bit (gensim's
``KeyedVectors.load_word2vec_format`` included). The formatting runs in Numba:
Python's ``%`` formatting takes over a second for 43k x 100 values.

Binary (word2vec.c ``-binary 1``): the same header line, then per word the word,
a space, D little-endian float32 values and a newline.

Files are written through :func:`fastw2v.files.atomic_write`: a failure never
leaves a half-written file and never damages an existing one.

Reading (:func:`load_word2vec`) takes either format from any tool (gensim's binary
has no newline after a vector, word2vec.c's and fastText's text lines end in a
space), plain or compressed, and tells them apart by content. Text numbers are
parsed in Numba where the exact fast path applies (at most 15 significant digits),
giving the same float32 as Python's ``float``; any other line goes through Python,
which also names the line at fault. 100k x 300 values: 2 s instead of 11 s.
"""

from __future__ import annotations

import math
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from numba import njit

from .. import compression
from ..errors import FastW2VError
from ..files import atomic_write

_POW10 = np.array([float(f"1e{k}") for k in range(-64, 65)])  # _POW10[k + 64] = 10^k


_PAIRS = np.frombuffer(b"".join(b"%02d" % i for i in range(100)), dtype=np.uint8).copy()  # "00".."99"
_IPOW10 = np.array([10 ** k for k in range(19)], dtype=np.int64)


@njit(cache=True, inline="always")
def _put_int(out, p, m, n_digits):
    """Write integer ``m`` (0 <= m < 10 ** n_digits) as exactly ``n_digits`` decimal
    digits at out[p:], two digits a division (unsigned: no floor-division fix-ups)."""
    k = p + n_digits
    u = np.uint64(m)
    hundred = np.uint64(100)
    while k - p >= 2:
        q = u // hundred
        r = np.int64(u - q * hundred)
        out[k - 2] = _PAIRS[2 * r]
        out[k - 1] = _PAIRS[2 * r + 1]
        u = q
        k -= 2
    if k > p:
        out[p] = 48 + np.int64(u)
    return p + n_digits


@njit(cache=True, nogil=True)
def _write_number(v, out, p):
    """Write float ``v`` at ``out[p:]`` with 9 significant digits; return the new position.

    Nine significant digits identify every float32 exactly. Trailing zeros are
    dropped; exponents from -5 to 8 are written positionally, others as d.ddde+XX.
    """
    if v != v:
        out[p:p + 3] = np.array((110, 97, 110), dtype=np.uint8)  # nan
        return p + 3
    if math.copysign(1.0, v) < 0:  # negative, -0.0 included
        out[p] = 45  # '-'
        p += 1
        v = -v
    if v == 0.0:
        out[p] = 48
        return p + 1
    if v == np.inf:
        out[p:p + 3] = np.array((105, 110, 102), dtype=np.uint8)  # inf
        return p + 3
    # Decimal exponent from the binary one (off by at most one; corrected below).
    e = int(np.floor((math.frexp(v)[1] - 1) * 0.30102999566398120))
    m = int(np.rint(v * _POW10[8 - e + 64]))
    if m >= 1000000000:  # the estimate was one too low
        e += 1
        m = int(np.rint(v * _POW10[8 - e + 64]))
    elif m < 100000000:  # one too high
        e -= 1
        m = int(np.rint(v * _POW10[8 - e + 64]))
    nd = 9
    while nd > 1 and m % 10 == 0:
        m //= 10
        nd -= 1
    if -5 <= e < 0:  # 0.000ddd
        out[p] = 48
        out[p + 1] = 46
        p += 2
        for _ in range(-e - 1):
            out[p] = 48
            p += 1
        return _put_int(out, p, m, nd)
    if 0 <= e < 9:  # ddd.ddd or ddd000
        if nd <= e + 1:
            p = _put_int(out, p, m, nd)
            for _ in range(e + 1 - nd):
                out[p] = 48
                p += 1
            return p
        scale = _IPOW10[nd - e - 1]
        p = _put_int(out, p, m // scale, e + 1)
        out[p] = 46
        return _put_int(out, p + 1, m % scale, nd - e - 1)
    scale = _IPOW10[nd - 1]  # d.ddde[+-]XX
    p = _put_int(out, p, m // scale, 1)
    if nd > 1:
        out[p] = 46
        p = _put_int(out, p + 1, m % scale, nd - 1)
    out[p] = 101
    out[p + 1] = 45 if e < 0 else 43
    e = abs(e)
    return _put_int(out, p + 2, e, 3 if e >= 100 else 2)


@njit(cache=True, nogil=True, inline="always")
def _put_word(word_blob, word_offsets, w, out, p):
    """Copy word ``w``'s bytes (``word_blob[word_offsets[w]:word_offsets[w + 1]]``) to out[p:]."""
    for k in range(word_offsets[w], word_offsets[w + 1]):
        out[p] = word_blob[k]
        p += 1
    return p


@njit(cache=True, nogil=True)
def format_lines(vectors, first_word, word_blob, word_offsets, out):
    """Write ``word v1 ... vD\\n`` lines, row r of ``vectors`` being word first_word + r.

    Returns the bytes of ``out`` used.
    """
    p = 0
    for r in range(vectors.shape[0]):
        p = _put_word(word_blob, word_offsets, first_word + r, out, p)
        for d in range(vectors.shape[1]):
            out[p] = 32
            p = _write_number(np.float64(vectors[r, d]), out, p + 1)
        out[p] = 10
        p += 1
    return p


@njit(cache=True, nogil=True)
def pack_lines(vectors, first_word, word_blob, word_offsets, out):
    """Binary lines ``word<space><D little-endian float32><newline>``, row r of
    ``vectors`` (float32, C order) being word first_word + r. Returns the bytes used."""
    raw = vectors.view(np.uint8)
    width = raw.shape[1]
    p = 0
    for r in range(vectors.shape[0]):
        p = _put_word(word_blob, word_offsets, first_word + r, out, p)
        out[p] = 32
        p += 1
        for k in range(width):
            out[p + k] = raw[r, k]
        p += width
        out[p] = 10
        p += 1
    return p


def _word_blob(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return blob, offsets


def save_word2vec(path: str | os.PathLike, words: list[str], vectors: np.ndarray,
                  binary: bool = False, rows_per_batch: int | None = None, threads: int | None = None) -> None:
    """Write ``vectors`` (one row per word) in word2vec text or binary format.

    Batches of rows (``rows_per_batch``, default about 4 MB of output each) are
    formatted by up to ``threads`` threads (default: every core; the Numba
    formatters release the GIL) and written in order, so the file is the same
    whatever the number of threads. At most two batches a thread are in memory at
    once, and a model's padded matrix is never copied whole.
    """
    n, dim = vectors.shape
    if n != len(words):
        raise ValueError(f"{len(words)} words but {n} vectors")
    blob, offsets = _word_blob(words)
    per_row = 4 * dim + 2 if binary else dim * 17 + 1
    rows_per_batch = rows_per_batch or max(1, (4 << 20) // per_row)

    def lines(start: int) -> memoryview:
        end = min(n, start + rows_per_batch)
        batch = np.ascontiguousarray(vectors[start:end], dtype="<f4")
        out = np.empty(int(offsets[end] - offsets[start]) + (end - start) * per_row, dtype=np.uint8)
        used = (pack_lines if binary else format_lines)(batch, start, blob, offsets, out)
        return memoryview(out)[:used]

    starts = range(0, n, rows_per_batch)
    threads = max(1, min(threads or os.cpu_count() or 1, len(starts)))
    with atomic_write(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        if threads == 1:
            for start in starts:
                f.write(lines(start))
            return
        with ThreadPoolExecutor(threads, thread_name_prefix="fastw2v-writer") as pool:
            pending: deque = deque()
            for start in starts:
                pending.append(pool.submit(lines, start))
                if len(pending) >= 2 * threads:
                    f.write(pending.popleft().result())
            while pending:
                f.write(pending.popleft().result())


def load_word2vec(path: str | os.PathLike, binary: bool | None = None,
                  limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Read a word2vec text or binary file (``binary=None``: guess from the content).

    Reads fastw2v's, gensim's, fastText's ``.vec`` and word2vec.c's files, plain or
    compressed (``.gz``, ``.bz2``, ``.xz``, ``.zst``). Returns ``(words, vectors)`` in file
    order, duplicates included; ``limit`` reads only the first N vectors. A
    malformed file raises :class:`FastW2VError` naming the line (or vector) at fault.
    """
    path = Path(path)
    if limit is not None and limit < 0:
        raise FastW2VError(f"limit must be 0 or more (got {limit})")
    if not path.exists():
        raise FastW2VError(f"vectors file not found: {path}")
    if path.is_dir():
        raise FastW2VError(f"vectors path is a directory: {path}")
    suffix = compression.suffix_of(path)
    try:
        with open(path, "rb") as raw, compression.reader(raw, suffix) as f:
            n, dim = _read_header(f.readline(), path)
            if limit is not None:
                n = min(n, limit)
            sample = f.read(4 * dim + 4096)
            if binary is None:
                binary = _looks_binary(sample, dim)
            capacity = _initial_capacity(path, n, dim, binary, compressed=suffix is not None)
            reader = _read_binary if binary else _read_text
            return reader(_Chunks(f, sample), path, n, dim, capacity)
    except compression.read_errors() as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise FastW2VError(f"cannot read vectors file {path}: {reason}") from None


MAX_DIM = 1_000_000
_CHUNK_BYTES = 16 << 20
# Bytes that can appear in a text line's numbers: "-0.12", "1e-05", "nan", "inf", "Infinity".
_NUMBER_BYTES = frozenset(b"0123456789+-.eEnaifNAIFty \t\r")


def _read_header(header: bytes, path: Path) -> tuple[int, int]:
    if not header:
        raise FastW2VError(f"{path}: empty file (expected a 'count dimension' header)")
    header = header.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    try:
        n, dim = (int(x) for x in header.split())
        if n < 0 or dim < 1:
            raise ValueError
    except ValueError:
        shown = header[:60].decode("utf-8", "replace").rstrip("\r\n")
        raise FastW2VError(f"{path}:1: bad header {shown!r}: expected 'count dimension', "
                           f"e.g. '71290 300'") from None
    if dim > MAX_DIM:  # a damaged header: reading one row would exhaust the memory
        raise FastW2VError(f"{path}:1: bad header: {dim} dimensions is implausibly many "
                           f"(at most {MAX_DIM:,})")
    return n, dim


def _looks_binary(sample: bytes, dim: int) -> bool:
    """Guess the format from the bytes after the header.

    After the first word, a text file has numbers up to the end of the line, and a
    binary file has 4 * dim bytes of float32 data, which almost never consist of
    digits, signs and dots only.
    """
    space = sample.find(b" ")
    if space < 0:
        return False  # no word separator at all: let the text reader name the problem
    data = sample[space + 1: space + 1 + 4 * dim]
    newline = data.find(b"\n")
    if newline >= 0:
        data = data[:newline]
        if not data:
            return True
    return not all(b in _NUMBER_BYTES for b in data)


def _initial_capacity(path: Path, n: int, dim: int, binary: bool, compressed: bool) -> int:
    """Rows to allocate at first: ``n``, unless the header claims more than the file can hold."""
    if n * dim * 4 <= 1 << 30:
        return n
    if compressed:
        return (1 << 30) // (4 * dim)
    min_bytes = 4 * dim + 2 if binary else 2 * dim + 2  # "w" + " 0" per value + "\n"
    return min(n, path.stat().st_size // min_bytes + 1)


class _Chunks:
    """A binary file read in large chunks, starting with bytes already read."""

    def __init__(self, f, first: bytes):
        self.f = f
        self.first = first

    def read(self) -> bytes:
        if self.first:
            data, self.first = self.first, b""
            return data
        return self.f.read(_CHUNK_BYTES)


def _grown(vectors: np.ndarray, n: int) -> np.ndarray:
    bigger = np.empty((min(n, 2 * len(vectors) + 1024), vectors.shape[1]), dtype=np.float32)
    bigger[:len(vectors)] = vectors
    return bigger


def _read_text(chunks: _Chunks, path: Path, n: int, dim: int, capacity: int):
    """Parse text lines in blocks: a Numba fast path, and Python for any line it declines."""
    words: list[str] = []
    vectors = np.empty((capacity, dim), dtype=np.float32)
    word_start = np.empty(capacity, dtype=np.int64)
    word_end = np.empty(capacity, dtype=np.int64)
    row = 0
    pending = b""
    at_end = False
    while row < n and not at_end:
        data = chunks.read()
        at_end = not data
        block = pending + data
        cut = len(block) if at_end else block.rfind(b"\n") + 1
        block, pending = block[:cut], block[cut:]
        buf = np.frombuffer(block, dtype=np.uint8)
        pos = 0
        while row < n and pos < len(block):
            if row == len(vectors):
                vectors = _grown(vectors, n)
                word_start = np.resize(word_start, len(vectors))
                word_end = np.resize(word_end, len(vectors))
            first = row
            row, pos, ok = _parse_text_lines(buf, pos, dim, vectors, row, min(n, len(vectors)),
                                             word_start, word_end)
            words.extend([block[s:e].decode("utf-8", "replace")
                          for s, e in zip(word_start[first:row].tolist(), word_end[first:row].tolist())])
            if not ok:  # a line the fast path declines: parse it in Python (or report it)
                end = block.find(b"\n", pos)
                end = len(block) if end < 0 else end + 1
                word, values = _parse_text_line(block[pos:end], dim, path, row + 2)
                words.append(word)
                vectors[row] = values
                row += 1
                pos = end
    if row < n:
        raise FastW2VError(f"{path}: file ends after {row} of {n} vectors (line {row + 2})")
    return words, vectors[:n] if len(vectors) != n else vectors


def _parse_text_line(line: bytes, dim: int, path: Path, lineno: int) -> tuple[str, np.ndarray]:
    parts = line.split()
    if len(parts) != dim + 1:
        what = "an empty line" if not parts else f"{len(parts) - 1}"
        raise FastW2VError(f"{path}:{lineno}: expected a word and {dim} values, got {what}")
    try:
        with np.errstate(over="ignore"):  # beyond float32: inf, as gensim reads it
            values = np.array([float(x) for x in parts[1:]], dtype=np.float64).astype(np.float32)
    except ValueError:
        bad = next(k for k, x in enumerate(parts[1:]) if not _is_float(x))
        shown = parts[bad + 1][:30].decode("utf-8", "replace")
        raise FastW2VError(f"{path}:{lineno}: value {bad + 1} ({shown!r}) is not a number") from None
    return parts[0].decode("utf-8", "replace"), values


def _is_float(x: bytes) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True


_POWERS_OF_TEN = np.array([float(f"1e{k}") for k in range(23)])


@njit(cache=True, inline="always")
def _is_blank(c):
    return c == 32 or c == 9 or c == 13 or c == 11 or c == 12  # whitespace within a line


@njit(cache=True)
def _parse_number(buf, p, size, powers):
    """Parse a decimal number at ``buf[p:]``; return ``(value, end, ok)``.

    Only the exact cases: at most 15 significant digits and a power of ten up to
    22, where one multiplication or division of two exact doubles gives the
    correctly rounded result (Clinger's fast path), equal to Python's ``float``.
    Anything else (nan, inf, long mantissas, junk) returns ``ok = False``.
    """
    negative = False
    if p < size and (buf[p] == 45 or buf[p] == 43):
        negative = buf[p] == 45
        p += 1
    mantissa = 0
    n_digits = 0  # significant digits, leading zeros excluded
    seen = 0
    exponent = 0
    while p < size and 48 <= buf[p] <= 57:
        if mantissa or buf[p] != 48:
            mantissa = mantissa * 10 + (buf[p] - 48)
            n_digits += 1
            if n_digits > 15:
                return 0.0, p, False
        seen += 1
        p += 1
    if p < size and buf[p] == 46:
        p += 1
        while p < size and 48 <= buf[p] <= 57:
            if mantissa or buf[p] != 48:
                mantissa = mantissa * 10 + (buf[p] - 48)
                n_digits += 1
                if n_digits > 15:
                    return 0.0, p, False
            exponent -= 1
            seen += 1
            p += 1
    if seen == 0:
        return 0.0, p, False
    if p < size and (buf[p] == 101 or buf[p] == 69):
        p += 1
        sign = 1
        if p < size and (buf[p] == 45 or buf[p] == 43):
            sign = -1 if buf[p] == 45 else 1
            p += 1
        e = 0
        e_digits = 0
        while p < size and 48 <= buf[p] <= 57:
            if e < 10000:
                e = e * 10 + (buf[p] - 48)
            e_digits += 1
            p += 1
        if e_digits == 0:
            return 0.0, p, False
        exponent += sign * e
    if p < size and not (_is_blank(buf[p]) or buf[p] == 10):
        return 0.0, p, False
    if mantissa == 0:
        value = 0.0
    elif 0 <= exponent <= 22:
        value = mantissa * powers[exponent]
    elif -22 <= exponent < 0:
        value = mantissa / powers[-exponent]
    else:
        return 0.0, p, False
    return (-value if negative else value), p, True


@njit(cache=True)
def _parse_text_lines(buf, pos, dim, out, row, n_rows, word_start, word_end):
    """Parse ``word v1 ... vD`` lines from ``buf[pos:]`` into ``out[row:n_rows]``.

    Stops at ``n_rows``, at the end of ``buf`` or before the first line it cannot
    parse exactly; returns ``(row, pos, ok)`` with ``ok`` False in the last case.
    """
    size = buf.shape[0]
    powers = _POWERS_OF_TEN
    while row < n_rows and pos < size:
        p = pos
        while p < size and _is_blank(buf[p]):
            p += 1
        start = p
        while p < size and not (_is_blank(buf[p]) or buf[p] == 10):
            p += 1
        if p == start:
            return row, pos, False
        end = p
        for d in range(dim):
            while p < size and _is_blank(buf[p]):
                p += 1
            if p >= size or buf[p] == 10:
                return row, pos, False
            value, p, ok = _parse_number(buf, p, size, powers)
            if not ok:
                return row, pos, False
            out[row, d] = value
        while p < size and _is_blank(buf[p]):
            p += 1
        if p < size:
            if buf[p] != 10:
                return row, pos, False
            p += 1
        word_start[row] = start
        word_end[row] = end
        row += 1
        pos = p
    return row, pos, True


def _read_binary(chunks: _Chunks, path: Path, n: int, dim: int, capacity: int):
    """Per vector: the word, one space, ``dim`` little-endian float32 (and maybe a newline)."""
    words: list[str] = []
    vectors = np.empty((capacity, dim), dtype=np.float32)
    nbytes = 4 * dim
    buf = b""
    pos = 0
    for i in range(n):
        while True:
            space = buf.find(b" ", pos)
            if space >= 0 and len(buf) >= space + 1 + nbytes:
                break
            if (space if space >= 0 else len(buf)) - pos > 100000:
                raise FastW2VError(f"{path}: vector {i + 1}: no space after the word within "
                                   f"100000 bytes; not a word2vec binary file?")
            more = chunks.read()
            if not more:
                raise FastW2VError(f"{path}: truncated binary file: vector {i + 1} of {n} is incomplete")
            buf = buf[pos:] + more
            pos = 0
        if i == len(vectors):
            vectors = _grown(vectors, n)
        words.append(buf[pos:space].lstrip(b"\n").decode("utf-8", "replace"))
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + nbytes
    return words, vectors[:n] if len(vectors) != n else vectors
