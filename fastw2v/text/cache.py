"""The token cache: a corpus encoded once into files, memory-mapped by training.

An entry is four files in one directory, named by a key:
``fastw2v-KEY.tokens`` (int32 word ids), ``.ends`` (int64 sentence ends),
``.vocab`` (the vocabulary, word2vec.c format; absent when the vocabulary was
given) and ``.json`` (the manifest, written last: an entry without it is
incomplete and rebuilt).

Where entries live (:class:`CacheDir`):

* by default, in a private temporary directory made for one run
  (:meth:`CacheDir.temporary`: ``fastw2v-run-XXXX`` under the system's
  temporary directory or ``--tmp-dir``, mode 0700). The training driver removes
  it when the run ends, unless a checkpoint of an unfinished run needs it;
* with ``--cache-dir DIR``, in ``DIR``, kept for later runs on the same files
  (:meth:`CacheDir.kept`). ``DIR`` is created private (0700) and must belong to
  the user running fastw2v.

Entry files are created with mode 0600. Nothing read back is trusted: before a
kernel sees an entry, :meth:`TokenCache.open` checks that every file is a
regular file of the running user, the manifest's own checksum, the sizes, the
vocabulary (its checksum, counts and distinct words), that every token id lies
in ``[0, V)``, that sentence ends strictly increase up to the token count, and
the checksums of both arrays. A damaged or foreign entry raises
:class:`DamagedEntry`, and the driver rebuilds it with one warning line.

The key hashes what decides the encoding: each input file's absolute path, size
and modification time, ``max_sentence_length``, and either the counting options
(``min_count``, ``max_vocab_size``) or the given vocabulary itself.

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
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from ..errors import FastW2VError
from .corpus import Corpus, EncodedCorpus
from .encode import vocab_and_corpus
from .vocab import Vocabulary

VERSION = 2
PREFIX = "fastw2v-"  # entry files: fastw2v-KEY.suffix
RUN_PREFIX = "fastw2v-run-"  # temporary directories made for one run
SUFFIXES = ("tokens", "ends", "vocab", "json")
MANIFEST_MAX_BYTES = 64 << 20


class DamagedEntry(Exception):
    """A cache entry that exists but cannot be trusted; the message says why."""


def vocabulary_digest(vocab: Vocabulary) -> str:
    h = hashlib.sha256()
    for word, count in zip(vocab.words, vocab.counts.tolist()):
        h.update(word.encode("utf-8", "surrogatepass") + b" %d\n" % count)
    return h.hexdigest()


# ---------------------------------------------------------------- checks of the arrays
@njit(cache=True, nogil=True)
def check_tokens(tokens, n_words):
    """(index of the first id outside [0, n_words) or -1, Fletcher-64 checksum of the ids)."""
    s1 = np.uint64(0)
    s2 = np.uint64(0)
    for i in range(tokens.shape[0]):
        w = tokens[i]
        if w < 0 or w >= n_words:
            return i, np.uint64(0)
        s1 += np.uint64(w)
        s2 += s1
    return -1, s1 ^ (s2 * np.uint64(0x9E3779B97F4A7C15))


@njit(cache=True, nogil=True)
def check_ends(ends, n_tokens):
    """(index of the first sentence end that does not strictly increase, or that passes
    ``n_tokens``, or -1; Fletcher-64 checksum). The last end must equal ``n_tokens``:
    index ``len(ends)`` says it does not."""
    s1 = np.uint64(0)
    s2 = np.uint64(0)
    previous = 0
    for i in range(ends.shape[0]):
        e = ends[i]
        if e <= previous or e > n_tokens:
            return i, np.uint64(0)
        previous = e
        s1 += np.uint64(e)
        s2 += s1
    if previous != n_tokens:
        return ends.shape[0], np.uint64(0)
    return -1, s1 ^ (s2 * np.uint64(0x9E3779B97F4A7C15))


def _manifest_digest(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- where entries live
@dataclass
class CacheDir:
    """A directory of cache entries: kept for reuse, or made for one run."""

    path: Path
    temporary: bool
    created: bool = False  # made by this run (a kept one is removed again if left empty)

    @classmethod
    def kept(cls, directory) -> "CacheDir":
        """``--cache-dir``: created private (0700) if missing; must belong to this user."""
        path = Path(directory)
        created = False
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.mkdir(mode=0o700)
                created = True
            except FileExistsError:
                pass
            except OSError as exc:
                raise FastW2VError(f"cannot create the cache directory {path}: "
                                   f"{exc.strerror or exc}") from None
        _check_own_directory(path, "cache directory")
        return cls(path, temporary=False, created=created)

    @classmethod
    def temporary(cls, tmp_dir=None) -> "CacheDir":
        """A new private directory (0700, unpredictable name) under ``tmp_dir`` or the
        system's temporary directory, for one run's entry."""
        parent = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
        if not parent.is_dir():
            raise FastW2VError(f"temporary directory does not exist: {parent}")
        try:
            path = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=parent))
        except OSError as exc:
            raise FastW2VError(f"cannot create a temporary cache in {parent}: "
                               f"{exc.strerror or exc}") from None
        return cls(path, temporary=True, created=True)

    @classmethod
    def adopt(cls, directory) -> "CacheDir | None":
        """A run directory named by a checkpoint, if it is still there and ours.

        The checkpoint is read from disk and not trusted, and an adopted directory is
        removed when the run ends: only a directory named as :meth:`temporary` names
        them (``fastw2v-run-*``), not a symbolic link, is adopted.
        """
        path = Path(directory)
        try:
            if not path.name.startswith(RUN_PREFIX) or path.is_symlink():
                return None
            _check_own_directory(path, "cache directory")
            if not all(_is_entry_file(f.name) for f in path.iterdir()):  # holds something else
                return None
        except (FastW2VError, OSError, ValueError):  # ValueError: a NUL byte in the name
            return None
        return cls(path, temporary=True)

    def remove(self) -> None:
        """Delete a temporary run directory and everything in it. A kept directory stays,
        unless this run made it and it is still empty (its build failed)."""
        if self.temporary:
            shutil.rmtree(self.path, ignore_errors=True)
        elif self.created:
            with contextlib.suppress(OSError):
                self.path.rmdir()


def _is_entry_file(name: str) -> bool:
    stem, dot, suffix = name.partition(".")
    return name.startswith(PREFIX) and bool(dot) and suffix in SUFFIXES + ("json.tmp",)


def _check_own_directory(path: Path, what: str) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise FastW2VError(f"cannot use the {what} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise FastW2VError(f"the {what} {path} is not a directory")
    if st.st_uid != os.geteuid():
        raise FastW2VError(f"the {what} {path} belongs to another user (uid {st.st_uid}); "
                           "use a directory of your own")


# ---------------------------------------------------------------- one entry
class TokenCache:
    """One cache entry: the encoding of ``source`` under ``opts`` (and ``vocab``)."""

    def __init__(self, directory, source: Corpus, opts, vocab: Vocabulary | None = None):
        self.directory = Path(directory.path if isinstance(directory, CacheDir) else directory)
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
        self.name = f"{PREFIX}{self.key}"
        self.temporary = isinstance(directory, CacheDir) and directory.temporary

    def path(self, suffix: str) -> Path:
        return self.directory / f"{self.name}.{suffix}"

    def size_bytes(self) -> int:
        return sum(self.path(s).stat().st_size for s in SUFFIXES if self.path(s).exists())

    def open(self) -> tuple[Vocabulary, EncodedCorpus] | None:
        """The cached vocabulary and corpus, memory-mapped and checked; None if not cached.

        Raises :class:`DamagedEntry` (saying why) for an entry that is there but
        cannot be trusted.
        """
        if not os.path.lexists(self.path("json")):
            return None
        manifest = self._manifest()
        vocab = self.vocab or _read_vocab(self.path("vocab"), manifest)
        if len(vocab) != manifest["vocabulary_size"]:
            raise DamagedEntry(f"the manifest says {manifest['vocabulary_size']} words, "
                               f"the vocabulary has {len(vocab)}")
        tokens, tokens_map = _map(self.path("tokens"), np.int32, manifest["tokens"])
        ends, ends_map = _map(self.path("ends"), np.int64, manifest["sentences"])
        bad, tokens_sum = check_tokens(tokens, len(vocab))
        if bad >= 0:
            raise DamagedEntry(f"token {bad} has id {int(tokens[bad])}, outside the vocabulary "
                               f"of {len(vocab)} words")
        bad, ends_sum = check_ends(ends, tokens.shape[0])
        if bad >= 0:
            raise DamagedEntry(f"sentence end {bad} is out of order or past the last token")
        if f"{int(tokens_sum):016x}" != manifest.get("tokens_sum"):  # absent from a forged one
            raise DamagedEntry("the token ids do not match their checksum")
        if f"{int(ends_sum):016x}" != manifest.get("ends_sum"):
            raise DamagedEntry("the sentence ends do not match their checksum")
        os.utime(self.path("json"))  # last used, for `fastw2v cache --older-than`
        return vocab, EncodedCorpus(tokens, ends, maps=(tokens_map, ends_map))

    def _manifest(self) -> dict:
        path = self.path("json")
        _check_own_file(path)
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            raise DamagedEntry("the manifest is implausibly large")
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise DamagedEntry(f"the manifest cannot be read ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("version") != VERSION:
            raise DamagedEntry("the manifest is not a version-2 fastw2v manifest")
        if manifest.get("manifest_sha256") != _manifest_digest(manifest):
            raise DamagedEntry("the manifest does not match its checksum")
        if manifest.get("key") != self.key:
            raise DamagedEntry("the manifest belongs to another entry")
        for name in ("tokens", "sentences", "vocabulary_size"):
            value = manifest.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DamagedEntry(f"the manifest's {name} is not a positive count")
        for name in ("tokens_sum", "ends_sum", "vocab_sha256"):
            if not isinstance(manifest.get(name), (str, type(None))):
                raise DamagedEntry(f"the manifest's {name} is not a checksum")
        return manifest

    def build(self, progress=None) -> tuple[Vocabulary, EncodedCorpus]:
        """Read, count (unless a vocabulary was given) and encode into the cache."""
        try:
            return self._build(progress)
        except BaseException:  # leave no partial entry
            self.remove()
            raise

    def _build(self, progress) -> tuple[Vocabulary, EncodedCorpus]:
        self.remove()
        try:
            for suffix in ("tokens", "ends"):  # private from the start
                os.close(os.open(self.path(suffix), os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | getattr(os, "O_NOFOLLOW", 0), 0o600))
            opts = self.opts
            vocab, (n_tokens, n_sentences) = vocab_and_corpus(
                self.source, min_count=opts.min_count, max_vocab_size=opts.max_vocab_size,
                max_sentence_length=opts.max_sentence_length, vocab=self.vocab,
                progress=progress, into=(self.path("tokens"), self.path("ends")))
            tokens, tokens_map = _map(self.path("tokens"), np.int32, n_tokens)
            ends, ends_map = _map(self.path("ends"), np.int64, n_sentences)
            tokens_sum = check_tokens(tokens, len(vocab))[1]
            ends_sum = check_ends(ends, n_tokens)[1]
            del tokens, ends
            tokens_map.close()
            ends_map.close()
            vocab_sha = None
            if self.vocab is None:
                data = vocab.to_bytes()
                _write_private(self.path("vocab"), data)
                vocab_sha = hashlib.sha256(data).hexdigest()
            manifest = {"version": VERSION, "key": self.key, "tokens": n_tokens,
                        "sentences": n_sentences, "vocabulary_size": len(vocab),
                        "files": self.source.fingerprint(), "tokens_sum": f"{int(tokens_sum):016x}",
                        "ends_sum": f"{int(ends_sum):016x}", "vocab_sha256": vocab_sha}
            manifest["manifest_sha256"] = _manifest_digest(manifest)
            tmp = self.path("json.tmp")
            _write_private(tmp, json.dumps(manifest, indent=1).encode())
            os.replace(tmp, self.path("json"))
        except OSError as exc:
            raise FastW2VError(f"cannot write the token cache in {self.directory}: "
                               f"{exc.strerror or exc}") from None
        try:
            found = self.open()
        except DamagedEntry as exc:
            raise FastW2VError(f"the token cache {self.path('json')} could not be read back: {exc}")
        if found is None:
            raise FastW2VError(f"the token cache {self.path('json')} could not be read back")
        return found

    def remove(self) -> None:
        """Delete the entry's files (whoever made them: the directory is ours), and a
        directory found in the place of one."""
        for suffix in ("json", "json.tmp", "tokens", "ends", "vocab"):
            try:
                self.path(suffix).unlink()
            except FileNotFoundError:
                pass
            except IsADirectoryError:  # a rebuild that cannot remove it fails with one line
                shutil.rmtree(self.path(suffix), ignore_errors=True)


def _check_own_file(path: Path) -> os.stat_result:
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise DamagedEntry(f"{path.name} cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise DamagedEntry(f"{path.name} is not a regular file")
    if st.st_uid != os.geteuid():
        raise DamagedEntry(f"{path.name} was made by another user (uid {st.st_uid})")
    return st


def _write_private(path: Path, data: bytes) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _read_vocab(path: Path, manifest: dict) -> Vocabulary:
    """The entry's own vocabulary file, checked against the manifest's checksum.

    Not :meth:`Vocabulary.load`: that skips word2vec.c's sentence marker ``</s>``,
    which is an ordinary word when a corpus holds it.
    """
    _check_own_file(path)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != manifest.get("vocab_sha256"):
        raise DamagedEntry("the vocabulary does not match its checksum")
    try:
        return Vocabulary.from_bytes(data)
    except ValueError as exc:
        raise DamagedEntry(f"the vocabulary is malformed ({exc})") from None


def _map(path: Path, dtype, count: int) -> tuple[np.ndarray, mmap.mmap]:
    """A read-only array over the ``count`` items of ``path``, and its map."""
    st = _check_own_file(path)
    nbytes = count * np.dtype(dtype).itemsize
    if st.st_size != nbytes or count == 0:
        raise DamagedEntry(f"{path.name} holds {st.st_size} bytes, not the {nbytes} of its manifest")
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), nbytes, access=mmap.ACCESS_READ)
    return np.frombuffer(m, dtype=dtype, count=count), m


# ---------------------------------------------------------------- listing and clearing
@dataclass
class Entry:
    """One entry found in a cache directory, for ``fastw2v cache``."""

    directory: Path
    name: str  # fastw2v-KEY
    files: list[Path]
    bytes: int
    last_used: float  # seconds since the epoch
    words: int | None  # None: incomplete or unreadable
    corpus: list[str]
    run_directory: bool  # inside a temporary fastw2v-run-* directory


def list_entries(directory, run_directory: bool = False) -> list[Entry]:
    """The entries in ``directory`` that belong to this user, newest first."""
    directory = Path(directory)
    groups: dict[str, list[Path]] = {}
    for p in directory.iterdir():
        if _is_entry_file(p.name) and not p.name.startswith(RUN_PREFIX):
            groups.setdefault(p.name.partition(".")[0], []).append(p)
    out = []
    for name, files in groups.items():
        stats = [os.lstat(f) for f in files]
        if any(s.st_uid != os.geteuid() or not stat.S_ISREG(s.st_mode) for s in stats):
            continue
        manifest: dict = {}
        with contextlib.suppress(OSError, ValueError):
            manifest = json.loads((directory / f"{name}.json").read_bytes())
        if not isinstance(manifest, dict):
            manifest = {}
        words = manifest.get("tokens") if isinstance(manifest.get("tokens"), int) else None
        corpus = [_shown_input(f) for f in manifest.get("files", []) if isinstance(f, dict)] \
            if isinstance(manifest.get("files"), list) else []
        out.append(Entry(directory, name, sorted(files), sum(s.st_size for s in stats),
                         max(s.st_mtime for s in stats), words, corpus, run_directory))
    return sorted(out, key=lambda e: -e.last_used)


def _shown_input(recorded: dict) -> str:
    """A corpus input as ``fastw2v cache`` lists it: a file's path; a stream marked as one."""
    path = str(recorded.get("path", "?"))
    if not recorded.get("stream"):
        return path
    return "standard input (stream)" if path == "-" else f"{path} (stream)"


def run_directories(tmp_dir=None) -> list[Path]:
    """Temporary run directories of this user left in ``tmp_dir`` (or the system's): kept
    for a checkpoint, or left by a run that was killed."""
    parent = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.gettempdir())
    found = []
    with contextlib.suppress(OSError):
        for p in parent.iterdir():
            if p.name.startswith(RUN_PREFIX):
                with contextlib.suppress(OSError):
                    st = os.lstat(p)
                    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
                        found.append(p)
    return sorted(found)


def remove_entry(entry: Entry) -> None:
    for f in entry.files:
        with contextlib.suppress(FileNotFoundError):
            f.unlink()
    if entry.run_directory:
        with contextlib.suppress(OSError):
            entry.directory.rmdir()  # empty once its one entry is gone


def age_seconds(entry: Entry) -> float:
    return max(0.0, time.time() - entry.last_used)
