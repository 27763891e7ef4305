"""The token cache: a corpus encoded once into files, memory-mapped by training.

A cache entry is four files in the cache directory, named by a key:
``fastw2v-KEY.tokens`` (int32 word ids), ``.ends`` (int64 sentence ends),
``.vocab`` (the vocabulary, word2vec.c format) and ``.json`` (the manifest,
written last: an entry without it is incomplete and rebuilt).

The key hashes what decides the encoding: each input file's absolute path, size
and modification time, ``max_sentence_length``, and either the counting options
(``min_count``, ``max_vocab_size``) or the given vocabulary itself. Change any
of them and a new entry is built; the old one is left for the user to delete.

Building streams the ids to the files and compacts them in windows
(:func:`fastw2v.text.encode.encode_files`), and training reads them through a
memory map whose pages are let go after each run of chunks, so resident memory
stays bounded by the model plus a window of the corpus, whatever its size.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
from pathlib import Path

import numpy as np

from ..errors import FastW2VError
from .corpus import Corpus, EncodedCorpus
from .encode import vocab_and_corpus
from .vocab import Vocabulary

VERSION = 1


def vocabulary_digest(vocab: Vocabulary) -> str:
    h = hashlib.sha256()
    for word, count in zip(vocab.words, vocab.counts.tolist()):
        h.update(word.encode("utf-8", "surrogatepass") + b" %d\n" % count)
    return h.hexdigest()


class TokenCache:
    """One cache entry: the encoding of ``source`` under ``opts`` (and ``vocab``)."""

    def __init__(self, directory, source: Corpus, opts, vocab: Vocabulary | None = None):
        self.directory = Path(directory)
        self.source = source
        self.opts = opts
        self.vocab = vocab
        key = {
            "version": VERSION,
            "files": source.fingerprint(),
            "max_sentence_length": opts.max_sentence_length,
            "vocabulary": (vocabulary_digest(vocab) if vocab is not None else
                           {"min_count": opts.min_count, "max_vocab_size": opts.max_vocab_size}),
        }
        self.key = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
        self.name = f"fastw2v-{self.key}"

    def path(self, suffix: str) -> Path:
        return self.directory / f"{self.name}.{suffix}"

    def open(self) -> tuple[Vocabulary, EncodedCorpus] | None:
        """The cached vocabulary and corpus, memory-mapped; None if not cached."""
        try:
            manifest = json.loads(self.path("json").read_text())
            vocab = self.vocab or _read_vocab(self.path("vocab"))
            tokens = _map(self.path("tokens"), np.int32, manifest["tokens"])
            ends = _map(self.path("ends"), np.int64, manifest["sentences"])
        except (OSError, ValueError, KeyError, FastW2VError):
            return None
        if len(vocab) != manifest.get("vocabulary_size"):
            return None
        return vocab, EncodedCorpus(tokens[0], ends[0], maps=(tokens[1], ends[1]))

    def build(self, progress=None) -> tuple[Vocabulary, EncodedCorpus]:
        """Read, count (unless a vocabulary was given) and encode into the cache."""
        created = not self.directory.exists()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FastW2VError(f"cannot create the cache directory {self.directory}: "
                               f"{exc.strerror or exc}") from None
        try:
            return self._build(progress)
        except BaseException:  # leave no partial entry (nor a directory made for it)
            for suffix in ("json", "json.tmp", "tokens", "ends", "vocab"):
                if suffix != "vocab" or self.vocab is None:
                    with contextlib.suppress(OSError):
                        self.path(suffix).unlink()
            if created:
                with contextlib.suppress(OSError):
                    self.directory.rmdir()
            raise

    def _build(self, progress) -> tuple[Vocabulary, EncodedCorpus]:
        with contextlib.suppress(OSError):
            self.path("json").unlink()
        try:
            opts = self.opts
            vocab, (n_tokens, n_sentences) = vocab_and_corpus(
                self.source, min_count=opts.min_count, max_vocab_size=opts.max_vocab_size,
                max_sentence_length=opts.max_sentence_length, vocab=self.vocab,
                progress=progress, into=(self.path("tokens"), self.path("ends")))
            if self.vocab is None:
                vocab.save(self.path("vocab"))
            manifest = {"version": VERSION, "key": self.key, "tokens": n_tokens,
                        "sentences": n_sentences, "vocabulary_size": len(vocab),
                        "files": self.source.fingerprint()}
            tmp = self.path("json.tmp")
            tmp.write_text(json.dumps(manifest, indent=1))
            os.replace(tmp, self.path("json"))
        except OSError as exc:
            raise FastW2VError(f"cannot write the token cache in {self.directory}: "
                               f"{exc.strerror or exc}") from None
        found = self.open()
        if found is None:
            raise FastW2VError(f"the token cache {self.path('json')} could not be read back")
        return found


def _read_vocab(path: Path) -> Vocabulary:
    """The entry's own vocabulary file, read back exactly as :meth:`Vocabulary.save` wrote it.

    Not :meth:`Vocabulary.load`: that skips word2vec.c's sentence marker ``</s>``,
    which is an ordinary word when a corpus holds it.
    """
    words, counts = [], []
    with open(path, "rb") as f:
        for line in f:
            word, _, count = line.rstrip(b"\r\n").rpartition(b" ")
            if not word:
                raise ValueError(f"{path}: malformed line {line[:60]!r}")
            words.append(word.decode("utf-8"))
            counts.append(int(count))
    return Vocabulary(words, np.array(counts, dtype=np.int64))


def _map(path: Path, dtype, count: int) -> tuple[np.ndarray, mmap.mmap]:
    """A read-only array over the first ``count`` items of ``path``, and its map."""
    nbytes = count * np.dtype(dtype).itemsize
    if os.path.getsize(path) != nbytes or count == 0:
        raise ValueError(f"{path}: wrong size")
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), nbytes, access=mmap.ACCESS_READ)
    return np.frombuffer(m, dtype=dtype, count=count), m
