"""Reading corpora: files (plain, .gz, .bz2, .xz, .zst), streams or in-memory sentences, as byte blocks.

A corpus is read once. :func:`read_blocks` yields blocks of raw bytes in order,
decompressing in a background thread so that decompression (1.3 s for 100 MB of
xz) overlaps with tokenising, which runs in Numba without the GIL. Every file
ends with a newline as far as the tokenizer is concerned, so a sentence never
runs from one file into the next. Bytes are never decoded here: invalid UTF-8
cannot stop a run (words are decoded, with replacement, when the vocabulary is
built).

A *stream* is standard input (``-``), a named pipe, a process substitution
(``<(zcat x.gz)``) or a character device. It can be read only once, its length
is unknown, and its compression is told by its first bytes rather than by its
name (:func:`fastw2v.compression.sniff`). Since fastw2v reads its corpus once
(into the token cache or into memory), a stream trains exactly as the same bytes
in a file would.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import queue
import stat
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import compression
from ..errors import FastW2VError

BLOCK_BYTES = 4 << 20
STDIN = "-"


@dataclass
class Block:
    data: bytes
    end_of_file: bool  # the last block of one file: ends the current sentence
    raw_done: int  # bytes of the input files (as stored on disk) consumed so far


def is_stream(path: str | os.PathLike) -> bool:
    """Standard input (``-``), or a path to a pipe, a socket or a character device."""
    if str(path) == STDIN:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def check_corpus_files(paths: Iterable[str | os.PathLike], streams: bool = False) -> list[Path]:
    """Check that every path is a readable file (or, with ``streams``, a stream that can
    be read once: ``-`` for standard input, a pipe, a device); return them as Paths."""
    files = [Path(p) for p in paths]
    if not files:
        raise FastW2VError("no corpus file given")
    if sum(str(f) == STDIN for f in files) > 1:
        raise FastW2VError("standard input (-) is given twice as a corpus; it can be read only once")
    for f in files:
        if str(f) == STDIN:
            if not streams:
                raise FastW2VError("standard input (-) cannot be a corpus here: give files")
            continue
        if not f.exists():
            raise FastW2VError(f"corpus file not found: {f}")
        if is_stream(f):
            if not streams:
                raise FastW2VError(f"corpus path {f} is a pipe or a device, which can be read only "
                                   "once: give files here")
        elif not f.is_file():
            raise FastW2VError(f"corpus path is not a file: {f}" + (" (it is a directory)" if f.is_dir() else ""))
        if not os.access(f, os.R_OK):
            raise FastW2VError(f"corpus file is not readable: {f}")
    return files


def _read_file(path: Path, done_before: int, block_bytes: int) -> Iterator[Block]:
    with open(path, "rb") as raw:
        yield from _blocks_of(compression.reader(raw, compression.suffix_of(path)),
                              lambda: done_before + raw.tell(), block_bytes)


def _read_stream(path: Path, done_before: int, block_bytes: int) -> Iterator[Block]:
    """A stream's blocks; its compression is told by its first bytes."""
    with contextlib.ExitStack() as stack:
        source = sys.stdin.buffer if str(path) == STDIN else stack.enter_context(open(path, "rb", buffering=0))
        raw = _Counted(source)
        suffix = compression.sniff(raw.peek_head(compression.MAGIC_BYTES))
        stream = compression.reader(io.BufferedReader(raw, block_bytes), suffix)
        yield from _blocks_of(stream, lambda: done_before + raw.count, block_bytes)


def _blocks_of(stream, raw_done, block_bytes: int) -> Iterator[Block]:
    """``stream``'s bytes in blocks; the last one is marked ``end_of_file``."""
    data = stream.read(block_bytes)
    while True:
        following = stream.read(block_bytes) if data else b""
        yield Block(data, not following, raw_done())
        if not following:
            return
        data = following


class _Counted(io.RawIOBase):
    """A stream read as it arrives, counting its bytes; the first few can be looked
    at (:meth:`peek_head`) and are then read again, in front of the rest."""

    def __init__(self, raw):
        self.raw = raw
        self.head = b""
        self.count = 0

    def readable(self) -> bool:
        return True

    def peek_head(self, n: int) -> bytes:
        while len(self.head) < n:
            more = self.raw.read(n - len(self.head))
            if not more:
                break
            self.head += more
            self.count += len(more)
        return self.head

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        n = self.raw.readinto(buffer) or 0
        self.count += n
        return n


def _file_blocks(files: list[Path], streams: set[Path], block_bytes: int) -> Iterator[Block]:
    done = 0
    for path in files:
        block = None
        try:
            for block in (_read_stream if path in streams else _read_file)(path, done, block_bytes):
                yield block
        except compression.read_errors() as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise FastW2VError(f"cannot read corpus {'file ' if path not in streams else ''}"
                               f"{_name(path)}: {reason}") from None
        done = block.raw_done if path in streams else done + path.stat().st_size


def _name(path: Path) -> str:
    return "standard input" if str(path) == STDIN else str(path)


def _sentence_blocks(sentences: Iterable[Iterable[str]], block_bytes: int) -> Iterator[Block]:
    """Serialise in-memory sentences (lists of str tokens) to byte blocks, one line each.

    ``sentences`` is iterated once, as it is read (it may be a generator). Tokens are
    joined by spaces and read like a line of a file: a token holding whitespace
    becomes several words. Returns (the generator's value) the number of sentences.
    """
    out = io.BytesIO()
    done = 0
    n = 0
    for n, sentence in enumerate(sentences, 1):
        if isinstance(sentence, (str, bytes)):
            raise FastW2VError("in-memory corpus must be an iterable of token lists, not of strings "
                               f"(sentence {n} is {type(sentence).__name__}); give file paths as a list")
        try:
            line = " ".join(sentence).encode("utf-8", "surrogatepass") + b"\n"
        except TypeError:
            raise FastW2VError(f"in-memory corpus: sentence {n}: {_not_tokens(sentence)}") from None
        out.write(line)
        done += len(line)
        if out.tell() >= block_bytes:
            yield Block(out.getvalue(), False, done)
            out = io.BytesIO()
    yield Block(out.getvalue(), True, done)
    return n


def _not_tokens(sentence) -> str:
    """Why ``sentence`` is not a list of str tokens (after ``" ".join`` refused it)."""
    if not isinstance(sentence, Iterable):
        return f"it is of type {type(sentence).__name__}, not a list of str tokens"
    for k, token in enumerate(sentence, 1):
        if not isinstance(token, str):
            hint = " (decode bytes tokens to str first)" if isinstance(token, (bytes, bytearray)) else ""
            return f"token {k} is of type {type(token).__name__}, not str{hint}"
    return "it is not a list of str tokens"


def _in_background(blocks: Iterator[Block], depth: int = 4) -> Iterator[Block]:
    """Produce ``blocks`` in a thread, a few ahead of the consumer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        q.put(block, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(None)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)

    thread = threading.Thread(target=produce, name="fastw2v-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


class Corpus:
    """What to read: a list of files, or an in-memory iterable of token lists."""

    def __init__(self, source, block_bytes: int = BLOCK_BYTES):
        self.block_bytes = block_bytes
        if isinstance(source, (str, os.PathLike)):
            source = [source]
        if isinstance(source, (list, tuple)) and source and \
                all(isinstance(s, (str, os.PathLike)) for s in source):
            self.files = check_corpus_files(source, streams=True)
            self.sentences = None
            # Each stream gets a name of its own for the token cache and the checkpoint.
            self.streams = {f: uuid.uuid4().hex for f in self.files if is_stream(f)}
            self.total_bytes = sum(f.stat().st_size for f in self.files if f not in self.streams)
            self.compressed = bool(self.streams) or any(compression.suffix_of(f) for f in self.files)
        elif isinstance(source, (list, tuple)) and not source:
            raise FastW2VError("no corpus given")
        elif not isinstance(source, Iterable):
            raise FastW2VError(f"corpus must be a path, a list of paths or an iterable of token lists, "
                               f"not {type(source).__name__}")
        else:  # sentences: streamed when read, never held (a generator is read once)
            self.files = None
            self.streams = {}
            self.sentences = source
            self.sentences_read = None  # how many, once read
            self.total_bytes = 0
            self.compressed = True  # size unknown in advance

    @classmethod
    def recorded(cls, fingerprint: list[dict], where: str) -> Corpus:
        """The corpus a checkpoint names (``where``: the checkpoint, for messages).

        Its files must still be there; a stream in it cannot be read again, only
        found in the token cache by its recorded name (reading it raises an error).
        """
        files = [Path(f["path"]) for f in fingerprint]
        streams = {Path(f["path"]): f["stream"] for f in fingerprint if f.get("stream")}
        if len(streams) < len(files):
            check_corpus_files([f for f in files if f not in streams])
        corpus = cls.__new__(cls)
        corpus.block_bytes, corpus.files, corpus.sentences, corpus.streams = BLOCK_BYTES, files, None, streams
        corpus.total_bytes = sum(f.stat().st_size for f in files if f not in streams)
        corpus.compressed = True
        corpus.replayed = where
        return corpus

    replayed: str | None = None  # the checkpoint a recorded corpus comes from

    @property
    def expected_bytes(self) -> int | None:
        """The bytes to read (as stored) when known in advance: files, no streams."""
        return self.total_bytes if self.files is not None and not self.streams else None

    def fingerprint(self) -> list[dict]:
        """What identifies the inputs: absolute path, size, modification time of a file;
        the path and this run's name for a stream.

        Empty for an in-memory corpus (it cannot be resumed or cached).
        """
        if self.files is None:
            return []
        out = []
        for f in self.files:
            if f in self.streams:
                out.append({"path": str(f), "stream": self.streams[f]})
                continue
            st = f.stat()
            out.append({"path": str(f.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
        return out

    def describe(self) -> str:
        if self.files:
            return ", ".join(_name(f) for f in self.files)
        if self.sentences_read is None:
            return "in-memory sentences"
        return f"{self.sentences_read} in-memory sentences"

    def blocks(self) -> Iterator[Block]:
        if self.files is not None:
            if self.replayed and self.streams:
                gone = next(iter(self.streams))
                raise FastW2VError(f"cannot resume from {self.replayed}: its corpus was read from "
                                   f"{_name(gone)} and the token cache that kept it is gone")
            return _in_background(_file_blocks(self.files, set(self.streams), self.block_bytes))
        return self._sentence_blocks()

    def _sentence_blocks(self) -> Iterator[Block]:
        if self.sentences_read is not None and iter(self.sentences) is self.sentences:
            raise FastW2VError("the in-memory corpus is a one-shot iterator (e.g. a generator), read "
                               "already, and a second pass is needed (as when max_vocab_size prunes "
                               "words while counting); give a list or a restartable iterable")
        self.sentences_read = yield from _sentence_blocks(self.sentences, self.block_bytes)


@dataclass
class EncodedCorpus:
    """The corpus as vocabulary ids: ``tokens`` and the end of every sentence.

    Sentence ``s`` is ``tokens[sentence_ends[s-1]:sentence_ends[s]]`` (from 0 for
    ``s == 0``). Out-of-vocabulary words are already dropped, and so are sentences
    left empty by that.
    """

    tokens: np.ndarray  # int32
    sentence_ends: np.ndarray  # int64, increasing, last == len(tokens)
    maps: tuple = ()  # the memory maps behind the arrays, when they come from a cache

    def release(self) -> None:
        """Let go of the pages of a memory-mapped corpus read so far.

        They are clean pages of the cache file: the kernel drops them from this
        process's resident memory and reads them back from the page cache or the
        disk if they are needed again. No-op for a corpus held in memory.
        """
        for m in self.maps:
            m.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Unmap a memory-mapped corpus (the arrays must not be used afterwards)."""
        self.tokens = self.tokens[:0].copy()
        self.sentence_ends = self.sentence_ends[:0].copy()
        for m in self.maps:
            m.close()
        self.maps = ()

    @property
    def n_words(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def n_sentences(self) -> int:
        return int(self.sentence_ends.shape[0])
