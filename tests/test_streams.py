"""Corpora from streams and in Zstandard (issue 19).

Standard input (``-``), named pipes and process substitutions (``/dev/fd/N``) are
read exactly once, into the token cache or memory, and train exactly as the same
bytes in a file; their compression is told by their first bytes. ``.zst`` files
train, phrase, and load as vectors. A run from a stream can be resumed only from
the token cache entry it built, which is kept while its checkpoint is there.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import signal
import stat
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import zstandard
from conftest import TerminalRun, cli_env, fastw2v_script, run_directories, topic_corpus

import fastw2v
from fastw2v import compression
from fastw2v.errors import FastW2VError
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus
from fastw2v.training.checkpoint import read_info
from fastw2v.training import driver
from fastw2v.training.driver import RunControl

FAST = ["--dim", "12", "--epochs", "2", "--threads", "1", "--seed", "1", "--min-count", "2", "-q"]
COMPRESS = {
    "plain": lambda b: b,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    # two frames, as pzstd or `cat a.zst b.zst` make: one stream to the zstd tool
    "zstd-frames": lambda b: b"".join(zstandard.ZstdCompressor().compress(part)
                                      for part in (b[:len(b) // 3], b[len(b) // 3:])),
}


@pytest.fixture(scope="module")
def text(tmp_path_factory) -> bytes:
    sentences, _ = topic_corpus(n_sentences=2500)
    return ("\n".join(" ".join(s) for s in sentences) + "\n").encode()


@pytest.fixture(scope="module")
def from_file(tmp_path_factory, text) -> bytes:
    """The vectors of a run on the plain file: what every stream must give, byte for byte."""
    d = tmp_path_factory.mktemp("file")
    (d / "c.txt").write_bytes(text)
    done = cli(["train", d / "c.txt", "-o", d / "v.txt", *FAST])
    assert done.returncode == 0, done.stderr
    return (d / "v.txt").read_bytes()


def cli(args: list, stdin: bytes | None = None, pass_fds=()) -> subprocess.CompletedProcess:
    return subprocess.run([*fastw2v_script(), *map(str, args)], input=stdin, capture_output=True,
                          env=cli_env(), timeout=300, pass_fds=pass_fds)


def feed(path: Path, data: bytes) -> threading.Thread:
    """Write ``data`` into the named pipe ``path`` from a thread (open blocks until a reader comes)."""
    def write():
        with open(path, "wb") as f:
            f.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------- magic bytes
@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_sniff_tells_each_format_by_its_first_bytes(kind, text):
    expected = {"plain": None, "gzip": ".gz", "bzip2": ".bz2", "xz": ".xz"}.get(kind, ".zst")
    head = COMPRESS[kind](text)[:compression.MAGIC_BYTES]
    assert compression.sniff(head) == expected
    assert compression.sniff(bz2.compress(b"")[:compression.MAGIC_BYTES]) == ".bz2"  # an empty bzip2 stream


@pytest.mark.parametrize("head", [b"", b"BZh", b"BZh9 is a word", b"BZh91AY&SX", b"\x1f", b"\x28\xb5\x2f",
                                  "\u00e9t\u00e9 ".encode(), b"\xef\xbb\xbfthe cat"])
def test_sniff_leaves_text_alone(head):
    assert compression.sniff(head) is None


# ---------------------------------------------------------------- the same vectors as from a file
@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_standard_input_trains_exactly_as_the_file(kind, text, from_file, tmp_path):
    """``zcat corpus.gz | fastw2v train - ...`` equals the file-based run byte for byte,
    whatever the compression (told by the magic bytes: the stream has no name)."""
    before = run_directories()
    done = cli(["train", "-", "-o", tmp_path / "v.txt", *FAST], stdin=COMPRESS[kind](text))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "v.txt").read_bytes() == from_file
    assert run_directories() == before  # the temporary cache of the stream is gone


def test_named_pipe_and_process_substitution_train_exactly_as_the_file(text, from_file, tmp_path):
    fifo = tmp_path / "corpus.fifo"
    os.mkfifo(fifo)
    writer = feed(fifo, gzip.compress(text))
    done = cli(["train", fifo, "-o", tmp_path / "fifo.txt", *FAST, "--no-cache"])
    writer.join(10)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fifo.txt").read_bytes() == from_file
    assert fifo.exists()  # the pipe is read, not replaced or removed

    read_end, write_end = os.pipe()  # what <(xzcat corpus.xz) hands over: /dev/fd/N
    writer = threading.Thread(target=lambda: (os.write(write_end, lzma.compress(text)), os.close(write_end)))
    writer.start()
    done = cli(["train", f"/dev/fd/{read_end}", "-o", tmp_path / "fd.txt", *FAST], pass_fds=(read_end,))
    writer.join(10)
    os.close(read_end)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fd.txt").read_bytes() == from_file


def test_a_stream_among_files_keeps_their_order(tmp_path, text):
    """Files and streams are read in the order given, each ending its sentence."""
    half = text.index(b"\n", len(text) // 2) + 1
    (tmp_path / "a.txt").write_bytes(text[:half])
    (tmp_path / "b.txt.zst").write_bytes(COMPRESS["zstd"](text[half:]))
    both = [fastw2v.train(files, in_memory=True, min_count=2, dim=8, epochs=1, threads=1, seed=1)
            for files in ([tmp_path / "a.txt", tmp_path / "b.txt.zst"],)]
    fifo = tmp_path / "a.fifo"
    os.mkfifo(fifo)
    writer = feed(fifo, text[:half])
    streamed = fastw2v.train([fifo, tmp_path / "b.txt.zst"], min_count=2, dim=8, epochs=1, threads=1, seed=1)
    writer.join(10)
    assert streamed.words == both[0].words
    assert np.array_equal(streamed.input_vectors, both[0].input_vectors)


# ---------------------------------------------------------------- .zst files
def test_zst_files_read_train_and_phrase(tmp_path, text):
    (tmp_path / "c.txt").write_bytes(text)
    (tmp_path / "c.txt.zst").write_bytes(COMPRESS["zstd-frames"](text))
    plain = vocab_and_corpus(Corpus(tmp_path / "c.txt"), min_count=1, max_vocab_size=0, max_sentence_length=1000)
    zst = vocab_and_corpus(Corpus(tmp_path / "c.txt.zst"), min_count=1, max_vocab_size=0, max_sentence_length=1000)
    assert zst[0].words == plain[0].words and np.array_equal(zst[1].tokens, plain[1].tokens)

    for name in ("c.txt", "c.txt.zst"):
        done = cli(["phrases", tmp_path / name, "-o", tmp_path / f"p-{name}.zst", "--min-count", "2",
                    "--threshold", "1"])
        assert done.returncode == 0, done.stderr
    phrased = [zstandard.ZstdDecompressor().stream_reader((tmp_path / f"p-{n}.zst").open("rb")).read()
               for n in ("c.txt", "c.txt.zst")]
    assert phrased[0] == phrased[1] and b"_" in phrased[0]


def test_zst_vectors_load(tmp_path, text):
    (tmp_path / "c.txt").write_bytes(text)
    assert cli(["train", tmp_path / "c.txt", "-o", tmp_path / "v.txt", *FAST]).returncode == 0
    (tmp_path / "v.txt.zst").write_bytes(COMPRESS["zstd"]((tmp_path / "v.txt").read_bytes()))
    words, vectors = fastw2v.load_word2vec(tmp_path / "v.txt.zst")
    plain_words, plain_vectors = fastw2v.load_word2vec(tmp_path / "v.txt")
    assert words == plain_words and np.array_equal(vectors, plain_vectors)


# ---------------------------------------------------------------- progress of a stream
def test_progress_of_a_stream_shows_bytes_words_and_rate(tmp_path, text):
    fifo = tmp_path / "c.fifo"
    os.mkfifo(fifo)
    writer = feed(fifo, text * 3)
    run = TerminalRun(["train", fifo, "-o", tmp_path / "v.txt", "--dim", "8", "--epochs", "1",
                       "--threads", "1", "--min-count", "2"])
    assert run.finish() == 0, run.plain()
    writer.join(10)
    reading = [ln for ln in run.plain().split("\n") if ln.startswith("reading")]
    assert reading, run.plain()
    last = reading[-1]
    assert "%" not in last and "ETA" not in last  # the length is unknown: no percentage, no ETA
    mb = float(last.split(" MB,")[0].split()[-1])
    words = float(last.split("M words")[0].split()[-1])
    assert mb == pytest.approx(len(text) * 3 / 1e6, abs=0.05)
    assert words == pytest.approx(len(text.split()) * 3 / 1e6, abs=0.01)
    assert "MB/s" in last


# ---------------------------------------------------------------- checkpoints of a stream run
STREAM_SETTINGS = dict(min_count=2, dim=8, epochs=2, threads=1, seed=1)


def train_from_a_named_pipe(tmp_path: Path, data: bytes):
    """A finished run from a named pipe, with its checkpoint at ``c.ckpt``: the model."""
    fifo = tmp_path / "c.fifo"
    os.mkfifo(fifo)
    writer = feed(fifo, data)
    control = RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=60.0)
    model = fastw2v.train(fifo, control=control, **STREAM_SETTINGS)
    writer.join(10)
    return model


def test_checkpoint_of_a_stream_keeps_its_cache_entry_and_resumes(tmp_path, text, monkeypatch):
    """A stream cannot be read again: the checkpoint names the token cache entry the run
    built, the entry stays while the checkpoint does, and resuming reads it, not the stream."""
    fifo = tmp_path / "c.fifo"
    model = train_from_a_named_pipe(tmp_path, gzip.compress(text))
    info = read_info(tmp_path / "c.ckpt")
    assert info["corpus"] == [{"path": str(fifo), "stream": info["corpus"][0]["stream"]}]
    kept = Path(info["cache"]["dir"])
    assert kept.is_dir() and kept.name in run_directories()  # kept while the checkpoint is there

    resumed = fastw2v.resume(tmp_path / "c.ckpt")  # finished already: it must still find its corpus
    assert np.array_equal(resumed.input_vectors, model.input_vectors)
    plain = tmp_path / "c.txt"
    plain.write_bytes(text)
    assert np.array_equal(fastw2v.train(plain, **STREAM_SETTINGS).input_vectors, model.input_vectors)

    for f in kept.iterdir():  # the entry is gone: one clear error, the pipe is not read again
        f.unlink()
    with pytest.raises(FastW2VError, match=r"cannot resume from .*c\.ckpt: its corpus was read from "
                                           r".*c\.fifo and the token cache that kept it is gone"):
        fastw2v.resume(tmp_path / "c.ckpt")
    assert not kept.exists()  # a refused checkpoint's temporary cache is removed


def test_resume_of_a_stream_that_fails_keeps_its_cache(tmp_path, text, monkeypatch):
    """A resumed run that fails once training is under way (a full disk, say) leaves the
    stream's cache entry for its checkpoint: it is the only copy of the text."""
    model = train_from_a_named_pipe(tmp_path, text)
    kept = Path(read_info(tmp_path / "c.ckpt")["cache"]["dir"])

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(driver, "run_epochs", fail)
    with pytest.raises(OSError):
        fastw2v.resume(tmp_path / "c.ckpt")
    monkeypatch.undo()
    assert kept.is_dir() and any(kept.iterdir())
    resumed = fastw2v.resume(tmp_path / "c.ckpt")
    assert np.array_equal(resumed.input_vectors, model.input_vectors)
    shutil.rmtree(kept)  # (kept while the checkpoint is: later tests count run directories)


def test_interrupted_stream_run_resumes_from_its_cache(tmp_path, text):
    """Ctrl-C during a run from standard input: the line names the kept cache, and
    --resume finishes the run with the vectors of an uninterrupted one."""
    before = run_directories()
    run = subprocess.Popen([*fastw2v_script(), "train", "-", "-o", str(tmp_path / "v.txt"), "--dim", "8",
                            "--epochs", "30", "--threads", "1", "--seed", "1", "--min-count", "2",
                            "--report-loss"], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env())
    run.stdin.write(text)
    run.stdin.close()
    for line in run.stderr:  # training is under way once the first epoch has ended
        if line.startswith(b"epoch 1/30"):
            break
    run.send_signal(signal.SIGINT)
    err = run.stderr.read().decode()
    assert run.wait(60) == 130, err
    assert "the corpus was read from a stream: resuming needs its token cache in " in err, err
    checkpoint = tmp_path / "v.txt.checkpoint"
    done = cli(["train", "--resume", checkpoint, "-q"])
    assert done.returncode == 0, done.stderr
    assert not checkpoint.exists() and run_directories() == before  # both used up
    assert (tmp_path / "v.txt").exists()


# ---------------------------------------------------------------- refused, with one line
@pytest.mark.parametrize("args, stdin, message", [
    (["train", "-", "-", "-o", "{t}/v.txt"], b"a b\n", "standard input (-) is given twice"),
    (["train", "{t}", "-o", "{t}/v.txt"], None, "is not a file"),
    (["train", "-", "-o", "{t}/v.txt"], COMPRESS["gzip"](b"the cat sat\n" * 100)[:30], "cannot read corpus standard input"),
    (["train", "-", "-o", "{t}/v.txt"], COMPRESS["zstd"](b"the cat\n" * 100)[:12], "cannot read corpus standard input"),
    (["train", "-", "-o", "{t}/v.txt"], b"", "corpus is empty"),
    (["train", "-", "-o", "{t}/v.txt", "--no-cache", "--checkpoint", "{t}/c"], b"a\n",
     "needs the token cache to resume from: drop --no-cache"),
    (["train", "-", "-o", "{t}/v.txt", "--dask", "local:1"], b"a\n", "--dask needs corpus files"),
])
def test_bad_streams_give_one_line_and_status_2(tmp_path, args, stdin, message):
    before = run_directories()
    done = cli([a.format(t=tmp_path) for a in args], stdin=stdin)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("fastw2v: error: ") and message in err, err
    assert not (tmp_path / "v.txt").exists() and run_directories() == before


def test_no_cache_stream_run_writes_no_checkpoint(tmp_path, text):
    done = cli(["train", "-", "-o", tmp_path / "v.txt", *FAST, "--no-cache"], stdin=text)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt"]


def test_a_character_device_is_read_as_a_stream(tmp_path):
    """A character device is a corpus like a pipe (here a copy of /dev/null made in the
    test's own directory: no real device is touched). It holds no words: one line."""
    null = tmp_path / "null"
    os.mknod(null, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    done = cli(["train", null, "-o", tmp_path / "v.txt"])
    err = done.stderr.decode()
    assert done.returncode == 2 and err == f"fastw2v: error: corpus is empty (no words in {null})\n", err
    assert not (tmp_path / "v.txt").exists()
