"""Reading corpora: files (plain, .gz, .bz2, .xz) or in-memory sentences, as byte blocks.

A corpus is read once. :func:`read_blocks` yields blocks of raw bytes in order,
decompressing in a background thread so that decompression (1.3 s for 100 MB of
xz) overlaps with tokenising, which runs in Numba without the GIL. Every file
ends with a newline as far as the tokenizer is concerned, so a sentence never
runs from one file into the next. Bytes are never decoded here: invalid UTF-8
cannot stop a run (words are decoded, with replacement, when the vocabulary is
built).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import mmap
import os
import queue
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FastW2VError

BLOCK_BYTES = 4 << 20
OPENERS = {  # decompressors by file suffix (lower case)
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw),
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
}


@dataclass
class Block:
    data: bytes
    end_of_file: bool  # the last block of one file: ends the current sentence
    raw_done: int  # bytes of the input files (as stored on disk) consumed so far


def check_corpus_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Check that every path is a readable file; return them as Paths."""
    files = [Path(p) for p in paths]
    if not files:
        raise FastW2VError("no corpus file given")
    for f in files:
        if not f.exists():
            raise FastW2VError(f"corpus file not found: {f}")
        if not f.is_file():
            raise FastW2VError(f"corpus path is not a file: {f}")
        if not os.access(f, os.R_OK):
            raise FastW2VError(f"corpus file is not readable: {f}")
    return files


def _read_file(path: Path, done_before: int, block_bytes: int) -> Iterator[Block]:
    with open(path, "rb") as raw:
        opener = OPENERS.get(path.suffix.lower())
        stream = opener(raw) if opener else raw
        data = stream.read(block_bytes)
        while True:
            following = stream.read(block_bytes) if data else b""
            yield Block(data, not following, done_before + raw.tell())
            if not following:
                return
            data = following


def _file_blocks(files: list[Path], block_bytes: int) -> Iterator[Block]:
    done = 0
    for path in files:
        try:
            yield from _read_file(path, done, block_bytes)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise FastW2VError(f"cannot read corpus file {path}: {exc}") from None
        done += path.stat().st_size


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
            self.files = check_corpus_files(source)
            self.sentences = None
            self.total_bytes = sum(f.stat().st_size for f in self.files)
            self.compressed = any(f.suffix.lower() in OPENERS for f in self.files)
        elif isinstance(source, (list, tuple)) and not source:
            raise FastW2VError("no corpus given")
        elif not isinstance(source, Iterable):
            raise FastW2VError(f"corpus must be a path, a list of paths or an iterable of token lists, "
                               f"not {type(source).__name__}")
        else:  # sentences: streamed when read, never held (a generator is read once)
            self.files = None
            self.sentences = source
            self.sentences_read = None  # how many, once read
            self.total_bytes = 0
            self.compressed = True  # size unknown in advance

    def fingerprint(self) -> list[dict]:
        """What identifies the input files: absolute path, size, modification time.

        Empty for an in-memory corpus (it cannot be resumed or cached).
        """
        if self.files is None:
            return []
        out = []
        for f in self.files:
            st = f.stat()
            out.append({"path": str(f.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
        return out

    def describe(self) -> str:
        if self.files:
            return ", ".join(str(f) for f in self.files)
        if self.sentences_read is None:
            return "in-memory sentences"
        return f"{self.sentences_read} in-memory sentences"

    def blocks(self) -> Iterator[Block]:
        if self.files is not None:
            return _in_background(_file_blocks(self.files, self.block_bytes))
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
