"""Hostile input and disk-full safety (issue 7: never lose a training run).

1. Hostile corpora through the real command line (in-process through
   ``fastw2v.cli.main``, a few through a subprocess with a timeout so that a
   hang fails instead of blocking CI), with the token cache and with
   ``--no-cache``: each run either writes vectors gensim loads, with the
   reference number of rows, or exits 2 with one ``fastw2v: error:`` line and
   writes nothing (no output, no temporary file, no partial cache entry).
2. Hypothesis fuzzing of the reader and the vocabulary builder against the
   naive reference of conftest.py, in memory and through the token cache,
   with arbitrary bytes and block sizes.
3. Disk full (ENOSPC while writing, at fsync, at the rename, at file creation)
   and an output directory that turns read-only: exit 2, one line naming the
   file, the previous file byte-identical, no temporary file left. The same for
   checkpoints.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import re
import tempfile
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    decoded_sentences,
    ref_byte_counts,
    ref_encode,
    ref_sentences,
    ref_vocab,
    run_cli,
    run_directories,
)
from gensim.models import KeyedVectors
from hypothesis import given, settings
from hypothesis import strategies as st

import fastw2v.files as files_module
from fastw2v import FastW2VError
from fastw2v.cli import main
from fastw2v.text.cache import CacheDir, TokenCache
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus
from fastw2v.training.checkpoint import load_checkpoint, save_checkpoint

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
CACHE = ".fastw2v-cache"
FAST = ["--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "1", "-q"]
SENTINEL = b"previous vectors, must survive byte for byte\n"
TEXT = b"the quick brown fox jumps over the lazy dog\n" * 20 + b"a fox and a dog\n" * 10


# ---------------------------------------------------------------- helpers
def reference_rows(files: list[bytes], max_sentence_length: int = 10_000) -> int:
    """Vocabulary size by the naive reference (min-count 1)."""
    words, _ = ref_vocab(ref_byte_counts(ref_sentences(files, max_sentence_length)), 1)
    return len(words)


def temporary_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def check_error_line(stderr: str, *fragments: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("fastw2v: error: "), lines[0]
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])
    return lines[0]


def check_cache_complete(cache: Path) -> None:
    """Every entry in the cache directory is complete (has its manifest); nothing half-made."""
    if not cache.exists():
        return
    names = sorted(p.name for p in cache.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    stems = {n.rsplit(".", 1)[0] for n in names}
    for stem in stems:
        assert sorted(n for n in names if n.rsplit(".", 1)[0] == stem) == [
            f"{stem}.{s}" for s in ("ends", "json", "tokens", "vocab")], names


def elf_head(size: int = 200_000) -> bytes:
    """The first ``size`` bytes of a real shared library (an ELF file)."""
    candidates = sorted(Path(np.__file__).parent.rglob("*.so"), key=lambda p: p.stat().st_size)
    with open(candidates[-1], "rb") as f:
        data = f.read(size)
    assert data[:4] == b"\x7fELF"
    return data


def words_line(n_bytes: int, seed: int = 0) -> bytes:
    """About ``n_bytes`` of words from a 997-word vocabulary, on one line without newline."""
    rng = np.random.default_rng(seed)
    words = [b"w%d" % i for i in range(997)]
    out, size = [], 0
    for i in rng.integers(0, 997, size=n_bytes // 4):
        out.append(words[i])
        size += len(words[i]) + 1
        if size >= n_bytes:
            break
    return b" ".join(out)


# ---------------------------------------------------------------- 1. hostile corpora
MIXED_UTF8 = ("naïve café 日本語 😀 straße\n".encode("utf-8")
              + b"bad\xc3\x28 \xa0\xa1 x\xe2\x28\xa1y \xf0\x28\x8c\xbc \xed\xa0\x80 \xc0\xaf \xff\xfe\n"
              + "naïve again 日本語\n".encode("utf-8") + b"\xf8\x88\x80\x80\x80 caf\xe9 \x80\n")

# name -> (files as [(file name, bytes)], expected): expected is ("ok", rows) or ("error", fragments)
OK, ERROR = "ok", "error"


def _case(files, error=None):
    if error is not None:
        return files, (ERROR, error)
    texts = [gzip.decompress(data) if name.endswith(".gz") else data for name, data in files]
    return files, (OK, reference_rows(texts))


def hostile_cases() -> dict:
    gz = gzip.compress(TEXT)
    return {
        "random_bytes": lambda: _case([("random.bin", np.random.default_rng(7).bytes(200_000))]),
        "elf_head": lambda: _case([("python.so", elf_head())]),
        "nul_bytes_in_text": lambda: _case([("nul.txt", b"the\x00cat sat\x00\x00on\n\x00\n mat \x00x\n" * 50)]),
        "one_5mb_line": lambda: _case([("line.txt", words_line(5_000_000))]),
        "words_10k_100k": lambda: _case([("long.txt", b"a " + b"x" * 10_000 + b" b\n" + b"y" * 100_000
                                          + b"\n" + b"x" * 10_000 + b" " + TEXT)]),
        "single_2mb_word": lambda: _case([("word.txt", b"z" * (2 << 20))]),
        "latin1": lambda: _case([("latin1.txt", "café naïve über straße à côté\n".encode("latin-1") * 30)]),
        "utf16_bom": lambda: _case([("utf16.txt", "the cat sat on the mat\nle chat\n".encode("utf-16") * 30)]),
        "invalid_utf8_mixed": lambda: _case([("mixed.txt", MIXED_UTF8 * 5)]),
        "empty_files_among_valid": lambda: _case([
            ("empty1.txt", b""), ("a.txt", TEXT), ("empty2.txt", b""), ("b.txt.gz", gzip.compress(MIXED_UTF8)),
            ("zero-bytes.gz", b""), ("empty.txt.gz", gzip.compress(b""))]),
        "truncated_gz": lambda: _case([("a.txt", TEXT), ("t.txt.gz", gz[: len(gz) // 2])],
                                      ["cannot read", "t.txt.gz"]),
        "not_gzip": lambda: _case([("n.txt.gz", b"plain text, not gzip at all\n" * 10)],
                                  ["cannot read", "n.txt.gz"]),
        "only_whitespace": lambda: _case([("ws.txt", b" \t\r\n\v\f" * 10_000)], ["empty"]),
        "empty_files_only": lambda: _case([("e1.txt", b""), ("e2.txt.gz", gzip.compress(b""))], ["empty"]),
    }


CASES = hostile_cases()
# How the encoded corpus is held: the default temporary cache, a kept one, or memory.
MODE_FLAGS = {"temp": lambda d: [], "cache": lambda d: ["--cache-dir", str(d / CACHE)],
              "no-cache": lambda d: ["--no-cache"]}
ERROR_CASES = ["truncated_gz", "not_gzip", "only_whitespace", "empty_files_only"]


def run_case(tmp_path: Path, name: str, mode: str, capsys, existing: bool = False):
    files, expected = CASES[name]()
    paths = []
    for file_name, data in files:
        (tmp_path / file_name).write_bytes(data)
        paths.append(str(tmp_path / file_name))
    out = tmp_path / "vec.txt"
    if existing:
        out.write_bytes(SENTINEL)
    before = set(os.listdir(tmp_path))
    code = main(["train", *paths, "-o", str(out), *FAST, *MODE_FLAGS[mode](tmp_path)])
    err = capsys.readouterr().err
    return files, expected, out, before, code, err


@pytest.mark.parametrize("mode", ["temp", "cache", "no-cache"])
@pytest.mark.parametrize("name", list(CASES))
def test_hostile_corpus_in_process(tmp_path, capsys, name, mode):
    runs_before = run_directories()
    files, (outcome, detail), out, before, code, err = run_case(tmp_path, name, mode, capsys)
    assert run_directories() == runs_before  # a temporary cache never outlives its run
    after = set(os.listdir(tmp_path))
    assert temporary_files(tmp_path) == []
    check_cache_complete(tmp_path / CACHE)
    if outcome == OK:
        assert code == 0, err
        assert err == ""
        kv = KeyedVectors.load_word2vec_format(str(out))
        assert len(kv.index_to_key) == detail and kv.vectors.shape == (detail, 8)
        assert np.isfinite(kv.vectors).all()
        assert after == before | {"vec.txt"} | ({CACHE} if mode == "cache" else set())
        if mode == "cache":  # a second run is served from the cache and writes the same vectors
            first = out.read_bytes()
            assert main(["train", *(str(tmp_path / n) for n, _ in files), "-o", str(out), *FAST,
                         *MODE_FLAGS[mode](tmp_path)]) == 0
            assert out.read_bytes() == first
            check_cache_complete(tmp_path / CACHE)
            assert len(list((tmp_path / CACHE).iterdir())) == 4
    else:
        assert code == 2
        check_error_line(err, *detail)
        assert not out.exists()
        assert after == before  # no output, no temporary file, no cache directory


@pytest.mark.parametrize("mode", ["cache", "no-cache"])
@pytest.mark.parametrize("name", ERROR_CASES)
def test_hostile_corpus_keeps_existing_output_and_cache(tmp_path, capsys, name, mode):
    """A failing run leaves the previous output and an existing cache as they were."""
    (tmp_path / "good.txt").write_bytes(TEXT)
    assert main(["train", str(tmp_path / "good.txt"), "-o", str(tmp_path / "other.txt"), *FAST,
                 *MODE_FLAGS["cache"](tmp_path)]) == 0
    cache_before = {p.name: p.read_bytes() for p in (tmp_path / CACHE).iterdir()}
    files, (outcome, detail), out, before, code, err = run_case(tmp_path, name, mode, capsys, existing=True)
    assert outcome == ERROR and code == 2
    check_error_line(err, *detail)
    assert out.read_bytes() == SENTINEL
    assert set(os.listdir(tmp_path)) == before
    assert {p.name: p.read_bytes() for p in (tmp_path / CACHE).iterdir()} == cache_before


def test_hostile_corpora_subprocess_success(tmp_path):
    """Binary files, a 2 MB word and a 5 MB line together, in a real process with a time limit."""
    blobs = {"elf.so": elf_head(), "word.txt": b"q" * (2 << 20), "line.txt": words_line(5_000_000, seed=1),
             "mixed.txt": MIXED_UTF8, "empty.txt": b""}
    for name, data in blobs.items():
        (tmp_path / name).write_bytes(data)
    out = tmp_path / "vec.bin"
    result = run_cli(["train", *(tmp_path / n for n in blobs), "-o", out, "--binary", *FAST],
                     cwd=tmp_path, timeout=240)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""
    kv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert len(kv.index_to_key) == reference_rows(list(blobs.values()))
    check_cache_complete(tmp_path / CACHE)
    assert temporary_files(tmp_path) == []


def test_hostile_corpora_subprocess_error(tmp_path):
    """Random bytes then a truncated .gz: one error line, nothing written, no cache entry."""
    gz = gzip.compress(words_line(300_000).replace(b" w1 ", b"\n"))
    (tmp_path / "random.bin").write_bytes(np.random.default_rng(3).bytes(300_000))
    (tmp_path / "cut.txt.gz").write_bytes(gz[: len(gz) - 1000])
    (tmp_path / "vec.txt").write_bytes(SENTINEL)
    before = set(os.listdir(tmp_path))
    result = run_cli(["train", tmp_path / "random.bin", tmp_path / "cut.txt.gz", "-o", tmp_path / "vec.txt",
                      *FAST], cwd=tmp_path, timeout=240)
    assert result.returncode == 2
    check_error_line(result.stderr, "cannot read", "cut.txt.gz")
    assert result.stdout == ""
    assert (tmp_path / "vec.txt").read_bytes() == SENTINEL
    assert set(os.listdir(tmp_path)) == before


def test_corpus_holding_the_sentence_marker_word(tmp_path, capsys):
    """'</s>' is an ordinary word of a corpus (word2vec.c's vocabulary files use it as a
    marker): the token cache must keep it, with the same vectors as without the cache."""
    (tmp_path / "c.txt").write_bytes(b"a b </s> c\n</s> a b\n" * 5)
    for flags, out in ((["--no-cache"], "mem.txt"), ([], "cached.txt"), ([], "again.txt")):
        code = main(["train", str(tmp_path / "c.txt"), "-o", str(tmp_path / out), *FAST, *flags])
        assert code == 0, capsys.readouterr().err
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "cached.txt"))
    assert sorted(kv.index_to_key) == ["</s>", "a", "b", "c"]
    assert (tmp_path / "mem.txt").read_bytes() == (tmp_path / "cached.txt").read_bytes() \
        == (tmp_path / "again.txt").read_bytes()


# ---------------------------------------------------------------- 2. fuzzing the reader
_PIECES = st.sampled_from([
    b" ", b"  ", b"\n", b"\n\n", b"\t", b"\r\n", b"\v", b"\f", b"\x00", b"\xff", b"\x80", b"\xc3\xa9",
    b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80", b"\xc2\xa0", b"\xc2\x85", b"\x1c", b"\x85",
    b"</s>", b"a", b"b", b"ab", b"a\xff", b"a\xfe"])
FILE_DATA = st.lists(st.one_of(_PIECES, _PIECES, _PIECES, st.binary(min_size=1, max_size=6)),
                     max_size=120).map(b"".join)
FILES = st.lists(st.tuples(FILE_DATA, st.booleans()), min_size=1, max_size=3)  # (bytes, gzip it?)
BLOCK_BYTES = st.one_of(st.integers(1, 16), st.integers(17, 300), st.just(4 << 20))
OPTIONS = st.fixed_dictionaries({
    "min_count": st.integers(1, 3),
    "max_sentence_length": st.sampled_from([1, 2, 3, 7, 10_000]),
    "max_vocab_size": st.sampled_from([0, 0, 0, 2, 5]),
})


def write_files(d: Path, files) -> list[str]:
    paths = []
    for i, (data, compress) in enumerate(files):
        path = d / (f"f{i}.txt.gz" if compress else f"f{i}.txt")
        path.write_bytes(gzip.compress(data) if compress else data)
        paths.append(str(path))
    return paths


def expected_encoding(files, options):
    raw = ref_sentences([data for data, _ in files], options["max_sentence_length"])
    words, counts = ref_vocab(ref_byte_counts(raw, options["max_vocab_size"]), options["min_count"])
    return raw, words, counts, ref_encode(raw, words)


def check_encoded(vocab, enc, words, counts, sentences):
    assert vocab.words == words
    assert vocab.counts.tolist() == counts
    assert enc.tokens.dtype == np.int32 and enc.sentence_ends.dtype == np.int64
    ends = enc.sentence_ends
    assert ends.shape[0] == len(sentences)
    assert (np.diff(ends) > 0).all() and ends[0] > 0 and ends[-1] == enc.n_words
    assert enc.tokens.min() >= 0 and enc.tokens.max() < len(vocab)
    assert decoded_sentences(vocab, enc) == sentences


@settings(max_examples=250, deadline=None)
@given(files=FILES, block_bytes=BLOCK_BYTES, options=OPTIONS)
def test_fuzz_reader_and_vocabulary(files, block_bytes, options):
    raw, words, counts, sentences = expected_encoding(files, options)
    with tempfile.TemporaryDirectory() as d:
        paths = write_files(Path(d), files)
        corpus = Corpus(paths, block_bytes=block_bytes)
        if not any(raw):
            with pytest.raises(FastW2VError, match="empty"):
                vocab_and_corpus(corpus, **options)
            return
        if not words:
            with pytest.raises(FastW2VError, match="reaches min_count"):
                vocab_and_corpus(corpus, **options)
            return
        vocab, enc = vocab_and_corpus(corpus, **options)
        check_encoded(vocab, enc, words, counts, sentences)
        if not options["max_vocab_size"]:  # every token of a kept word is kept
            assert enc.n_words == sum(counts)


@settings(max_examples=100, deadline=None)
@given(files=FILES, block_bytes=BLOCK_BYTES, options=OPTIONS)
def test_fuzz_token_cache_matches_memory(files, block_bytes, options):
    """The streaming cache build gives exactly the in-memory tokens and sentence ends,
    reads back the same from its files, and leaves nothing behind when it fails."""
    raw, words, counts, sentences = expected_encoding(files, options)
    opts = types.SimpleNamespace(**options)
    with tempfile.TemporaryDirectory() as d:
        paths = write_files(Path(d), files)
        cache_dir = Path(d) / "cache"
        store = CacheDir.kept(cache_dir)
        try:
            expected = vocab_and_corpus(Corpus(paths, block_bytes=block_bytes), **options)
        except FastW2VError as exc:
            with pytest.raises(FastW2VError) as failed:
                TokenCache(store, Corpus(paths, block_bytes=block_bytes), opts).build()
            assert str(failed.value) == str(exc)
            store.remove()
            assert not cache_dir.exists()  # made for the entry, removed with it
            return
        vocab, enc = TokenCache(store, Corpus(paths, block_bytes=block_bytes), opts).build()
        check_encoded(vocab, enc, words, counts, sentences)
        for got_vocab, got in ((vocab, enc), TokenCache(cache_dir, Corpus(paths), opts).open()):
            assert got_vocab.words == expected[0].words
            assert np.array_equal(got_vocab.counts, expected[0].counts)
            assert np.array_equal(got.tokens, expected[1].tokens)
            assert np.array_equal(got.sentence_ends, expected[1].sentence_ends)
        check_cache_complete(cache_dir)


# ---------------------------------------------------------------- 3. disk full
class _FaultyFile:
    """A file whose writes fail with ENOSPC once ``budget`` bytes have gone through."""

    def __init__(self, f, budget: int):
        self._f, self._budget = f, budget

    def write(self, data):
        if isinstance(data, memoryview):
            data = data.tobytes()
        if len(data) > self._budget:
            if self._budget:
                self._f.write(data[:self._budget])  # part of it made it to the disk
            self._budget = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget -= len(data)
        return self._f.write(data)

    def writelines(self, lines):  # through write(), so that the budget covers it too
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


class FullDisk:
    """Faults injected into ``fastw2v.files.atomic_write`` for one target file name.

    ``where``: "create" (making the temporary file fails), "write" (writes fail
    after ``budget`` bytes), "fsync" or "replace". Other files written meanwhile
    (the cache's vocabulary, say) are left alone.
    """

    def __init__(self, monkeypatch, target: str, where: str, budget: int = 0, error=errno.ENOSPC):
        self.target, self.where, self.budget, self.error = target, where, budget, error
        self.temporary: dict[int, str] = {}
        self.hits = 0
        fake_os = types.ModuleType("os")
        fake_os.__dict__.update(os.__dict__)
        fake_os.fdopen, fake_os.fsync, fake_os.replace = self._fdopen, self._fsync, self._replace
        fake_tempfile = types.ModuleType("tempfile")
        fake_tempfile.__dict__.update(tempfile.__dict__)
        fake_tempfile.mkstemp = self._mkstemp
        monkeypatch.setattr(files_module, "os", fake_os)
        monkeypatch.setattr(files_module, "tempfile", fake_tempfile)

    def _ours(self, tmp_name) -> bool:
        return tmp_name is not None and re.fullmatch(
            rf"\.{re.escape(self.target)}\.[A-Za-z0-9_]+\.tmp", Path(tmp_name).name) is not None

    def _fail(self):
        self.hits += 1
        raise OSError(self.error, os.strerror(self.error))

    def _mkstemp(self, *args, **kwargs):
        prefix = kwargs.get("prefix", "")
        if self.where == "create" and prefix == f".{self.target}.":
            self._fail()
        fd, name = tempfile.mkstemp(*args, **kwargs)
        self.temporary[fd] = name
        return fd, name

    def _fdopen(self, fd, *args, **kwargs):
        f = os.fdopen(fd, *args, **kwargs)
        if self.where == "write" and self._ours(self.temporary.get(fd)):
            self.hits += 1
            return _FaultyFile(f, self.budget)
        return f

    def _fsync(self, fd):
        if self.where == "fsync" and self._ours(self.temporary.get(fd)):
            self._fail()
        return os.fsync(fd)

    def _replace(self, src, dst):
        if self.where == "replace" and Path(dst).name == self.target:
            self._fail()
        return os.replace(src, dst)


def many_words_corpus(path: Path, n_words: int = 3000) -> Path:
    rng = np.random.default_rng(11)
    lines = [b" ".join(b"word%d" % i for i in rng.integers(0, n_words, size=12)) for _ in range(1500)]
    path.write_bytes(b"\n".join(lines) + b"\n" + b" ".join(b"word%d" % i for i in range(n_words)) + b"\n")
    return path


FAULTS = [("write", 0), ("write", 100), ("write", 60_000), ("fsync", 0), ("replace", 0), ("create", 0)]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("where, budget", FAULTS, ids=[f"{w}-{b}" for w, b in FAULTS])
@pytest.mark.parametrize("existing", [True, False], ids=["existing", "new"])
def test_disk_full_writing_vectors(tmp_path, capsys, monkeypatch, where, budget, binary, existing):
    corpus = many_words_corpus(tmp_path / "c.txt")
    out = tmp_path / ("vec.bin" if binary else "vec.txt")
    if existing:
        out.write_bytes(SENTINEL)
    before = set(os.listdir(tmp_path))
    disk = FullDisk(monkeypatch, out.name, where, budget)
    code = main(["train", str(corpus), "-o", str(out), *FAST, "--no-cache", *(["--binary"] if binary else [])])
    err = capsys.readouterr().err
    assert disk.hits == 1
    assert code == 2
    check_error_line(err, "cannot write", str(out), "no space left on device")
    if existing:
        assert out.read_bytes() == SENTINEL
    else:
        assert not out.exists()
    assert temporary_files(tmp_path) == []
    assert set(os.listdir(tmp_path)) == before  # no checkpoint, cache or anything else either


def test_disk_full_writing_vectors_with_cache(tmp_path, capsys, monkeypatch):
    """With the token cache: the cache entry is complete (it was written before the
    failure) and a rerun once there is room again succeeds from it."""
    corpus = many_words_corpus(tmp_path / "c.txt")
    out = tmp_path / "vec.txt"
    out.write_bytes(SENTINEL)
    with monkeypatch.context() as m:
        FullDisk(m, out.name, "write", 5000)
        assert main(["train", str(corpus), "-o", str(out), *FAST]) == 2
    check_error_line(capsys.readouterr().err, "cannot write", str(out))
    assert out.read_bytes() == SENTINEL
    assert temporary_files(tmp_path) == []
    check_cache_complete(tmp_path / CACHE)
    assert main(["train", str(corpus), "-o", str(out), *FAST]) == 0
    assert len(KeyedVectors.load_word2vec_format(str(out)).index_to_key) == 3000


def test_disk_full_writing_the_token_cache(tmp_path, capsys, monkeypatch):
    """ENOSPC while the cache streams the token ids: one line, no partial cache entry."""
    import fastw2v.text.encode as encode_module

    corpus = many_words_corpus(tmp_path / "c.txt")
    out = tmp_path / "vec.txt"
    out.write_bytes(SENTINEL)
    calls = []

    def commit(self, n):
        calls.append(n)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(encode_module._IdFiles, "commit", commit)
    before = set(os.listdir(tmp_path))
    assert main(["train", str(corpus), "-o", str(out), *FAST]) == 2
    assert calls
    check_error_line(capsys.readouterr().err, "cache", "no space left on device")
    assert out.read_bytes() == SENTINEL
    assert set(os.listdir(tmp_path)) == before  # the cache directory made for it is gone too


def test_disk_full_writing_the_cache_vocabulary(tmp_path, capsys, monkeypatch):
    import fastw2v.text.cache as cache_module

    corpus = many_words_corpus(tmp_path / "c.txt")
    (tmp_path / CACHE).mkdir()
    write_private = cache_module._write_private

    def full(path, data):
        if path.suffix == ".vocab":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write_private(path, data)

    monkeypatch.setattr(cache_module, "_write_private", full)
    assert main(["train", str(corpus), "-o", str(tmp_path / "vec.txt"), *FAST,
                 *MODE_FLAGS["cache"](tmp_path)]) == 2
    check_error_line(capsys.readouterr().err, "no space left on device")
    assert not (tmp_path / "vec.txt").exists()
    assert os.listdir(tmp_path / CACHE) == []


def test_output_directory_turns_read_only(tmp_path, capsys, monkeypatch):
    """The directory is made read-only after the start-up checks, before the write.
    Root may write there all the same, so for root ``os.access`` says no as well."""
    from fastw2v.training.model import Word2VecModel

    corpus = many_words_corpus(tmp_path / "c.txt")
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "vec.txt"
    out.write_bytes(SENTINEL)
    real_save, real_access = Word2VecModel.save, os.access

    def access(path, mode, *args, **kwargs):
        if IS_ROOT and Path(path) == outdir and mode & os.W_OK and not outdir.stat().st_mode & 0o200:
            return False
        return real_access(path, mode, *args, **kwargs)

    def save(self, *args, **kwargs):
        outdir.chmod(0o555)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(Word2VecModel, "save", save)
    try:
        assert main(["train", str(corpus), "-o", str(out), *FAST, "--no-cache"]) == 2
        check_error_line(capsys.readouterr().err, str(outdir))
        assert out.read_bytes() == SENTINEL
        assert os.listdir(outdir) == ["vec.txt"]
    finally:
        outdir.chmod(0o755)


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS, errno.ENOSPC])
def test_output_directory_refuses_new_files(tmp_path, capsys, monkeypatch, error):
    """Creating the temporary file fails (a directory made read-only, a read-only
    remount, no inodes left), simulated so that it runs as root too."""
    corpus = many_words_corpus(tmp_path / "c.txt")
    out = tmp_path / "vec.txt"
    out.write_bytes(SENTINEL)
    disk = FullDisk(monkeypatch, out.name, "create", error=error)
    assert main(["train", str(corpus), "-o", str(out), *FAST, "--no-cache"]) == 2
    assert disk.hits == 1
    check_error_line(capsys.readouterr().err, "cannot write", str(out), os.strerror(error))
    assert out.read_bytes() == SENTINEL
    assert temporary_files(tmp_path) == []


# ---------------------------------------------------------------- every other writer
def _vectors(d: Path) -> Path:
    from fastw2v import save_word2vec

    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(40)]
    save_word2vec(d / "vectors.txt", words, rng.standard_normal((40, 6)).astype(np.float32))
    return d / "vectors.txt"


def _log(d: Path) -> Path:
    records = [{"event": "start", "options": {"model": "sg"}},
               *({"event": "epoch", "epoch": e, "epochs": 2, "words": 100 * e, "seconds": 1.0 * e,
                  "words_per_second": 100.0, "alpha": 0.02, "loss_per_word": 3.0 - e} for e in (1, 2))]
    (d / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return d / "log.jsonl"


def _train_corpus(d: Path) -> Path:
    (d / "c.txt").write_bytes(TEXT)
    return d / "c.txt"


# name: (arguments of fastw2v, given the directory; the file the fault hits, relative to it)
WRITERS = {
    "save-vocab": (lambda d: ["train", _train_corpus(d), "-o", d / "v.txt", *FAST, "--no-cache",
                              "--save-vocab", d / "voc.txt"], "voc.txt"),
    "train-classes": (lambda d: ["train", _train_corpus(d), "-o", d / "v.txt", *FAST, "--no-cache",
                                 "--classes", "3"], "v.txt.classes.txt"),
    "classes": (lambda d: ["classes", _vectors(d), "-k", "3", "-o", d / "cls.txt", "-q"], "cls.txt"),
    "nce-biases": (lambda d: ["train", _train_corpus(d), "-o", d / "v.txt", *FAST, "--no-cache",
                              "--loss", "nce", "--save-output", d / "out.txt"], "out.txt.biases.txt"),
    "projector-vectors": (lambda d: ["export-projector", _vectors(d), d / "proj", "-q"], "proj/vectors.tsv"),
    "projector-metadata": (lambda d: ["export-projector", _vectors(d), d / "proj", "-q"], "proj/metadata.tsv"),
    "plot": (lambda d: ["plot", _log(d), "-o", d / "curves.png", "-q"], "curves.png"),
    "map": (lambda d: ["map", _vectors(d), "-o", d / "map.png", "--top", "12", "-q"], "map.png"),
    "phrases": (lambda d: ["phrases", _train_corpus(d), "-o", d / "p.txt", "--min-count", "1", "-q"], "p.txt"),
    "phrases-gz": (lambda d: ["phrases", _train_corpus(d), "-o", d / "p.txt.gz", "--min-count", "1", "-q"],
                   "p.txt.gz"),
}
WRITER_FAULTS = [("write", 0, errno.ENOSPC, False), ("write", 20, errno.ENOSPC, True),
                 ("create", 0, errno.EACCES, True)]


@pytest.mark.parametrize("where, budget, error, existing", WRITER_FAULTS,
                         ids=["disk-full-new", "disk-full-midway-existing", "read-only-dir-existing"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_survives_a_full_disk_and_a_read_only_directory(tmp_path, capsys, monkeypatch, writer,
                                                                      where, budget, error, existing):
    """Each file fastw2v writes besides vectors and checkpoints: a full disk (at once, or
    part way through) or a directory that refuses new files (simulated, so that it also
    runs as root) gives exit 2 and one line naming the file and the reason; the previous
    file is left byte for byte, and no temporary file remains."""
    make_args, name = WRITERS[writer]
    (tmp_path / "proj").mkdir()
    args = [str(a) for a in make_args(tmp_path)]
    target = tmp_path / name
    if existing:
        target.write_bytes(SENTINEL)
    disk = FullDisk(monkeypatch, target.name, where, budget, error=error)
    code = main(args)
    err = capsys.readouterr().err
    assert disk.hits >= 1, "the fault was never reached"
    assert code == 2, err
    check_error_line(err, "cannot write", str(target), os.strerror(error))
    if existing:
        assert target.read_bytes() == SENTINEL
    else:
        assert not target.exists()
    assert temporary_files(tmp_path) == [] and temporary_files(tmp_path / "proj") == []


# ---------------------------------------------------------------- checkpoints
@pytest.fixture(scope="module")
def small_model():
    import fastw2v
    from fastw2v.training.model import TrainState

    model = fastw2v.train([s.split() for s in TEXT.decode().splitlines()], min_count=1, dim=8, epochs=1,
                          threads=1)
    return model, TrainState(epoch=1, chunk_done=np.ones(1, np.uint8), words_done=230, epoch_words=230)


CHECKPOINT_FAULTS = [("write", 0), ("write", 700), ("fsync", 0), ("replace", 0), ("create", 0)]


@pytest.mark.parametrize("where, budget", CHECKPOINT_FAULTS, ids=[f"{w}-{b}" for w, b in CHECKPOINT_FAULTS])
def test_disk_full_writing_a_checkpoint(tmp_path, monkeypatch, small_model, where, budget):
    model, state = small_model
    path = tmp_path / "run.checkpoint"
    save_checkpoint(path, model, state, {"note": "first"})
    first = path.read_bytes()
    with monkeypatch.context() as m:
        disk = FullDisk(m, path.name, where, budget)
        with pytest.raises(FastW2VError) as failed:
            save_checkpoint(path, model, state, {"note": "second"})
    assert disk.hits == 1
    message = str(failed.value)
    assert "\n" not in message and "cannot write" in message and str(path) in message
    assert "No space left on device" in message
    assert path.read_bytes() == first
    assert load_checkpoint(path)[2] == {"note": "first"}
    assert sorted(os.listdir(tmp_path)) == ["run.checkpoint"]


def test_disk_full_writing_a_checkpoint_during_training(tmp_path, capsys, monkeypatch):
    """--checkpoint-every writes one at each epoch end: when that fails the run stops
    with one line naming the checkpoint, and the previous checkpoint survives."""
    corpus = many_words_corpus(tmp_path / "c.txt")
    out, ckpt = tmp_path / "vec.txt", tmp_path / "run.ckpt"
    args = ["train", str(corpus), "-o", str(out), *FAST, "--no-cache", "--checkpoint", str(ckpt),
            "--checkpoint-every", "1000"]
    assert main(args) == 0
    first = ckpt.read_bytes()
    out.write_bytes(SENTINEL)
    with monkeypatch.context() as m:
        disk = FullDisk(m, ckpt.name, "write", 2000)
        assert main(args) == 2
    assert disk.hits == 1
    check_error_line(capsys.readouterr().err, "cannot write", str(ckpt), "no space left on device")
    assert ckpt.read_bytes() == first
    assert out.read_bytes() == SENTINEL
    assert temporary_files(tmp_path) == []
