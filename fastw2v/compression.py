"""Compressed files and streams: gzip, bzip2, xz and Zstandard, read and written.

A file is compressed when its name says so (``.gz``, ``.bz2``, ``.xz``, ``.zst``).
A stream (standard input, a pipe, a device) has no name worth trusting, so its
first bytes decide (:func:`sniff`): each of these formats starts with a magic
number that text does not (bzip2's ``BZh`` counts only with the block-size digit
and the block magic after it).

Zstandard comes from the standard library's ``compression.zstd`` where Python has
it (3.14 on), otherwise from the ``zstandard`` package, a dependency of fastw2v.
Concatenated frames (``pzstd``, ``zstd -T``, ``cat a.zst b.zst``) are read as one
stream, as the ``zstd`` tool does.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from pathlib import Path
from typing import BinaryIO

SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
FORMATS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "Zstandard"}
# The first bytes of each format (gzip's two, bzip2's "BZh" + block size + block magic).
_MAGIC = ((b"\x1f\x8b", ".gz"), (b"\xfd7zXZ\x00", ".xz"), (b"\x28\xb5\x2f\xfd", ".zst"))
MAGIC_BYTES = 10


def suffix_of(path: str | Path) -> str | None:
    """The compression a file name announces (``".gz"``...), or None for plain text."""
    suffix = Path(path).suffix.lower()
    return suffix if suffix in SUFFIXES else None


def sniff(head: bytes) -> str | None:
    """The compression whose magic number ``head`` (a stream's first bytes) starts with."""
    for magic, suffix in _MAGIC:
        if head.startswith(magic):
            return suffix
    if len(head) >= 10 and head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] in (
            b"1AY&SY", b"\x17rE8P\x90"):  # a first block, or the end of an empty stream
        return ".bz2"
    return None


def reader(raw: BinaryIO, suffix: str | None) -> BinaryIO:
    """A binary reader of the decompressed bytes of ``raw`` (``raw`` itself for None)."""
    if suffix is None:
        return raw
    if suffix == ".gz":
        return gzip.GzipFile(fileobj=raw)
    if suffix == ".bz2":
        return bz2.BZ2File(raw)
    if suffix == ".xz":
        return lzma.LZMAFile(raw)
    return _zstd_reader(raw)


def writer(raw: BinaryIO, suffix: str | None) -> BinaryIO:
    """A binary writer compressing into ``raw``; closing it finishes the stream, not ``raw``."""
    if suffix is None:
        return _Unclosed(raw)
    if suffix == ".gz":
        return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
    if suffix == ".bz2":
        return bz2.BZ2File(raw, "wb")
    if suffix == ".xz":
        return lzma.LZMAFile(raw, "wb")
    return _zstd_writer(raw)


def read_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a damaged compressed stream raises while it is read."""
    errors: tuple[type[BaseException], ...] = (OSError, EOFError, lzma.LZMAError, zlib.error)
    zstd = _zstd_module(required=False)
    if zstd is not None:
        errors += (zstd.ZstdError,)
    return errors


# ---------------------------------------------------------------- Zstandard
def _zstd_module(required: bool = True):
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14 on
        return zstd
    except ImportError:
        pass
    try:
        import zstandard
        return zstandard
    except ImportError:
        if not required:
            return None
        from .errors import FastW2VError

        raise FastW2VError("reading or writing .zst needs the zstandard package: "
                           "pip install zstandard") from None


def _zstd_reader(raw: BinaryIO) -> BinaryIO:
    zstd = _zstd_module()
    if hasattr(zstd, "ZstdFile"):  # compression.zstd
        return zstd.ZstdFile(raw)
    return io.BufferedReader(_ZstandardFrames(raw, zstd), 1 << 20)


def _zstd_writer(raw: BinaryIO) -> BinaryIO:
    zstd = _zstd_module()
    if hasattr(zstd, "ZstdFile"):
        return zstd.ZstdFile(raw, "wb")
    return zstd.ZstdCompressor(level=3).stream_writer(raw, closefd=False)


class _ZstandardFrames(io.RawIOBase):
    """The frames of a Zstandard stream, decompressed one after another, through the
    ``zstandard`` package's decompression objects.

    Its own stream reader ends quietly where the input is cut short, which would
    train on part of a damaged file without a word; here a frame left unfinished
    raises :class:`EOFError`, as gzip, bzip2 and xz do. The input goes in
    ``FEED_BYTES`` at a time, so one call can produce at most Zstandard's largest
    expansion of that much (about 32,000x: 128 MB), not a whole bomb at once.
    """

    FEED_BYTES = 4096

    def __init__(self, raw: BinaryIO, zstd):
        self.raw, self.zstd = raw, zstd
        self.frame = zstd.ZstdDecompressor().decompressobj()
        self.fed = False  # the current frame has had input
        self.out = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.out:
            if self.frame.eof:  # the frame is complete: what follows starts the next one
                rest = self.frame.unused_data
                self.frame, self.fed = self.zstd.ZstdDecompressor().decompressobj(), False
                data = rest or self.raw.read(self.FEED_BYTES)
            else:
                data = self.raw.read(self.FEED_BYTES)
            if not data:
                if self.fed and not self.frame.eof:
                    raise EOFError("Zstandard stream ended in the middle of a frame")
                return 0
            self.fed = True
            self.out = self.frame.decompress(data)
        n = min(len(buffer), len(self.out))
        buffer[:n] = self.out[:n]
        self.out = self.out[n:]
        return n


class _Unclosed(io.RawIOBase):
    """``raw`` as a writer whose close leaves ``raw`` open (what :func:`writer` promises)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.raw.write(data)

