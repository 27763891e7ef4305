"""The vocabulary: words and their counts, most frequent first.

Order is deterministic: by descending count, ties broken by the word itself
(Python string order), so the same corpus always gives the same ids whatever
the order in which words were first seen. Word ids are positions in this order.

Files use word2vec.c's vocabulary format: one ``word count`` per line
(``-save-vocab`` / ``-read-vocab``). word2vec.c writes its sentence marker
``</s>`` as the first line; it is skipped when reading.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FastW2VError
from ..files import atomic_write

SENTENCE_MARKER = "</s>"
MAX_COUNT_DIGITS = 15  # counts below 10^15: their sum stays far inside int64
_ASCII_SPACE = re.compile(r"[ \t\n\v\f\r]+")  # the tokenizer's whitespace; words may hold others
_ASCII_SPACE_BYTES = re.compile(rb"[ \t\n\v\f\r]")


@dataclass
class Vocabulary:
    words: list[str]
    counts: np.ndarray  # int64, same order as words, non-increasing
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total(self) -> int:
        """Number of corpus tokens covered by the vocabulary."""
        return int(self.counts.sum())

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @classmethod
    def from_counts(cls, counts: dict[str, int], min_count: int = 1) -> "Vocabulary":
        """Keep words seen at least ``min_count`` times, in canonical order."""
        kept = [(w, c) for w, c in counts.items() if c >= min_count]
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
        return cls([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64))

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word count`` lines (word2vec.c's vocabulary format), atomically."""
        with atomic_write(path) as f:
            f.write(self.to_bytes())

    def to_bytes(self) -> bytes:
        """The ``word count`` lines, UTF-8."""
        return "".join(f"{w} {c}\n" for w, c in zip(self.words, self.counts.tolist())).encode(
            "utf-8", "surrogatepass")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Vocabulary":
        """Read back exactly what :meth:`to_bytes` wrote; ValueError if it is not that.

        Every line is ``word count`` with a positive count, no word holds the tokenizer's
        whitespace, and no word appears twice.
        """
        words, counts = [], []
        for lineno, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else [None], 1):
            word, _, count = (line or b"").rpartition(b" ")
            if not word or not count.isdigit() or len(count) > MAX_COUNT_DIGITS or int(count) < 1 \
                    or _ASCII_SPACE_BYTES.search(word):
                raise ValueError(f"line {lineno} is not 'word count'")
            words.append(word.decode("utf-8", "surrogatepass"))
            counts.append(int(count))
        if len(set(words)) != len(words):
            raise ValueError("a word appears twice")
        return cls(words, np.array(counts, dtype=np.int64))

    @classmethod
    def load(cls, path: str | os.PathLike, min_count: int = 1) -> "Vocabulary":
        """Read a ``word count`` file; words below ``min_count`` are dropped."""
        path = Path(path)
        counts: dict[str, int] = {}
        first_line: dict[str, int] = {}
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    parts = _ASCII_SPACE.split(line.strip(" \t\n\v\f\r"))
                    if parts == [""]:
                        continue
                    if len(parts) != 2 or not (parts[1].isascii() and parts[1].isdigit()):
                        raise FastW2VError(
                            f"{path}:{lineno}: expected 'word count', got {line.strip()[:60]!r}")
                    if len(parts[1]) > MAX_COUNT_DIGITS:
                        raise FastW2VError(f"{path}:{lineno}: count {parts[1][:30]} is implausibly "
                                           f"large (at most {MAX_COUNT_DIGITS} digits)")
                    if parts[0] == SENTENCE_MARKER:
                        continue
                    if parts[0] in counts:
                        raise FastW2VError(f"{path}:{lineno}: the word {parts[0][:60]!r} is already on "
                                           f"line {first_line[parts[0]]}; a vocabulary lists each "
                                           "word once")
                    counts[parts[0]] = int(parts[1])
                    first_line[parts[0]] = lineno
        except OSError as exc:
            raise FastW2VError(f"cannot read vocabulary file {path}: {exc.strerror}") from None
        if not counts:
            raise FastW2VError(f"vocabulary file {path} holds no words")
        vocab = cls.from_counts(counts, min_count)
        if len(vocab) == 0:
            raise FastW2VError(f"no word in vocabulary file {path} reaches {{min_count}} {min_count}",
                               fields=("min_count",))
        return vocab
