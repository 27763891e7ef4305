"""Cutting a corpus into shards, and counting and encoding one shard on its own.

This is the data side of distributed training (:mod:`fastw2v.training.distributed`); it
needs no Dask, so the tests drive it directly.

A shard is a list of :class:`Part` s. A part names one file and a set of byte
ranges of its *uncompressed* text: the whole file, or stripes ``first, first +
step, first + 2 step, ...`` of ``stripe`` bytes each. :func:`plan_shards`
gives every shard whole files when there are enough files to balance the
shards, and otherwise cuts every file across all the shards: a plain file into
one contiguous range per shard (read with a seek), a compressed file, whose
uncompressed size is unknown until it has been read, into interleaved stripes
of :data:`STRIPE_BYTES` (every worker decompresses the file and keeps its
stripes).

Nominal boundaries are moved to the next line start, so a line is never split:
the boundary at ``x`` becomes the first ``p`` in ``[x, x + w)`` that follows a
newline, with ``w`` the stripe or :data:`LINE_WINDOW` (1 MiB), whichever is
smaller. A file with longer lines (text8 is one line of 100 MB) may have no
such ``p``: the boundary then moves to the next token boundary (the first
``p >= x`` that follows whitespace), so a word is never split. Both
sides of a boundary compute the same cut from the same bytes, so the ranges
cover the file exactly once. Each range is tokenised as if it were a file of
its own (a sentence ends where it ends), so the words and their counts are
exactly those of the whole corpus; only the sentences cut at a token boundary
differ.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import compression
from ..errors import FastW2VError
from .corpus import BLOCK_BYTES, Block, EncodedCorpus, check_corpus_files
from .encode import (
    ScanResult,
    build_vocabulary,
    encode_corpus,
    frozen_remap,
    frozen_table,
    scan_corpus,
)
from .vocab import Vocabulary
from .wordtable import SEPARATORS

STRIPE_BYTES = 1 << 20  # stripes of a compressed file split across shards
LINE_WINDOW = 1 << 20  # a boundary moves to a line start at most this far, else to a token boundary
BALANCE = 1.25  # whole files per shard when the largest shard is at most this times the mean
_WHITESPACE = re.compile(b"[" + re.escape(SEPARATORS) + b"]")


@dataclass(frozen=True)
class Part:
    """Byte ranges of one file's uncompressed text.

    ``stripe == 0``: the whole file. Otherwise stripes ``j = first, first + step,
    ...``, stripe j covering nominal bytes ``[j * stripe, (j + 1) * stripe)``, each
    boundary moved to a line start (see the module docstring).
    """

    path: str
    stripe: int = 0
    first: int = 0
    step: int = 1
    size: int = 0  # the file's size on disk (compressed size for compressed files)

    @property
    def compressed(self) -> bool:
        return compression.suffix_of(self.path) is not None


@dataclass(frozen=True)
class Shard:
    """The parts one worker reads, in order."""

    index: int
    parts: tuple[Part, ...]

    @property
    def size(self) -> int:
        """Approximate bytes on disk (a part's share of its file)."""
        return sum(p.size if p.stripe == 0 else p.size // max(p.step, 1) for p in self.parts)

    def describe(self) -> str:
        names = sorted({Path(p.path).name for p in self.parts})
        return f"shard {self.index} ({', '.join(names)})"


def file_sizes(paths: list[str | os.PathLike]) -> list[tuple[str, int]]:
    """``(absolute path, size on disk)`` of each corpus file; run where the files are."""
    return [(str(f.resolve()), f.stat().st_size) for f in check_corpus_files(paths)]


def plan_shards(files: list[tuple[str, int]], n: int, stripe_bytes: int = STRIPE_BYTES) -> list[Shard]:
    """Cut ``files`` (``(path, size)`` pairs) into ``n`` shards of about equal size.

    Whole files go to the least loaded shard, largest first, when that leaves
    the largest shard within :data:`BALANCE` times the mean. Otherwise every
    file is cut into ``n`` parts: a plain file into contiguous ranges, a
    compressed one into interleaved stripes (rotated by the file's position so
    that the short last stripes do not all land on one shard).
    """
    if n < 1:
        raise FastW2VError(f"need at least one shard (got {n})")
    if not files:
        raise FastW2VError("no corpus file given")
    total = sum(size for _, size in files)
    if len(files) >= n:
        loads = [0] * n
        assigned: list[list[Part]] = [[] for _ in range(n)]
        order = sorted(range(len(files)), key=lambda i: (-files[i][1], i))
        for i in order:
            k = min(range(n), key=lambda s: (loads[s], s))
            loads[k] += files[i][1]
            assigned[k].append((i, Part(files[i][0], size=files[i][1])))
        if max(loads) <= BALANCE * total / n or n == 1:
            return [Shard(k, tuple(p for _, p in sorted(parts))) for k, parts in enumerate(assigned)]
    shards: list[list[Part]] = [[] for _ in range(n)]
    for i, (path, size) in enumerate(files):
        if n == 1:
            shards[0].append(Part(path, size=size))
            continue
        compressed = compression.suffix_of(path) is not None
        stripe = stripe_bytes if compressed else max(-(-size // n), 1)
        for k in range(n):
            shards[k].append(Part(path, stripe, (k + i) % n if compressed else k, n, size))
    return [Shard(k, tuple(parts)) for k, parts in enumerate(shards)]


# ---------------------------------------------------------------- reading ranges
class _Stream:
    """A file's uncompressed bytes, read forward, with a window of them in memory.

    ``buf`` holds bytes ``[start, start + len(buf))``. Plain files seek past what
    is not needed; compressed files decompress and drop it. Reading keeps the
    byte before the read position, which :meth:`cut` looks at.
    """

    def __init__(self, path: str, read_bytes: int = STRIPE_BYTES):
        self.path = path
        self.raw = open(path, "rb")
        suffix = compression.suffix_of(path)
        self.f = compression.reader(self.raw, suffix)
        self.seekable = suffix is None
        self.read_bytes = read_bytes
        self.buf = bytearray()
        self.start = 0
        self.eof = False

    def close(self) -> None:
        self.raw.close()

    @property
    def end(self) -> int:
        return self.start + len(self.buf)

    def _more(self) -> bool:
        """Read the next bytes into the window; False at the end of the file."""
        if self.eof:
            return False
        data = self.f.read(self.read_bytes)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def drop_before(self, pos: int) -> None:
        """Forget the bytes before ``pos``, skipping forward to it (or to the end)."""
        if pos <= self.start:
            return
        if pos <= self.end:
            del self.buf[:pos - self.start]
            self.start = pos
            return
        if self.seekable:
            self.start = min(pos, os.fstat(self.raw.fileno()).st_size)
            self.f.seek(self.start)
            self.buf = bytearray()
            return
        while True:
            self.start, self.buf = self.end, bytearray()
            if not self._more():
                return
            if self.end >= pos:
                del self.buf[:pos - self.start]
                self.start = pos
                return

    def cut(self, x: int, window: int) -> int:
        """Where the nominal boundary ``x`` falls (the rules of the module docstring).

        Needs the bytes from ``x - 1`` on. When reading has already passed ``x - 1``
        (after a token longer than a stripe), the bytes passed hold no whitespace,
        so searching from the window's start gives the same answer. Returns the
        end of the file when ``x`` is past it.
        """
        if x <= 0:
            return 0
        self.drop_before(x - 1)
        if self.end <= x - 1 and not self._more():
            return self.end  # the file ends before x
        lo = max(x - 1, self.start)
        # the first line start p in [x, x + window): data[p - 1] is a newline
        searched, limit = lo, x - 1 + window
        while searched < limit:
            i = self.buf.find(b"\n", searched - self.start, limit - self.start)
            if i >= 0:
                return self.start + i + 1
            searched = min(self.end, limit)
            if not self._more():
                break
        # else the first token boundary p >= x: data[p - 1] is whitespace
        searched = lo
        while True:
            m = _WHITESPACE.search(self.buf, searched - self.start)
            if m:
                return self.start + m.start() + 1
            searched = self.end
            if not self._more():
                return self.end

    def read(self, a: int, b: int | None, block_bytes: int) -> Iterator[bytes]:
        """Bytes ``[a, b)`` (``b`` None: to the end) in blocks of at most ``block_bytes``."""
        self.drop_before(a - 1)
        pos = max(a, self.start)
        while b is None or pos < b:
            if self.end <= pos and not self._more():
                return
            stop = min(self.end, pos + block_bytes) if b is None else min(self.end, b, pos + block_bytes)
            if stop > pos:
                yield bytes(self.buf[pos - self.start:stop - self.start])
                pos = stop
                self.drop_before(pos - 1)


def _range_data(part: Part, stream: _Stream, block_bytes: int) -> Iterator[tuple[int, Iterator[bytes]]]:
    """For each byte range ``[a, b)`` of ``part``, in order: ``a`` and an iterator over its bytes.

    Each must be consumed before the next is taken: the ranges are found while
    the file is read, once, forward.
    """
    if part.stripe == 0:
        yield 0, stream.read(0, None, block_bytes)
        return
    size, j = part.stripe, part.first
    while True:
        window = min(size, LINE_WINDOW)
        a = stream.cut(j * size, window)
        if stream.eof and a >= stream.end:
            return
        yield a, _stripe_bytes(stream, a, (j + 1) * size, window, block_bytes)
        j += part.step


def _stripe_bytes(stream: _Stream, a: int, x_end: int, window: int, block_bytes: int) -> Iterator[bytes]:
    # Up to the byte before the nominal end, then up to the cut found from there.
    middle = max(a, x_end - 1)
    yield from stream.read(a, middle, block_bytes)
    yield from stream.read(middle, stream.cut(x_end, window), block_bytes)


def part_ranges(part: Part, read_bytes: int = STRIPE_BYTES) -> list[tuple[int, int]]:
    """The actual ``[a, b)`` byte ranges of ``part``, as read (for tests and the docs)."""
    stream = _Stream(part.path, read_bytes)
    try:
        return [(a, a + sum(len(chunk) for chunk in data)) for a, data in _range_data(part, stream, read_bytes)]
    finally:
        stream.close()


class ShardCorpus:
    """A shard seen as a :class:`fastw2v.text.corpus.Corpus`: what :func:`scan_corpus` reads.

    Each byte range of each part is a "file" of its own to the tokenizer, so a
    sentence ends where a range ends.
    """

    def __init__(self, shard: Shard, block_bytes: int = BLOCK_BYTES):
        self.shard = shard
        self.block_bytes = block_bytes
        self.files = None
        self.sentences = None
        self.total_bytes = max(shard.size, 1)
        self.compressed = any(p.compressed for p in shard.parts)

    def describe(self) -> str:
        return self.shard.describe()

    def range_bytes(self) -> Iterator[bytes]:
        """Each byte range of the shard, whole, in order (for tests)."""
        for part in self.shard.parts:
            stream = self._open(part)
            try:
                for _, data in _range_data(part, stream, self.block_bytes):
                    yield b"".join(data)
            finally:
                stream.close()

    def blocks(self) -> Iterator[Block]:
        done = 0
        for part in self.shard.parts:
            stream = self._open(part)
            try:
                for _, data in _range_data(part, stream, self.block_bytes):
                    pending = None
                    for chunk in data:
                        if pending is not None:
                            yield Block(pending, False, done + stream.raw.tell())
                        pending = chunk
                    if pending is not None:
                        yield Block(pending, True, done + stream.raw.tell())
            except compression.read_errors() as exc:
                raise FastW2VError(f"cannot read corpus file {part.path}: {exc}") from None
            finally:
                stream.close()
            done += part.size

    def _open(self, part: Part) -> _Stream:
        check_corpus_files([part.path])
        try:
            return _Stream(part.path)
        except OSError as exc:
            raise FastW2VError(f"cannot read corpus file {part.path}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- count and encode one shard
class ShardData:
    """One shard's words: counted, then encoded against the final vocabulary.

    :meth:`count` scans the shard once and keeps the provisional ids, so that
    :meth:`encode` only maps them (no second read), as :func:`encode.vocab_and_corpus`
    does; after pruning (``max_vocab_size``), or when the vocabulary is given
    without counting, :meth:`encode` reads the shard again against a frozen table.
    """

    def __init__(self, shard: Shard, max_sentence_length: int, max_vocab_size: int = 0):
        self.shard = shard
        self.max_sentence_length = max_sentence_length
        self.max_vocab_size = max_vocab_size
        self._scan: ScanResult | None = None
        self._local: tuple[Vocabulary, np.ndarray] | None = None
        self.encoded: EncodedCorpus | None = None

    def count(self) -> tuple[list[str], np.ndarray]:
        """Words of the shard (decoded as :func:`build_vocabulary` does) and their counts."""
        scan = scan_corpus(ShardCorpus(self.shard), max_sentence_length=self.max_sentence_length,
                           max_vocab_size=self.max_vocab_size)
        local, remap = build_vocabulary(scan.table, 1)
        if not scan.pruned:
            self._scan, self._local = scan, (local, remap)
        return local.words, local.counts

    def encode(self, vocab: Vocabulary) -> EncodedCorpus:
        """Token ids of the shard under ``vocab`` (kept as :attr:`encoded`)."""
        if self._scan is not None and self._local is not None:
            local, remap = self._local
            index = vocab.index
            to_final = np.array([index.get(w, -1) for w in local.words] + [-1], dtype=np.int32)
            remap = to_final[np.where(remap >= 0, remap, len(local.words))]
            self.encoded = encode_corpus(self._scan, remap)
        else:
            table = frozen_table(vocab)
            scan = scan_corpus(ShardCorpus(self.shard), max_sentence_length=self.max_sentence_length,
                               table=table, frozen=True)
            self.encoded = encode_corpus(scan, frozen_remap(table, vocab))
        self._scan = self._local = None
        return self.encoded


def merge_counts(results: list[tuple[list[str], np.ndarray]], min_count: int) -> Vocabulary:
    """The vocabulary of the whole corpus from its shards' word counts (canonical order)."""
    total: dict[str, int] = {}
    for words, counts in results:
        get = total.get
        for w, c in zip(words, np.asarray(counts).tolist()):
            total[w] = get(w, 0) + c
    return Vocabulary.from_counts(total, min_count)
