"""Trust nothing read back from disk: a fuzz and fault harness for every file fastw2v reads.

The promise: bad input gets ONE line ``fastw2v: error: ...`` and exit status 2 (never
a traceback, never a signal, never a half-written output), and a damaged token cache
entry is rebuilt with one ``fastw2v: warning: ...`` line. Each kind of file is damaged
by Hypothesis and checked twice: at the library level (cheap: hundreds of examples)
against the reader's invariants, and through the real command line (in-process
``fastw2v.cli.main``: dozens), where no exception may escape and no warning may be
printed (warnings are errors there, so a numpy RuntimeWarning fails the test):

1. token cache entries (``train --cache-dir``): damaged files (truncated, extended,
   flipped, overwritten, out-of-range ids, broken sentence ends, edited manifests,
   garbled vocabularies, symlinks, directories, FIFOs, foreign owners) must be
   refused (``DamagedEntry``) exactly when damaged, then rebuilt with one warning into
   vectors byte-identical to a clean ``--threads 1`` run;
2. checkpoints (``train --resume``) of ns, nce and hs runs: raw byte damage and
   semantic damage (NaN vectors, wrong shapes and dtypes, missing members, bad chunk
   flags, bad words and counts, bad header fields, a bad ``cli`` dict);
3. vocabulary files (``train --read-vocab``);
4. vector files, text and binary, plain and .gz (``eval``, ``similar``, ``analogy``,
   ``classes``);
5. a few of the nastiest cases in a subprocess: exit 0 or 2, never a signal;
6. regression tests for the bugs this harness found.

``EXAMPLES`` holds each fuzz test's number of examples: their sum is the number of
fuzz cases a run checks (``pytest --hypothesis-show-statistics`` shows them too);
``FASTW2V_FUZZ_SCALE=10`` multiplies them for a deeper run.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import stat
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, run_directories
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numba.core.errors import NumbaIRAssumptionWarning

from fastw2v import FastW2VError
from fastw2v.cli import main
from fastw2v.text.cache import DamagedEntry, TokenCache
from fastw2v.text.corpus import Corpus
from fastw2v.text.vocab import Vocabulary
from fastw2v.training import driver
from fastw2v.training.checkpoint import load_checkpoint
from fastw2v.training.model import DIVERGED_LIMIT, TrainOptions
from fastw2v.vectors.word2vec_format import load_word2vec

FAST = ["--dim", "8", "--threads", "1", "--min-count", "1", "-q"]
ONE_EPOCH = [*FAST, "--epochs", "1"]
OPTS = TrainOptions(dim=8, threads=1, min_count=1, epochs=1).resolved()  # what ONE_EPOCH trains with
WHITESPACE = re.compile(r"[ \t\n\v\f\r]")  # the tokenizer's: no word holds it
LOSSES = ("ns", "nce", "hs")

# Examples per fuzz test (their sum: the fuzz cases of one run).
EXAMPLES = {
    "cache_library": 500, "cache_cli": 80,
    "checkpoint_bytes_library": 300, "checkpoint_semantic_library": 450,
    "checkpoint_bytes_cli": 40, "checkpoint_semantic_cli": 120,
    "vocab_library": 400, "vocab_cli": 50,
    "vectors_library": 400, "vectors_cli": 60,
}


SCALE = float(os.environ.get("FASTW2V_FUZZ_SCALE", "1"))  # more examples for a deeper run, e.g. 10


def fuzz(name: str):
    return settings(max_examples=max(1, int(EXAMPLES[name] * SCALE)), deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


def strict_warnings() -> None:
    """Inside ``warnings.catch_warnings()``: every warning is an error (numpy's RuntimeWarning
    would print extra lines on stderr), except the Numba self-check that a kernel's first
    compile may emit and that ``fastw2v.engine`` hides from users too: which test compiles a
    kernel first depends on the order the tests run in."""
    warnings.simplefilter("error")
    warnings.filterwarnings("ignore", category=NumbaIRAssumptionWarning)


# ---------------------------------------------------------------- the command line, in-process
def cli(args) -> tuple[int, str, str]:
    """``fastw2v ARGS`` in this process: (exit status, stdout, stderr).

    An exception escaping ``main`` (a traceback for the user) fails the test, and so
    does any warning (numpy's RuntimeWarning would print extra lines on stderr).
    """
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        strict_warnings()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def check_one_line(stderr: str, kind: str = "error", *fragments: str) -> str:
    """``stderr`` is exactly one ``fastw2v: KIND: ...`` line holding every fragment."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith(f"fastw2v: {kind}: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@contextlib.contextmanager
def scratch():
    """A fresh directory for one example (under the tests' temporary directory), also the
    working directory meanwhile: a relative path read from a damaged file lands there."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(cwd)


class Clean:
    """Clean files and what they hold, built once per module; a failing example shows it
    by name only."""

    def __init__(self, shown_as: str, **fields):
        self.__dict__.update(fields)
        self._shown_as = shown_as

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._shown_as})"


# ---------------------------------------------------------------- the corpus
@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """About 3,600 tokens of 300 distinct words (Zipf-like), 300 sentences, every word seen."""
    rng = np.random.default_rng(2024)
    words = [f"w{i}" for i in range(300)]
    lines = []
    for _ in range(300):
        ids = np.minimum(rng.geometric(0.02, size=rng.integers(4, 16)) - 1, 299)
        lines.append(" ".join(words[i] for i in ids))
    lines.append(" ".join(words))
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- generic byte damage
def damaged_bytes(draw, data: bytes) -> bytes:
    """``data`` truncated at any point, extended with random bytes, with bytes flipped
    (xor with a non-zero mask) anywhere, or with a span overwritten by random bytes."""
    n = len(data)
    kind = draw(st.sampled_from(["truncate", "extend", "flip", "overwrite"]))
    if kind == "truncate":
        return data[:draw(st.integers(0, n - 1))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=64))
    out = bytearray(data)
    if kind == "flip":
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, n - 1))] ^= draw(st.integers(1, 255))
        return bytes(out)
    start = draw(st.integers(0, n - 1))
    junk = draw(st.binary(min_size=1, max_size=min(64, n - start)))
    out[start:start + len(junk)] = junk
    return bytes(out)


# ---------------------------------------------------------------- 1. token cache entries
SUFFIXES = ("tokens", "ends", "vocab", "json")
# What a damaged entry must give: refused (DamagedEntry; the CLI warns once and rebuilds),
# accepted unchanged (a change that does not matter), absent (no manifest: built
# silently), or forged (checksums recomputed over valid but different content: accepted
# as it is, and safe to train on).
DAMAGED, HARMLESS, ABSENT, FORGED = "damaged", "harmless", "absent", "forged"
CHECKED_FIELDS = ("version", "key", "tokens", "sentences", "vocabulary_size", "tokens_sum", "ends_sum",
                  "vocab_sha256")


def fletcher(values: np.ndarray) -> str:
    """The manifest's checksum of an array (Fletcher-64 of the values, mixed), restated."""
    v = np.asarray(values).astype(np.uint64)
    weights = np.arange(len(v), 0, -1, dtype=np.uint64)  # s2 = sum of the running sums
    s1, s2 = int(v.sum(dtype=np.uint64)), int((v * weights).sum(dtype=np.uint64))
    return f"{s1 ^ (s2 * 0x9E3779B97F4A7C15) % 2**64:016x}"


def manifest_digest(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def canonical_manifest(raw: bytes) -> str | None:
    """What the cache compares of a manifest: its parsed content (None: unreadable)."""
    try:
        return json.dumps(json.loads(raw), sort_keys=True)
    except (ValueError, RecursionError):
        return None


class CleanEntry(Clean):
    """A kept entry: corpus, name (fastw2v-KEY), files {suffix: bytes}, manifest, words,
    counts, tokens, ends, and reference (the vectors of its --threads 1 run)."""

    def path(self, cache: Path, suffix: str) -> Path:
        return cache / f"{self.name}.{suffix}"

    def write(self, cache: Path) -> None:
        cache.mkdir(mode=0o700)
        for suffix, data in self.files.items():
            self.path(cache, suffix).write_bytes(data)


@dataclass
class Mutation:
    label: str
    expect: str
    forged: tuple | None = None  # (words, counts, tokens, ends) of a forged entry


@pytest.fixture(scope="module")
def entry(tmp_path_factory, corpus) -> CleanEntry:
    """A clean kept entry made by the CLI, and the vectors of that run."""
    d = tmp_path_factory.mktemp("entry")
    for out in ("ref.txt", "again.txt"):  # the second run is served from the cache
        code, _, err = cli(["train", corpus, "-o", d / out, "--cache-dir", d / "cache", *ONE_EPOCH])
        assert code == 0 and err == ""
    reference = (d / "ref.txt").read_bytes()
    assert (d / "again.txt").read_bytes() == reference
    name = TokenCache(d / "cache", Corpus([corpus]), OPTS).name
    assert sorted(p.name for p in (d / "cache").iterdir()) == sorted(f"{name}.{s}" for s in SUFFIXES)
    files = {s: (d / "cache" / f"{name}.{s}").read_bytes() for s in SUFFIXES}
    manifest = json.loads(files["json"])
    vocab = Vocabulary.from_bytes(files["vocab"])
    tokens, ends = np.frombuffer(files["tokens"], np.int32), np.frombuffer(files["ends"], np.int64)
    assert len(vocab) == 300 and 3000 < len(tokens) < 5000 and len(ends) == 301
    assert manifest["tokens_sum"] == fletcher(tokens) and manifest["ends_sum"] == fletcher(ends)
    assert manifest["manifest_sha256"] == manifest_digest(manifest)
    return CleanEntry(name, corpus=corpus, name=name, files=files, manifest=manifest, words=vocab.words,
                      counts=vocab.counts.tolist(), tokens=tokens, ends=ends, reference=reference)


def write_manifest(e: CleanEntry, cache: Path, manifest: dict, recompute: bool = True) -> None:
    if recompute:
        manifest["manifest_sha256"] = manifest_digest(manifest)
    e.path(cache, "json").write_bytes(json.dumps(manifest, indent=1).encode())


def damage_bytes(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    suffix = draw(st.sampled_from(SUFFIXES))
    old = e.files[suffix]
    new = damaged_bytes(draw, old)
    e.path(cache, suffix).write_bytes(new)
    if suffix == "json":  # whitespace, say, does not matter: what the manifest says does
        changed = canonical_manifest(new) != canonical_manifest(old)
    else:
        changed = new != old
    return Mutation(f"{suffix} bytes", DAMAGED if changed else HARMLESS)


FS_OPS = ("symlink", "dangling symlink", "directory", "directory with a file", "fifo", "foreign owner",
          "missing", "stray json.tmp")


def damage_filesystem(draw, e: CleanEntry, cache: Path, outside: Path, suffix=None, op=None) -> Mutation:
    suffix = suffix or draw(st.sampled_from(SUFFIXES))
    op = op or draw(st.sampled_from(FS_OPS))
    path = e.path(cache, suffix)
    if op == "stray json.tmp":  # an interrupted build's leftover: not part of the entry
        e.path(cache, "json.tmp").write_bytes(b"{half a manifest")
        return Mutation(op, HARMLESS)
    if op == "foreign owner":
        os.chown(path, 12345, 12345)
        return Mutation(f"{suffix} {op}", DAMAGED)
    path.unlink()
    if op == "symlink":  # even to the very same bytes: only a regular file of ours is trusted
        (outside / path.name).write_bytes(e.files[suffix])
        path.symlink_to(outside / path.name)
    elif op == "dangling symlink":
        path.symlink_to(outside / "nowhere")
    elif op.startswith("directory"):
        path.mkdir()
        if op == "directory with a file":
            (path / "inside").write_bytes(b"x")
    elif op == "fifo":  # reading it would block for ever
        os.mkfifo(path)
    return Mutation(f"{suffix} {op}", ABSENT if op == "missing" and suffix == "json" else DAMAGED)


def near_values(field: str, old):
    """Values a manifest field might take when damaged or forged."""
    if field == "version":
        return st.sampled_from([1, 3, "2", 2.0, -2, 2**63])
    if field in ("tokens", "sentences", "vocabulary_size"):
        return st.one_of(st.integers(old - 3, old + 3),
                         st.sampled_from([old * 2, old // 2, float(old), str(old), -old, 2**62, 2**64]))
    if field == "files":
        return st.sampled_from([[], [{"path": "/elsewhere", "size": 1, "mtime_ns": 2}], "x"])
    flipped = old[:3] + ("0" if old[3] != "0" else "1") + old[4:]
    return st.sampled_from([flipped, old[::-1], old.upper(), old[:-1], old + "0", "", None, int(old, 16)])


JSON_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.integers(2**31, 2**70), st.floats(),
                      st.text(max_size=12), st.lists(st.integers(), max_size=2),
                      st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def damage_manifest(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    """Edit, delete or add a manifest field, or only reformat it; its own checksum
    recomputed (forging) or not."""
    m = json.loads(e.files["json"])
    recompute = draw(st.booleans())
    action = draw(st.sampled_from(["edit", "edit", "delete", "add", "reformat"]))
    same = True  # with a recomputed checksum: do the fields open() checks still hold?
    if action == "edit":
        field = draw(st.sampled_from(CHECKED_FIELDS + ("files",) + (() if recompute else ("manifest_sha256",))))
        old = m[field]
        new = draw(st.one_of(near_values(field, old), JSON_JUNK))
        m[field] = new
        same = field == "files" or (new == old if field == "version" else type(new) is type(old) and new == old)
    elif action == "delete":
        field = draw(st.sampled_from(CHECKED_FIELDS + ("files",)))
        del m[field]
        same = field == "files"
    elif action == "add":
        m[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in m))] = draw(JSON_JUNK)
    if recompute:
        m["manifest_sha256"] = manifest_digest(m)
    indent = draw(st.sampled_from([None, 0, 1, 4, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32"]))  # json.loads detects them
    raw = json.dumps(m, indent=indent, separators=separators, ensure_ascii=draw(st.booleans())).encode(encoding)
    e.path(cache, "json").write_bytes(raw)
    if recompute:
        expect = HARMLESS if same else DAMAGED
    else:
        expect = HARMLESS if canonical_manifest(raw) == canonical_manifest(e.files["json"]) else DAMAGED
    return Mutation(f"manifest {action}{' (checksum recomputed)' if recompute else ''}", expect)


def damage_ids(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    """Token ids outside [0, V), or other valid ids (with the checksum recomputed: forged)."""
    tokens, v = e.tokens.copy(), len(e.words)
    positions = draw(st.lists(st.integers(0, len(tokens) - 1), min_size=1, max_size=5))
    in_range = draw(st.booleans())
    for p in positions:
        tokens[p] = draw(st.integers(0, v - 1) if in_range else
                         st.sampled_from([-1, v, v + 1, v + 1000, 2**31 - 1, -2**31]))
    e.path(cache, "tokens").write_bytes(tokens.tobytes())
    recompute = draw(st.booleans())
    if recompute:
        write_manifest(e, cache, {**e.manifest, "tokens_sum": fletcher(tokens)})
    if not in_range:
        return Mutation("ids out of range", DAMAGED)
    if np.array_equal(tokens, e.tokens):
        return Mutation("ids unchanged", HARMLESS)
    if recompute:
        return Mutation("ids forged", FORGED, (e.words, e.counts, tokens, e.ends))
    return Mutation("ids changed", DAMAGED)


def damage_ends(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    """Sentence ends that do not strictly increase, pass the last token or stop short of it;
    or (forged) two sentences merged."""
    ends, n = e.ends.copy(), len(e.tokens)
    how = draw(st.sampled_from(["repeat", "decrease", "zero", "negative", "past the end", "last short",
                                "last long", "drop last", "merge"]))
    i = draw(st.integers(1, len(ends) - 1))
    if how == "repeat":
        ends[i] = ends[i - 1]
    elif how == "decrease":
        ends[i] = ends[i - 1] - draw(st.integers(1, 5))
    elif how == "zero":
        ends[0] = 0
    elif how == "negative":
        ends[i] = -draw(st.integers(1, 2**62))
    elif how == "past the end":
        ends[i] = n + draw(st.integers(1, 2**40))
    elif how == "last short":
        ends[-1] = n - 1
    elif how == "last long":
        ends[-1] = n + 1
    elif how == "drop last":
        ends = ends[:-1]
    else:
        ends = np.delete(ends, i - 1)  # still increasing, still ending at n
    e.path(cache, "ends").write_bytes(ends.tobytes())
    recompute = draw(st.booleans())
    if recompute:
        write_manifest(e, cache, {**e.manifest, "sentences": len(ends), "ends_sum": fletcher(ends)})
    if how == "merge" and recompute:
        return Mutation("ends forged", FORGED, (e.words, e.counts, e.tokens, ends))
    return Mutation(f"ends {how}", DAMAGED)


def damage_vocab(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    """A garbled vocabulary, its checksum (and the manifest's) recomputed or not."""
    lines = e.files["vocab"].split(b"\n")[:-1]
    how = draw(st.sampled_from(["duplicate", "zero count", "huge count", "negative count", "remove line",
                                "space in word", "tab in word", "empty word", "no final newline",
                                "blank line", "crlf", "invalid utf-8", "other count", "swap lines"]))
    i, j = draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2, unique=True))
    word, count = lines[i].rsplit(b" ", 1)
    if how == "duplicate":
        lines[j] = lines[i].rsplit(b" ", 1)[0] + b" " + lines[j].rsplit(b" ", 1)[1]
    elif how.endswith("count") and how != "other count":
        lines[i] = word + b" " + {"zero count": b"0", "huge count": b"1" * 16, "negative count": b"-5"}[how]
    elif how == "remove line":
        del lines[i]
    elif how in ("space in word", "tab in word"):
        lines[i] = word[:1] + (b" " if how == "space in word" else b"\t") + word[1:] + b" " + count
    elif how == "empty word":
        lines[i] = b" " + count
    elif how == "blank line":
        lines.insert(i, b"")
    elif how == "crlf":
        lines[i] += b"\r"
    elif how == "invalid utf-8":
        lines[i] = word + b"\xff " + count
    elif how == "other count":
        lines[i] = word + b" " + str(draw(st.integers(1, 10**15 - 1).filter(lambda c: c != int(count)))).encode()
    elif how == "swap lines":
        lines[i], lines[j] = lines[j], lines[i]
    data = b"\n".join(lines) + (b"" if how == "no final newline" else b"\n")
    e.path(cache, "vocab").write_bytes(data)
    recompute = draw(st.booleans())
    if recompute:
        m = {**e.manifest, "vocab_sha256": hashlib.sha256(data).hexdigest()}
        if how == "remove line" and draw(st.booleans()):
            m["vocabulary_size"] -= 1
        write_manifest(e, cache, m)
    if how in ("other count", "swap lines") and recompute:
        forged = [line.rsplit(b" ", 1) for line in lines]
        return Mutation(f"vocabulary forged: {how}", FORGED,
                        ([w.decode() for w, _ in forged], [int(c) for _, c in forged], e.tokens, e.ends))
    return Mutation(f"vocabulary {how}", DAMAGED)


ENTRY_DAMAGE = [damage_bytes, damage_bytes, damage_filesystem, damage_manifest, damage_ids, damage_ends,
                damage_vocab]


def damage_entry(draw, e: CleanEntry, cache: Path, outside: Path) -> Mutation:
    mutation = draw(st.sampled_from(ENTRY_DAMAGE))(draw, e, cache, outside)
    event(f"cache: {mutation.expect}")
    return mutation


def check_entry_invariants(vocab: Vocabulary, enc) -> None:
    """What every kernel assumes of an entry it is given."""
    v = len(vocab)
    assert v >= 1 and len(set(vocab.words)) == v
    assert all(w and not WHITESPACE.search(w) for w in vocab.words)
    assert vocab.counts.dtype == np.int64 and vocab.counts.shape == (v,)
    assert (vocab.counts >= 1).all() and (vocab.counts < 10**15).all()
    tokens, ends = enc.tokens, enc.sentence_ends
    assert tokens.dtype == np.int32 and ends.dtype == np.int64 and tokens.ndim == ends.ndim == 1
    assert len(tokens) >= 1 and tokens.min() >= 0 and tokens.max() < v
    assert len(ends) >= 1 and ends[0] > 0 and (np.diff(ends) > 0).all() and ends[-1] == len(tokens)


def check_entry_library(e: CleanEntry, cache: Path, mutation: Mutation) -> None:
    """open() refuses exactly the damaged entries; what it accepts is sound (and, unless
    forged, exactly the clean entry)."""
    try:
        found = TokenCache(cache, Corpus([e.corpus]), OPTS).open()
    except DamagedEntry as exc:
        assert mutation.expect == DAMAGED, f"{mutation}: refused ({exc})"
        assert str(exc) and "\n" not in str(exc)
        return
    if mutation.expect == ABSENT:
        assert found is None
        return
    assert mutation.expect in (HARMLESS, FORGED), f"{mutation}: accepted"
    vocab, enc = found
    try:
        check_entry_invariants(vocab, enc)
        words, counts, tokens, ends = mutation.forged or (e.words, e.counts, e.tokens, e.ends)
        assert vocab.words == words and vocab.counts.tolist() == counts
        assert np.array_equal(enc.tokens, tokens) and np.array_equal(enc.sentence_ends, ends)
    finally:
        enc.close()


def regular_files(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if stat.S_ISREG(os.lstat(p).st_mode)}


def check_entry_cli(e: CleanEntry, d: Path, cache: Path, outside: Path, mutation: Mutation) -> None:
    """The CLI trains exactly as from a clean entry; a damaged one gives one warning line and
    is rebuilt as it was; anything else is left alone."""
    before = regular_files(cache) if mutation.expect in (HARMLESS, FORGED) else None
    outside_before = regular_files(outside)
    runs = run_directories()
    code, stdout, err = cli(["train", e.corpus, "-o", d / "vec.txt", "--cache-dir", cache, *ONE_EPOCH])
    assert code == 0 and stdout == "", err
    if mutation.expect == DAMAGED:
        check_one_line(err, "warning", str(e.path(cache, "json")), "rebuilding")
    else:
        assert err == ""
    if mutation.expect == FORGED:  # trained on what the entry says, soundly
        words, vectors = load_word2vec(d / "vec.txt")
        assert words == mutation.forged[0] and vectors.shape == (len(words), 8) and np.isfinite(vectors).all()
    else:
        assert (d / "vec.txt").read_bytes() == e.reference
    if mutation.expect in (DAMAGED, ABSENT):
        assert sorted(os.listdir(cache)) == sorted(f"{e.name}.{s}" for s in SUFFIXES)
        assert regular_files(cache) == {f"{e.name}.{s}": data for s, data in e.files.items()}
        assert all(os.lstat(p).st_uid == os.geteuid() for p in cache.iterdir())
    else:
        assert regular_files(cache) == before and len(os.listdir(cache)) == len(before)
    assert regular_files(outside) == outside_before  # a symlink's target is never touched
    assert run_directories() == runs


@fuzz("cache_library")
@given(data=st.data())
def test_fuzz_cache_entry_library(entry, data):
    """Each damaged entry is refused by TokenCache.open(), each harmless change accepted."""
    with scratch() as d:
        cache, outside = d / "cache", d / "outside"
        entry.write(cache)
        outside.mkdir()
        mutation = damage_entry(data.draw, entry, cache, outside)
        check_entry_library(entry, cache, mutation)


@fuzz("cache_cli")
@given(data=st.data())
def test_fuzz_cache_entry_cli(entry, data):
    """``train --cache-dir``: one warning and a rebuild for a damaged entry, the clean
    run's vectors byte for byte."""
    with scratch() as d:
        cache, outside = d / "cache", d / "outside"
        entry.write(cache)
        outside.mkdir()
        mutation = damage_entry(data.draw, entry, cache, outside)
        check_entry_library(entry, cache, mutation)
        check_entry_cli(entry, d, cache, outside, mutation)


@pytest.mark.parametrize("op", FS_OPS)
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_cache_entry_file_replaced(entry, suffix, op):
    """Every file of an entry as a symlink, a directory, a FIFO, a foreign file or missing."""
    with scratch() as d:
        cache, outside = d / "cache", d / "outside"
        entry.write(cache)
        outside.mkdir()
        mutation = damage_filesystem(None, entry, cache, outside, suffix, op)
        check_entry_library(entry, cache, mutation)
        check_entry_cli(entry, d, cache, outside, mutation)


@pytest.mark.parametrize("how", ["foreign owner", "symlink", "file"])
def test_cache_directory_not_ours(entry, how):
    """A --cache-dir of another user, a symlink or a file: one error line, nothing written."""
    with scratch() as d:
        real = d / "real"
        entry.write(real)
        cache = d / "cache"
        if how == "foreign owner":
            real.rename(cache)
            os.chown(cache, 12345, 12345)
        elif how == "symlink":
            cache.symlink_to(real)
        else:
            cache.write_bytes(b"not a directory")
        before = sorted(os.listdir(d))
        code, _, err = cli(["train", entry.corpus, "-o", d / "vec.txt", "--cache-dir", cache, *ONE_EPOCH])
        if how == "symlink":  # a link to a directory of ours is that directory
            assert code == 0 and err == "" and (d / "vec.txt").read_bytes() == entry.reference
            return
        assert code == 2
        check_one_line(err, "error", str(cache))
        assert sorted(os.listdir(d)) == before


# ---------------------------------------------------------------- 2. checkpoints
# What a damaged checkpoint must give: refused by load_checkpoint (and so by --resume, one
# line naming the checkpoint); refused by --resume (the library may load it: the ``cli``
# dict, the corpus files and the chunk layout are checked there); harmless (loads as the
# clean one, resumes to the same vectors); or valid (loads soundly: the run ends with
# status 0, or 2 and one line).
REFUSED, RESUME_REFUSED, VALID = "refused", "refused by --resume", "valid"
NAMES = ("header", "words", "counts", "syn0", "syn1", "biases", "chunk_done")


class CleanCheckpoint(Clean):
    """loss; data (the .npz after epoch 1 of 2, its cli output "vec.txt": the example's
    directory), its arrays and header; reference (the vectors of the uninterrupted run);
    loaded (what load_checkpoint gives, comparable)."""


def members(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def npz_bytes(arrays: dict, header: dict | None = None) -> bytes:
    arrays = dict(arrays)
    if header is not None:
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def comparable(loaded, info_too: bool = True) -> dict:
    model, state, info = loaded
    return {"words": model.vocab.words, "counts": model.vocab.counts.tobytes(),
            "syn0": model.syn0.tobytes(), "syn1": model.syn1.tobytes(),
            "biases": None if model.biases is None else model.biases.tobytes(),
            "options": json.dumps(model.options.__dict__, sort_keys=True),
            "state": json.dumps([state.epoch, state.words_done, state.epoch_words, state.epoch_loss,
                                 state.train_seconds, state.epoch_losses]),
            "chunk_done": state.chunk_done.tobytes(), "info": json.dumps(info, sort_keys=True) if info_too else None}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, corpus) -> dict:
    """For ns, nce and hs: the checkpoint a CLI run wrote after epoch 1 of 2, and the
    vectors of that run (resuming the checkpoint gives them back, byte for byte)."""
    d = tmp_path_factory.mktemp("checkpoints")
    save = driver._save_checkpoint
    out = {}
    for loss in LOSSES:
        written = []

        def keep(model, state, control, written=written):
            save(model, state, control)
            written.append(Path(control.checkpoint).read_bytes())

        with pytest.MonkeyPatch.context() as m:
            m.setattr(driver, "_save_checkpoint", keep)
            code, _, err = cli(["train", corpus, "-o", d / f"{loss}.txt", *FAST, "--epochs", "2", "--loss", loss,
                                "--checkpoint", d / f"{loss}.ckpt", "--checkpoint-every", "1000"])
        assert code == 0 and err == "" and len(written) == 2
        arrays = members(written[0])
        header = json.loads(arrays["header"].tobytes())
        assert header["state"]["epoch"] == 1 and header["options"]["loss"] == loss
        header["info"]["cli"]["output"] = "vec.txt"
        data = npz_bytes(arrays, header)
        reference = (d / f"{loss}.txt").read_bytes()
        with scratch() as s:
            (s / "run.ckpt").write_bytes(data)
            loaded = comparable(load_checkpoint(s / "run.ckpt"))
            code, _, err = cli(["train", "--resume", s / "run.ckpt", "-q"])
            assert code == 0 and err == ""
            assert (s / "vec.txt").read_bytes() == reference
        out[loss] = CleanCheckpoint(loss, loss=loss, data=data, arrays=members(data),
                                    header=json.loads(json.dumps(header)), reference=reference, loaded=loaded)
    return out


def check_checkpoint_invariants(loaded) -> None:
    """What training assumes of a restored model and state."""
    model, state, info = loaded
    o = model.options
    assert o == o.resolved()  # valid, every default filled in
    v = len(model.vocab)
    assert v >= 1 and len(set(model.words)) == v and all(w and not WHITESPACE.search(w) for w in model.words)
    counts = model.vocab.counts
    assert counts.dtype == np.int64 and counts.shape == (v,) and (counts >= 1).all() and (counts < 10**15).all()
    assert model.input_vectors.shape == (v, o.dim) and model.syn0.dtype == model.syn1.dtype == np.float32
    assert model.syn1.shape[0] == (v - 1 if o.loss == "hs" else v)
    for matrix in (model.input_vectors, model.syn1[:, :o.dim]) + ((model.biases,) if o.loss == "nce" else ()):
        assert np.isfinite(matrix).all() and (np.abs(matrix) <= DIVERGED_LIMIT).all()
    assert (model.biases is not None) == (o.loss == "nce")
    assert state.chunk_done.dtype == np.uint8 and state.chunk_done.ndim == 1 and (state.chunk_done <= 1).all()
    assert 0 <= state.epoch <= o.epochs and len(state.epoch_losses) <= state.epoch
    assert 0 <= state.words_done < 2**63 and 0 <= state.epoch_words < 2**63
    assert np.isfinite(state.epoch_loss) and state.epoch_loss >= 0 and isinstance(info, dict)


def check_checkpoint_library(c: CleanCheckpoint, path: Path, expect: str) -> bool:
    """load_checkpoint refuses what it must, and what it loads is sound. Returns whether
    it loaded."""
    try:
        loaded = load_checkpoint(path)
    except FastW2VError as exc:
        assert expect in (REFUSED, VALID, RESUME_REFUSED), f"{expect}: refused ({exc})"
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return False
    assert expect != REFUSED, "loaded a checkpoint it must refuse"
    check_checkpoint_invariants(loaded)
    if expect == HARMLESS:  # the same model and state (the run facts may differ)
        assert comparable(loaded, info_too=False) == {**c.loaded, "info": None}
    return True


def check_resume_cli(c: CleanCheckpoint, d: Path, path: Path, expect: str) -> None:
    """``train --resume``: status 2 and one line naming the checkpoint, or the run completes
    (with the uninterrupted run's vectors when the damage is harmless); nothing else written."""
    before = sorted(os.listdir(d))
    runs = run_directories()
    code, stdout, err = cli(["train", "--resume", path, "-q"])
    assert stdout == "" and "Traceback" not in err
    assert run_directories() == runs
    if expect in (REFUSED, RESUME_REFUSED):
        assert code == 2, err
        check_one_line(err, "error", str(path))
    elif expect == HARMLESS:
        assert code == 0 and err == "", err
        assert (d / "vec.txt").read_bytes() == c.reference
        return
    else:
        assert code in (0, 2), err
        if code == 0:
            assert err == ""
            return
        check_one_line(err, "error")
    assert sorted(os.listdir(d)) == before  # no output, no temporary file


ZIP_FIELDS = {  # central directory record: offset, size of the field
    "version needed": (6, 2), "flags": (8, 2), "method": (10, 2), "crc": (16, 4), "compressed size": (20, 4),
    "size": (24, 4), "name length": (28, 2), "extra length": (30, 2), "local header offset": (42, 4)}


def raw_damage(draw, c: CleanCheckpoint) -> bytes:
    """Byte damage anywhere, or a field of a zip directory record set to another value."""
    if draw(st.integers(0, 3)):
        return damaged_bytes(draw, c.data)
    data = bytearray(c.data)
    records = [m.start() for m in re.finditer(b"PK\x01\x02", bytes(data))]
    at = draw(st.sampled_from(records))
    offset, size = ZIP_FIELDS[draw(st.sampled_from(sorted(ZIP_FIELDS)))]
    value = draw(st.sampled_from([0, 1, 8, 12, 14, 99, 2**(8 * size) - 1]) | st.integers(0, 2**(8 * size) - 1))
    data[at + offset:at + offset + size] = value.to_bytes(size, "little")
    return bytes(data)


def check_raw(c: CleanCheckpoint, data: bytes, d: Path, cli_too: bool) -> None:
    """Raw damage: every member is CRC-checked, so the checkpoint is refused or loads as
    the clean one (a change in the archive's bookkeeping only)."""
    path = d / "run.ckpt"
    path.write_bytes(data)
    try:
        loaded = load_checkpoint(path)
    except FastW2VError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        expect = REFUSED
    else:
        assert comparable(loaded) == c.loaded
        expect = HARMLESS
    if cli_too:
        check_resume_cli(c, d, path, expect)


@fuzz("checkpoint_bytes_library")
@given(loss=st.sampled_from(LOSSES), data=st.data())
def test_fuzz_checkpoint_bytes_library(checkpoints, loss, data):
    with scratch() as d:
        check_raw(checkpoints[loss], raw_damage(data.draw, checkpoints[loss]), d, cli_too=False)


@fuzz("checkpoint_bytes_cli")
@given(loss=st.sampled_from(LOSSES), data=st.data())
def test_fuzz_checkpoint_bytes_cli(checkpoints, loss, data):
    with scratch() as d:
        check_raw(checkpoints[loss], raw_damage(data.draw, checkpoints[loss]), d, cli_too=True)


# Semantic damage: each returns (label, expect), editing ``a`` (the members) and ``h`` (the header).
def bad_vector_values(draw, c, a, h, d):
    member = draw(st.sampled_from(["syn0", "syn1"] + (["biases"] if c.loss == "nce" else [])))
    x = a[member].copy()
    at = tuple(draw(st.integers(0, n - 1)) for n in x.shape)
    big = draw(st.booleans())
    x[at] = draw(st.sampled_from([np.nan, np.inf, -np.inf, DIVERGED_LIMIT * 1.01, -1e30, 3.4e38]) if big else
                 st.floats(-1, 1, width=32))
    a[member] = x
    return f"{member} value", REFUSED if big else VALID


def bad_shape(draw, c, a, h, d):
    member = draw(st.sampled_from(["syn0", "syn1", "biases", "counts", "chunk_done"]))
    x = a[member]
    if x.ndim == 2:
        how = draw(st.sampled_from(["add row", "drop row", "add column", "drop column", "transpose", "flatten",
                                    "3-d"]))
        x = {"add row": lambda: np.vstack([x, x[:1]]), "drop row": lambda: x[:-1],
             "add column": lambda: np.hstack([x, x[:, :1]]), "drop column": lambda: x[:, :-1],
             "transpose": lambda: np.ascontiguousarray(x.T), "flatten": lambda: x.ravel(),
             "3-d": lambda: x[None]}[how]()
    else:
        how = draw(st.sampled_from(["add element", "drop element", "2-d"]))
        if how == "drop element" and len(x) == 0:
            how = "add element"
        x = {"add element": lambda: np.concatenate([x, np.zeros(1, x.dtype)]), "drop element": lambda: x[:-1],
             "2-d": lambda: x[None]}[how]()
    a[member] = x
    return f"{member} {how}", RESUME_REFUSED if member == "chunk_done" and x.ndim == 1 else REFUSED


OTHER_DTYPES = {"header": ["i1", "<u2"], "words": ["i1", "<u2", "S1"], "counts": ["<i4", "<u8", "<f8", ">i8"],
                "syn0": ["<f8", "<f2", ">f4", "<i4"], "syn1": ["<f8", "<f2", ">f4", "<i4"],
                "biases": ["<f8", "<f2", ">f4", "<i4"], "chunk_done": ["?", "<i8", "i1"]}


def bad_dtype(draw, c, a, h, d):
    member = draw(st.sampled_from(NAMES))
    if member in ("syn0", "syn1") and draw(st.booleans()):
        a[member] = np.asfortranarray(a[member])
        return f"{member} fortran order", REFUSED
    dtype = draw(st.sampled_from(OTHER_DTYPES[member]))
    a[member] = a[member].view("S1") if dtype == "S1" else a[member].astype(dtype)
    if member == "header":
        h.clear()  # the header member goes as it is now
    return f"{member} as {dtype}", REFUSED


def bad_members(draw, c, a, h, d):
    if draw(st.booleans()):
        del a[draw(st.sampled_from(NAMES[1:]))]
        return "missing member", REFUSED
    a[draw(st.sampled_from(["extra", "syn0_old", "notes"]))] = np.arange(draw(st.integers(0, 5)))
    return "extra member", HARMLESS


def bad_chunk_flags(draw, c, a, h, d):
    how = draw(st.sampled_from(["value", "length", "all done"]))
    if how == "value":
        a["chunk_done"] = np.full(len(a["chunk_done"]), draw(st.integers(2, 255)), np.uint8)
        return "chunk flag > 1", REFUSED
    if how == "length":
        a["chunk_done"] = np.zeros(draw(st.sampled_from([0, 2, 3, 100])), np.uint8)
        return "chunk flags count", RESUME_REFUSED
    a["chunk_done"] = np.ones_like(a["chunk_done"])
    return "chunks all done", VALID


def bad_words(draw, c, a, h, d):
    words = a["words"].tobytes().split(b"\n")
    i, j = draw(st.lists(st.integers(0, len(words) - 1), min_size=2, max_size=2, unique=True))
    how = draw(st.sampled_from(["duplicate", "empty", "trailing newline", "invalid utf-8", "whitespace",
                                "renamed"]))
    if how == "duplicate":
        words[j] = words[i]
    elif how == "empty":
        words[i] = b""
    elif how == "invalid utf-8":
        words[i] += draw(st.sampled_from([b"\xff", b"\xc3", b"\x80"]))
    elif how == "whitespace":
        words[i] = words[i][:1] + draw(st.sampled_from([b" ", b"\t", b"\r", b"\x0b", b"\x0c"])) + words[i][1:]
    elif how == "renamed":  # another word the corpus does not hold: valid
        words[i] = draw(st.sampled_from(["zz", "caf\u00e9", "a\u00a0b", "\u65e5\u672c"])).encode() + b"%d" % i
    data = b"\n".join(words) + (b"\n" if how == "trailing newline" else b"")
    a["words"] = np.frombuffer(data, np.uint8)
    return f"words {how}", VALID if how == "renamed" else REFUSED


def bad_counts(draw, c, a, h, d):
    counts = a["counts"].copy()
    i = draw(st.integers(0, len(counts) - 1))
    bad = draw(st.booleans())
    counts[i] = draw(st.sampled_from([0, -1, -2**63, 10**15, 2**63 - 1]) if bad else st.integers(1, 10**15 - 1))
    a["counts"] = counts
    return "count", REFUSED if bad else VALID


INT_OPTIONS = ("dim", "window", "negative", "min_count", "max_vocab_size", "epochs", "threads", "seed",
               "max_sentence_length", "minn", "maxn", "bucket", "share_negatives")
FLOAT_OPTIONS = ("sample", "alpha", "min_alpha", "ns_exponent")
STR_OPTIONS = ("model", "batching", "loss")
OPTIONAL = ("alpha", "min_alpha", "threads")
INVALID_OPTIONS = {
    "dim": [0, -1, 16, 100_001], "window": [0, -1, 10_001], "negative": [-1, 10_001], "min_count": [0, -5],
    "max_vocab_size": [-1, 2**62 + 1], "epochs": [0, -1, 10**7], "threads": [0, -1, 4097], "seed": [-1, 2**63],
    "max_sentence_length": [0, 2**31], "sample": [-0.1, float("nan"), float("inf"), 10**400],
    "alpha": [-1.0, float("nan"), float("inf"), 10**400], "min_alpha": [-1.0, 1.0, float("nan")],
    "ns_exponent": [-1.0, float("inf"), float("nan")], "model": ["x", "SG", ""], "batching": ["x", "none "],
    "loss": ["x", "NS"], "minn": [0, -1, 1001], "maxn": [-1, 1001], "bucket": [-1, 2**31],
    "share_negatives": [-1, 10_001]}


def bad_options(draw, c, a, h, d):
    options = h["options"]
    how = draw(st.sampled_from(["unknown", "type", "value", "other loss", "delete"]))
    if how == "unknown":
        options[draw(st.sampled_from(["hs", "size", "iter", "cbow", "x"]))] = 1
        return "unknown option", REFUSED
    if how == "delete":
        field = draw(st.sampled_from(sorted(options)))
        del options[field]
        return f"option {field} deleted", VALID
    if how == "other loss":
        options["loss"] = draw(st.sampled_from([x for x in LOSSES if x != c.loss]))
        return "loss changed", REFUSED
    field = draw(st.sampled_from(sorted(options)))
    if how == "value":
        options[field] = draw(st.sampled_from(INVALID_OPTIONS[field]))
        return f"option {field} invalid", REFUSED
    if field in INT_OPTIONS:
        value = draw(st.sampled_from([str(options[field]), float(options[field]), True, None, [1]]))
    elif field in FLOAT_OPTIONS:
        value = draw(st.sampled_from([str(options[field]), True, None, [0.1], 1, 0]))
    else:
        value = draw(st.sampled_from([1, None, True, ["sg"]]))
    options[field] = value
    # None where a default exists, and an int for a float, are valid (and resolved)
    fine = (value is None and field in OPTIONAL) or (field in FLOAT_OPTIONS and type(value) is int)
    if fine and (field, value) in (("min_alpha", 1), ("alpha", 0)):
        fine = False  # min_alpha above alpha
    return f"option {field} as {type(value).__name__}", VALID if fine else REFUSED


def bad_state(draw, c, a, h, d):
    state, stats = h["state"], h["stats"]
    field = draw(st.sampled_from(["epoch", "words_done", "epoch_words", "epoch_loss", "train_seconds",
                                  "epoch_losses", "words_per_epoch", "prepare_seconds"]))
    where = stats if field in ("words_per_epoch", "prepare_seconds") else state
    bad, good = {
        "epoch": (["1", 1.0, True, None, -1, 3], [2]),
        "words_done": ([-1, "5", 5.0, None, 2**63, 10**30], [0, 10**12]),
        "epoch_words": ([-1, "5", 5.0, None, 2**63], [0, 10**12]),
        "epoch_loss": ([float("nan"), float("inf"), -1.0, "0", None, True], [0, 1e300]),
        "train_seconds": ([float("nan"), float("inf"), -1.0, "0", None], [0, 1e9]),
        "epoch_losses": (["x", [1, 2, 3], ["a"], None, [True]], [[], [0.5]]),
        "words_per_epoch": ([-1, "x", 1.5, None, 2**63], [0, 7]),
        "prepare_seconds": (["x", None, True], [0, float("nan"), 1e9]),
    }[field]
    is_bad = draw(st.booleans())
    where[field] = draw(st.sampled_from(bad if is_bad else good))
    if not is_bad and field == "epoch_losses" and len(where[field]) > state["epoch"]:
        is_bad = True
    return f"{field}", REFUSED if is_bad else VALID


def bad_header(draw, c, a, h, d):
    how = draw(st.sampled_from(["format", "version", "part missing", "part type", "not a dict", "not json",
                                "invalid utf-8", "deep", "extra key"]))
    if how == "format":
        h["format"] = draw(st.sampled_from(["fastw2v-checkpoint ", "other", None, 1]))
    elif how == "version":
        h["version"] = draw(st.sampled_from([2, "1", None, 0, True, 1.0]))
        return "header version", HARMLESS if h["version"] == 1 else REFUSED
    elif how == "part missing":
        del h[draw(st.sampled_from(["options", "state", "stats", "info"]))]
    elif how == "part type":
        h[draw(st.sampled_from(["options", "state", "stats", "info"]))] = draw(st.sampled_from(["x", [], None, 1]))
    elif how == "extra key":
        h[draw(st.text(max_size=5).filter(lambda k: k not in h))] = draw(JSON_JUNK)
        return "header extra key", HARMLESS
    else:
        raw = {"not a dict": lambda: json.dumps(draw(st.sampled_from([[], "x", 1, None]))).encode(),
               "not json": lambda: draw(st.binary(max_size=40)),
               "invalid utf-8": lambda: b"\xff" + json.dumps(h).encode(),
               "deep": lambda: b"[" * draw(st.sampled_from([1000, 100_000]))}[how]()
        a["header"] = np.frombuffer(raw, np.uint8)
        h.clear()
    return f"header {how}", REFUSED


def bad_info(draw, c, a, h, d):
    info = h["info"]
    part = draw(st.sampled_from(["corpus", "cache", "cli", "cli"]))
    if part == "corpus":
        how = draw(st.sampled_from(["type", "size", "missing file", "empty", "deleted", "newline"]))
        files = info["corpus"]
        if how == "type":
            info["corpus"] = draw(st.sampled_from(["x", [1], [{"path": 1, "size": 1, "mtime_ns": 1}],
                                                   [{**files[0], "size": "1"}], [{**files[0], "mtime_ns": -1}]]))
            return "info corpus type", REFUSED
        if how == "size":
            files[0]["size"] += draw(st.sampled_from([-1, 1, 2**40]))
        elif how == "missing file":
            files[0]["path"] = str(d / "gone.txt")
        elif how == "newline":
            files[0]["path"] = str(d / "two\nlines.txt")
        elif how == "empty":
            info["corpus"] = []
        else:
            del info["corpus"]
        return f"info corpus {how}", RESUME_REFUSED
    if part == "cache":
        how = draw(st.sampled_from(["type", "victim", "gone", "not temporary", "null"]))
        if how == "type":
            info["cache"] = draw(st.sampled_from(["x", {"dir": 1, "temporary": True},
                                                  {"dir": "x", "temporary": "yes"}]))
            return "info cache type", REFUSED
        victim = draw(st.sampled_from([str(d / "victim"), "", ".", str(d), str(d / "victim" / ".." / "victim")]))
        info["cache"] = {"victim": {"dir": victim, "temporary": True},
                         "gone": {"dir": str(d / "fastw2v-run-gone"), "temporary": True},
                         "not temporary": {"dir": str(d / "victim"), "temporary": False}, "null": None}[how]
        return f"info cache {how}", HARMLESS  # the victims are checked as well
    saved = info["cli"]
    how = draw(st.sampled_from(["not a dict", "missing", "output type", "type", "nul", "loss", "export",
                                "classes", "save output", "binary"]))
    if how == "not a dict":
        info["cli"] = draw(st.sampled_from(["x", [], None, 1]))
    elif how == "missing":
        del info["cli"]
    elif how == "output type":
        saved["output"] = draw(st.sampled_from([1, None, [], True]))
    elif how == "type":
        field = draw(st.sampled_from(["binary", "classes", "classes_output", "auto_checkpoint", "loss", "export",
                                      "save_output"]))
        wrong = {"binary": ["yes", 1], "auto_checkpoint": ["yes", 1], "classes": ["yes", True]}.get(field, [1])
        saved[field] = draw(st.sampled_from([1.5, [], {}] + wrong))
    elif how == "nul":
        saved[draw(st.sampled_from(["output", "classes_output", "save_output"]))] = "a\0b.txt"
    elif how == "loss":
        saved["loss"] = draw(st.sampled_from([x for x in LOSSES + ("x", "") if x != c.loss]))
    elif how == "export":
        saved["export"] = draw(st.sampled_from(["x", "IN", "out", "in+out"]))
        if saved["export"] in ("out", "in+out") and c.loss != "hs":
            return "info cli export", VALID
    elif how == "classes":
        saved["classes"] = draw(st.sampled_from([-1, -2**40, 2, 10**6]))
        if saved["classes"] > 0:
            return "info cli classes", VALID
    elif how == "save output":
        saved["save_output"] = "out.txt"
        return "info cli save output", VALID if c.loss != "hs" else RESUME_REFUSED
    else:
        saved["binary"] = True
        return "info cli binary", VALID
    return f"info cli {how}", RESUME_REFUSED


SEMANTIC_DAMAGE = [bad_vector_values, bad_shape, bad_dtype, bad_members, bad_chunk_flags, bad_words, bad_counts,
                   bad_options, bad_options, bad_state, bad_header, bad_info, bad_info]


def semantic_damage(draw, c: CleanCheckpoint, d: Path) -> tuple[Path, str]:
    """A checkpoint rewritten with one kind of semantic damage; returns (path, expectation)."""
    a = {name: x.copy() for name, x in c.arrays.items()}
    h = json.loads(json.dumps(c.header))
    label, expect = draw(st.sampled_from(SEMANTIC_DAMAGE))(draw, c, a, h, d)
    event(f"checkpoint: {label}: {expect}")
    path = d / "run.ckpt"
    path.write_bytes(npz_bytes(a, h if h else None))
    return path, expect


def victims(d: Path) -> dict:
    """Files a forged ``info["cache"]`` must never get removed."""
    (d / "victim").mkdir()
    (d / "victim" / "precious.txt").write_text("keep me")
    (d / "precious.txt").write_text("keep me too")
    return {p: p.read_bytes() for p in (d / "victim" / "precious.txt", d / "precious.txt")}


@fuzz("checkpoint_semantic_library")
@given(loss=st.sampled_from(LOSSES), data=st.data())
def test_fuzz_checkpoint_semantic_library(checkpoints, loss, data):
    with scratch() as d:
        path, expect = semantic_damage(data.draw, checkpoints[loss], d)
        check_checkpoint_library(checkpoints[loss], path, expect)


@fuzz("checkpoint_semantic_cli")
@given(loss=st.sampled_from(LOSSES), data=st.data())
def test_fuzz_checkpoint_semantic_cli(checkpoints, loss, data):
    with scratch() as d:
        kept = victims(d)
        path, expect = semantic_damage(data.draw, checkpoints[loss], d)
        check_checkpoint_library(checkpoints[loss], path, expect)
        check_resume_cli(checkpoints[loss], d, path, expect)
        assert {p: p.read_bytes() for p in kept} == kept


# ---------------------------------------------------------------- 3. vocabulary files (--read-vocab)
@pytest.fixture(scope="module")
def vocab_file(entry) -> bytes:
    """The corpus vocabulary as word2vec.c writes it: the sentence marker first."""
    return b"</s> 0\n" + entry.files["vocab"]


VOCAB_PIECES = [b" ", b"\t", b"\r", b"\r\n", b"\n", b"\n\n", b"\x00", b"\xff", b"\xc3", b"\xc2\xa0", b"\xe2\x80\x83",
                b"\xc2\x85", b"\xef\xbb\xbf", b"</s>", b"0", b"-1", b"+5", b"1.5", b"1e3", b"\xd9\xa3", b"1" * 16,
                b"9" * 15, b"x", b"w1", b"w1 3", b"\xed\xa0\x80"]


def damaged_vocab(draw, clean: bytes) -> bytes:
    """Byte damage, or line edits: duplicated, deleted, swapped or edited lines, odd
    separators, line ends, counts and words, an empty or blank file."""
    if draw(st.integers(0, 2)) == 0:
        return damaged_bytes(draw, clean)
    how = draw(st.sampled_from(["duplicate", "delete", "swap", "insert", "edit", "all zero", "empty", "blank",
                                "crlf", "bom", "tabs", "huge word"]))
    lines = clean.split(b"\n")[:-1]
    i, j = draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2, unique=True))
    if how == "duplicate":
        lines.insert(j, lines[i])
    elif how == "delete":
        del lines[i:i + draw(st.integers(1, 50))]
    elif how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "insert":
        lines.insert(i, b"".join(draw(st.lists(st.sampled_from(VOCAB_PIECES), max_size=5))))
    elif how == "edit":
        word, count = lines[i].split(b" ")
        piece = b"".join(draw(st.lists(st.sampled_from(VOCAB_PIECES), min_size=1, max_size=3)))
        lines[i] = draw(st.sampled_from([piece + b" " + count, word + piece + b" " + count, word + b" " + piece,
                                         word + b" " + count + b" " + piece, piece]))
    elif how == "all zero":
        lines = [line.split(b" ")[0] + b" 0" for line in lines]
    elif how == "empty":
        return b""
    elif how == "blank":
        return b" \n\t\n\r\n"
    elif how == "crlf":
        return b"\r\n".join(lines) + b"\r\n"
    elif how == "bom":
        return b"\xef\xbb\xbf" + clean
    elif how == "tabs":
        lines = [line.replace(b" ", b"\t") for line in lines]
    else:
        lines[i] = b"x" * 100_000 + b" 7"
    return b"\n".join(lines) + draw(st.sampled_from([b"\n", b""]))


def check_vocabulary(vocab: Vocabulary) -> None:
    words, counts = vocab.words, vocab.counts.tolist()
    assert words and len(set(words)) == len(words)
    assert all(w and not WHITESPACE.search(w) and w != "</s>" for w in words)
    assert all(1 <= c < 10**15 for c in counts)
    assert sorted(zip(words, counts), key=lambda wc: (-wc[1], wc[0])) == list(zip(words, counts))


def load_vocab(path: Path) -> Vocabulary | None:
    """Vocabulary.load: one-line FastW2VError (None) or a sound vocabulary."""
    try:
        vocab = Vocabulary.load(path, 1)
    except FastW2VError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return None
    check_vocabulary(vocab)
    return vocab


@fuzz("vocab_library")
@given(data=st.data())
def test_fuzz_vocabulary_file_library(vocab_file, data):
    with scratch() as d:
        (d / "vocab.txt").write_bytes(damaged_vocab(data.draw, vocab_file))
        vocab = load_vocab(d / "vocab.txt")
        event(f"vocabulary: {'refused' if vocab is None else 'read'}")


@fuzz("vocab_cli")
@given(data=st.data())
def test_fuzz_vocabulary_file_cli(entry, vocab_file, data):
    """``train --read-vocab``: status 0 and one vector per word of the file, or 2 and one line."""
    with scratch() as d:
        (d / "vocab.txt").write_bytes(damaged_vocab(data.draw, vocab_file))
        vocab = load_vocab(d / "vocab.txt")
        runs = run_directories()
        code, stdout, err = cli(["train", entry.corpus, "-o", d / "vec.txt", "--read-vocab", d / "vocab.txt",
                                 *ONE_EPOCH])
        assert run_directories() == runs and stdout == ""
        if code == 0:
            assert vocab is not None and err == ""
            words, vectors = load_word2vec(d / "vec.txt")
            assert words == vocab.words and np.isfinite(vectors).all()
        else:
            assert code == 2
            check_one_line(err, "error")
            assert sorted(os.listdir(d)) == ["vocab.txt"]


# ---------------------------------------------------------------- 4. vector files
FORMATS = ("text", "binary", "text.gz", "binary.gz")


@pytest.fixture(scope="module")
def vector_files(entry) -> dict:
    """The reference vectors in each format: {format: (file name, stored bytes, content)}."""
    from fastw2v.vectors.word2vec_format import save_word2vec

    out = {}
    with scratch() as d:
        (d / "reference.txt").write_bytes(entry.reference)
        words, vectors = load_word2vec(d / "reference.txt")
        for fmt in FORMATS:
            binary = fmt.startswith("binary")
            save_word2vec(d / "v", words, vectors, binary=binary)
            plain = (d / "v").read_bytes()
            name = "vectors" + (".bin" if binary else ".txt") + (".gz" if fmt.endswith(".gz") else "")
            out[fmt] = (name, gzip.compress(plain, mtime=0) if fmt.endswith(".gz") else plain, plain)
    return out


NUMBER_PIECES = ["nan", "inf", "-inf", "1e39", "-1e39", "3e38", "1e-50", "x", "", "1e", "--1", "0x10", "1_0",
                 "1" * 400, "1e99999", "-0", ".", "+.5e-3", "\u0663", "1.5\x00"]


def damaged_vectors(draw, fmt: str, stored: bytes, plain: bytes) -> bytes:
    """Byte damage (of the compressed bytes too), or edits of the content: the header,
    a text value, a binary float, a line or a word."""
    gz = fmt.endswith(".gz")
    if draw(st.integers(0, 2)) == 0:
        return damaged_bytes(draw, stored)
    head, rest = plain.split(b"\n", 1)
    n, dim = (int(x) for x in head.split())
    how = draw(st.sampled_from(["header", "header", "value", "line", "word"]))
    if how == "header":
        head = draw(st.sampled_from([
            b"0 8", b"%d 8" % (n - 1), b"%d 8" % (n + 1), b"1000000000 8", b"-1 8", b"x 8", b"%d" % n,
            b"%d 8 1" % n, b"%d 0" % n, b"%d 7" % n, b"%d 9" % n, b"%d 1000000" % n, b"%d 1000001" % n,
            b"%d 100000000000" % n, b"%d -8" % n, b"\xef\xbb\xbf%d 8" % n, b"", b"  %d   8  " % n,
            b"10" * 3000 + b" 8"]))
        data = head + b"\n" + rest
    elif how == "value" and not fmt.startswith("binary"):
        lines = rest.split(b"\n")
        i = draw(st.integers(0, n - 1))
        parts = lines[i].split(b" ")
        parts[draw(st.integers(1, dim))] = draw(st.sampled_from(NUMBER_PIECES)).encode()
        lines[i] = b" ".join(parts)
        data = head + b"\n" + b"\n".join(lines)
    elif how == "value":  # a float32 of some vector: NaN, inf, huge, tiny
        body = bytearray(rest)
        at = 0
        for _ in range(draw(st.integers(0, n - 1))):  # records: word, space, 4 * dim bytes, newline
            at = body.index(b" ", at) + 1 + 4 * dim + 1
        at = body.index(b" ", at) + 1 + 4 * draw(st.integers(0, dim - 1))
        value = draw(st.sampled_from([np.nan, np.inf, -np.inf, 3.4e38, 1e-45, -0.0]))
        body[at:at + 4] = np.float32(value).tobytes()
        data = head + b"\n" + bytes(body)
    elif how == "line":
        cut = draw(st.integers(0, len(rest) - 1))
        piece = draw(st.sampled_from([b"\n", b"\n\n", b"\r\n", b" ", b"", b"\x00", b"w0 1 2 3\n"]))
        data = head + b"\n" + rest[:cut] + piece + rest[cut + draw(st.integers(0, 20)):]
    else:  # the first word: empty, a duplicate, with a space, invalid UTF-8, long
        word = draw(st.sampled_from([b"", b"w1", b"a b", b"\xff\xfe", b"x" * 200_000, b"\t"]))
        data = head + b"\n" + word + rest[rest.index(b" "):]
    return gzip.compress(data, mtime=0) if gz else data


def check_vectors_library(path: Path) -> bool:
    """load_word2vec and the query layer: a one-line FastW2VError or sound vectors."""
    from fastw2v.vectors.query import load_vectors

    with warnings.catch_warnings():
        strict_warnings()
        try:
            words, vectors = load_word2vec(path)
        except FastW2VError as exc:
            assert "\n" not in str(exc), str(exc)
            return False
        assert vectors.dtype == np.float32 and vectors.ndim == 2 and len(words) == len(vectors)
        assert all(isinstance(w, str) for w in words)
        try:
            wv = load_vectors(path)
        except FastW2VError as exc:
            assert "\n" not in str(exc) and "NaN or infinite" in str(exc), str(exc)
            assert not np.isfinite(vectors).all()
            return False
        unit = wv.unit
        assert np.isfinite(unit).all() and (np.abs(unit) <= 1.0001).all()
    return True


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text("w0\tw1\t3.5\nw2\tw3\t1.0\nw4\tw5\t2.0\nw6\tw0\t4.0\nw1\tw7\t0.5\n")
    return path


def vector_commands(path: Path, pairs: Path, d: Path) -> list:
    return [["eval", path, "--similarity", pairs], ["similar", path, "w0", "-n", "3"],
            ["analogy", path, "w0", "w1", "w2", "-n", "3"], ["classes", path, "-k", "2", "-o", d / "classes.txt", "-q"]]


@fuzz("vectors_library")
@given(fmt=st.sampled_from(FORMATS), data=st.data())
def test_fuzz_vector_file_library(vector_files, fmt, data):
    name, stored, plain = vector_files[fmt]
    with scratch() as d:
        (d / name).write_bytes(damaged_vectors(data.draw, fmt, stored, plain))
        event(f"vectors {fmt}: {'read' if check_vectors_library(d / name) else 'refused'}")


@fuzz("vectors_cli")
@given(fmt=st.sampled_from(FORMATS), data=st.data())
def test_fuzz_vector_file_cli(vector_files, pairs_file, fmt, data):
    """eval, similar, analogy and classes -k 2: status 0, or 2 and one line (the same for
    all four when the file itself is refused)."""
    name, stored, plain = vector_files[fmt]
    with scratch() as d:
        (d / name).write_bytes(damaged_vectors(data.draw, fmt, stored, plain))
        readable = check_vectors_library(d / name)
        for args in vector_commands(d / name, pairs_file, d):
            code, stdout, err = cli(args)
            if code == 0:
                assert readable and "Traceback" not in err
                assert stdout or args[0] == "classes"
            else:
                assert code == 2
                check_one_line(err, "error")
                assert stdout == ""
            if args[0] == "classes":
                assert (d / "classes.txt").exists() == (code == 0)


# ---------------------------------------------------------------- 5. in a real process: no signal
def run_real(args, cwd: Path):
    """``fastw2v ARGS`` in a subprocess with a time limit: status 0 or 2, never a signal
    (negative status), never a traceback (status 1)."""
    result = run_cli(args, cwd=cwd, timeout=180)
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result


@pytest.mark.parametrize("how", ["same-size garbage", "id out of range"])
def test_subprocess_damaged_cache_entry(entry, how):
    with scratch() as d:
        cache = d / "cache"
        entry.write(cache)
        if how == "same-size garbage":
            data = np.random.default_rng(5).bytes(len(entry.files["tokens"]))
        else:
            tokens = entry.tokens.copy()
            tokens[len(tokens) // 2] = 2**31 - 1
            data = tokens.tobytes()
        entry.path(cache, "tokens").write_bytes(data)
        result = run_real(["train", entry.corpus, "-o", d / "vec.txt", "--cache-dir", cache, *ONE_EPOCH], d)
        assert result.returncode == 0
        check_one_line(result.stderr, "warning", str(entry.path(cache, "json")), "rebuilding")
        assert (d / "vec.txt").read_bytes() == entry.reference
        assert entry.path(cache, "tokens").read_bytes() == entry.files["tokens"]


@pytest.mark.parametrize("how", ["nan", "truncated"])
def test_subprocess_damaged_checkpoint(checkpoints, how):
    c = checkpoints["ns"]
    with scratch() as d:
        if how == "nan":
            arrays = dict(c.arrays, syn0=c.arrays["syn0"].copy())
            arrays["syn0"][3, 2] = np.nan
            data = npz_bytes(arrays)
        else:
            data = c.data[:len(c.data) // 2]
        path = d / "run.ckpt"
        path.write_bytes(data)
        result = run_real(["train", "--resume", path, "-q"], d)
        assert result.returncode == 2
        check_one_line(result.stderr, "error", str(path))
        assert sorted(os.listdir(d)) == ["run.ckpt"]


# ---------------------------------------------------------------- 6. regressions: bugs this harness found
def rewritten(c: CleanCheckpoint, d: Path, header=None, **arrays) -> Path:
    """``c`` rewritten into ``d/run.ckpt`` with ``header(h)`` applied and members replaced."""
    h = json.loads(json.dumps(c.header))
    if header is not None:
        header(h)
    path = d / "run.ckpt"
    path.write_bytes(npz_bytes({**c.arrays, **arrays}, h))
    return path


def resume_fails(path: Path, *fragments: str) -> str:
    code, _, err = cli(["train", "--resume", path, "-q"])
    assert code == 2
    return check_one_line(err, "error", str(path), *fragments)


@pytest.mark.parametrize("victim", ["", ".", "victim", "abs"])
def test_resume_never_removes_a_directory_its_checkpoint_names(checkpoints, victim):
    """info["cache"] = {"dir": D, "temporary": true} made resume adopt any directory D of
    ours as its temporary cache and delete it, whatever it held, when the run ended (the
    working directory for "" or ".")."""
    c = checkpoints["ns"]
    with scratch() as d:
        kept = victims(d)
        where = str(d / "victim") if victim == "abs" else victim
        path = rewritten(c, d, lambda h: h["info"].update(cache={"dir": where, "temporary": True}))
        code, _, err = cli(["train", "--resume", path, "-q"])
        assert code == 0 and err == "" and (d / "vec.txt").read_bytes() == c.reference
        assert {p: p.read_bytes() for p in kept} == kept


def test_cache_entry_file_replaced_by_a_directory(entry):
    """A directory in the place of an entry file: removing it raised IsADirectoryError."""
    with scratch() as d:
        entry.write(d / "cache")
        tokens = entry.path(d / "cache", "tokens")
        tokens.unlink()
        (tokens / "sub").mkdir(parents=True)
        code, _, err = cli(["train", entry.corpus, "-o", d / "vec.txt", "--cache-dir", d / "cache", *ONE_EPOCH])
        assert code == 0 and (d / "vec.txt").read_bytes() == entry.reference
        check_one_line(err, "warning", "not a regular file", "rebuilding")
        assert tokens.read_bytes() == entry.files["tokens"]


def test_cache_manifest_nested_too_deep(entry):
    """json.loads raises RecursionError, not ValueError, for deeply nested input."""
    with scratch() as d:
        entry.write(d / "cache")
        entry.path(d / "cache", "json").write_bytes(b"[" * 100_000)
        with pytest.raises(DamagedEntry, match="cannot be read"):
            TokenCache(d / "cache", Corpus([entry.corpus]), OPTS).open()
        code, _, err = cli(["train", entry.corpus, "-o", d / "vec.txt", "--cache-dir", d / "cache", *ONE_EPOCH])
        assert code == 0 and (d / "vec.txt").read_bytes() == entry.reference
        check_one_line(err, "warning", "rebuilding")


@pytest.mark.parametrize("field", ["tokens_sum", "ends_sum"])
def test_cache_manifest_without_a_checksum(entry, field):
    """A manifest (its own checksum recomputed) without an array checksum: KeyError."""
    with scratch() as d:
        entry.write(d / "cache")
        write_manifest(entry, d / "cache", {k: v for k, v in entry.manifest.items() if k != field})
        with pytest.raises(DamagedEntry, match="do not match their checksum"):
            TokenCache(d / "cache", Corpus([entry.corpus]), OPTS).open()
        code, _, err = cli(["train", entry.corpus, "-o", d / "vec.txt", "--cache-dir", d / "cache", *ONE_EPOCH])
        assert code == 0 and (d / "vec.txt").read_bytes() == entry.reference
        check_one_line(err, "warning", "rebuilding")


@pytest.mark.parametrize("sep", [b" ", b"\t", b"\r"])
def test_cache_vocabulary_word_holding_whitespace(entry, sep):
    """A forged vocabulary (checksums recomputed) with a word no tokenizer makes: it was
    accepted, and its vectors line would break the output file."""
    with scratch() as d:
        entry.write(d / "cache")
        data = entry.files["vocab"].replace(b"w1 ", b"w" + sep + b"1 ", 1)
        entry.path(d / "cache", "vocab").write_bytes(data)
        write_manifest(entry, d / "cache", {**entry.manifest, "vocab_sha256": hashlib.sha256(data).hexdigest()})
        with pytest.raises(DamagedEntry, match="not 'word count'"):
            TokenCache(d / "cache", Corpus([entry.corpus]), OPTS).open()


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("field", ["alpha", "min_alpha", "threads"])
def test_checkpoint_option_left_to_its_default(checkpoints, loss, field):
    """None (the default) for alpha, min_alpha or threads: the restored options were not
    resolved, and the kernel got None (a numba TypingError or a TypeError)."""
    c = checkpoints[loss]
    with scratch() as d:
        path = rewritten(c, d, lambda h: h["options"].update({field: None}))
        model = load_checkpoint(path)[0]
        assert model.options == model.options.resolved() and getattr(model.options, field) is not None
        code, _, err = cli(["train", "--resume", path, "-q"])
        assert code == 0 and err == ""
        if field != "threads":  # the default is what the run had: the same vectors
            assert (d / "vec.txt").read_bytes() == c.reference


def test_checkpoint_float_option_given_as_int(checkpoints):
    """An int alpha compiled a second kernel (seconds), and a huge one overflowed (a
    traceback); both now resolve to floats, the huge one refused."""
    c = checkpoints["ns"]
    with scratch() as d:
        path = rewritten(c, d, lambda h: h["options"].update(sample=0, ns_exponent=1))
        options = load_checkpoint(path)[0].options
        assert type(options.sample) is float and type(options.ns_exponent) is float
        path = rewritten(c, d, lambda h: h["options"].update(alpha=10**400, min_alpha=None))
        resume_fails(path, "alpha")


def npy_member(header: str, data: bytes) -> bytes:
    """An .npy file (version 1.0) with this header text, padded as numpy pads it."""
    text = header.encode("latin-1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


@pytest.mark.parametrize("header", [
    "{[]: 1}",  # TypeError: unhashable type
    "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), ",  # tokenize.TokenError
    "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\x00(",
    "(" * 3000])
def test_checkpoint_member_with_a_malformed_npy_header(checkpoints, header):
    """numpy parses .npy headers with ast, then tokenize: their TypeError and TokenError
    escaped as tracebacks (a flipped byte in a header length gets there)."""
    c = checkpoints["ns"]
    with scratch() as d:
        path = d / "run.ckpt"
        with zipfile.ZipFile(path, "w") as z:
            for name, array in c.arrays.items():
                buf = io.BytesIO()
                np.save(buf, array)
                z.writestr(f"{name}.npy", npy_member(header, b"abc") if name == "words" else buf.getvalue())
        with pytest.raises(FastW2VError, match="its words array has a malformed header"):
            load_checkpoint(path)
        resume_fails(path, "malformed header")


def test_checkpoint_huge_words_done(checkpoints):
    """words_done beyond int64 made the progress arithmetic overflow (a traceback)."""
    with scratch() as d:
        path = rewritten(checkpoints["ns"], d, lambda h: h["state"].update(words_done=10**30))
        resume_fails(path, "words_done")


@pytest.mark.parametrize("sep", [b" ", b"\t"])
def test_checkpoint_word_holding_whitespace(checkpoints, sep):
    """Accepted by load_checkpoint, then refused by the encoder in a line not naming the checkpoint."""
    c = checkpoints["ns"]
    with scratch() as d:
        words = c.arrays["words"].tobytes().replace(b"w1\n", b"w" + sep + b"1\n", 1)
        path = rewritten(c, d, words=np.frombuffer(words, np.uint8))
        with pytest.raises(FastW2VError, match="whitespace"):
            load_checkpoint(path)
        resume_fails(path, "whitespace")


def test_resume_errors_name_the_checkpoint(checkpoints):
    """A chunk flag count that does not match the corpus, or a corpus file that is gone:
    the line did not say which checkpoint was at fault."""
    c = checkpoints["ns"]
    with scratch() as d:
        path = rewritten(c, d, chunk_done=np.zeros(3, np.uint8))
        resume_fails(path, "chunk")
        path = rewritten(c, d, lambda h: h["info"]["corpus"][0].update(path=str(d / "gone.txt")))
        resume_fails(path, "gone.txt")


def test_error_naming_a_file_with_a_line_break(checkpoints):
    """A corpus file name with a newline, read from a checkpoint, split the error in two lines."""
    with scratch() as d:
        path = rewritten(checkpoints["ns"], d,
                         lambda h: h["info"]["corpus"][0].update(path=str(d / "two\nlines\r.txt")))
        resume_fails(path, "two\\nlines\\r.txt")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("saved", [{"save_output": "a\0b"}, {"classes_output": "a\0b"}, {"output": "a\0b"},
                                   {"loss": "bogus"}, {"loss": "other"}, {"export": "bogus"},
                                   {"classes": -3}, {"export": "out"}], ids=repr)
def test_checkpoint_cli_values(checkpoints, loss, saved):
    """The saved command-line facts: a NUL byte in a path was a ValueError traceback;
    an unknown loss or export, a loss other than the one trained, negative classes gave
    lines about options the user never typed."""
    c = checkpoints[loss]
    if saved == {"export": "out"} and loss != "hs":
        return  # valid for ns and nce
    if saved == {"loss": "other"}:
        saved = {"loss": next(x for x in LOSSES if x != loss)}
    with scratch() as d:
        path = rewritten(c, d, lambda h: h["info"]["cli"].update(saved))
        resume_fails(path)
        assert sorted(os.listdir(d)) == ["run.ckpt"]


def test_vectors_header_with_huge_dimension(tmp_path):
    """'1 100000000000': reading one row exhausted the memory (MemoryError, a traceback)."""
    path = tmp_path / "v.txt"
    path.write_bytes(b"1 100000000000\nw 1 2\n")
    code, _, err = cli(["similar", path, "w"])
    assert code == 2
    check_one_line(err, "error", "implausibly many")


def test_vectors_beyond_float32_and_not_finite(tmp_path, pairs_file):
    """1e39 printed a RuntimeWarning when read; inf or NaN made the queries print more
    (invalid value in divide); 3e38 overflowed the norms (overflow in multiply)."""
    rows = [b"w%d %d %d" % (i, i % 3 + 1, i % 5 - 2) for i in range(8)]
    (tmp_path / "huge.txt").write_bytes(b"8 2\n" + b"\n".join([b"w0 3e38 -3e38"] + rows[1:]) + b"\n")
    with warnings.catch_warnings():
        strict_warnings()
        (tmp_path / "big.txt").write_bytes(b"1 2\nw 1e39 1\n")
        _, vectors = load_word2vec(tmp_path / "big.txt")
    assert vectors[0, 0] == np.inf  # as gensim reads it
    for args in vector_commands(tmp_path / "huge.txt", pairs_file, tmp_path):
        code, out, err = cli(args)
        assert code == 0 and err == "" and "nan" not in out, (args, err)
    for value in (b"nan", b"inf", b"1e39"):
        (tmp_path / "bad.txt").write_bytes(b"8 2\n" + b"\n".join([b"w0 " + value + b" 1"] + rows[1:]) + b"\n")
        for args in vector_commands(tmp_path / "bad.txt", pairs_file, tmp_path):
            code, _, err = cli(args)
            assert code == 2
            check_one_line(err, "error", "vector 1 ('w0') holds NaN or infinite values")
