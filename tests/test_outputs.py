"""Output paths (fastw2v.files): special files written in place, symlinks followed,
outputs never the same file as an input or as each other, permissions kept.

Most runs are in-process through ``fastw2v.cli.main`` on a tiny corpus; the few
where process behaviour matters (descriptors passed to a child, stdout opened
for appending, a pipe whose reader left) go through a subprocess. Special files
are made inside ``tmp_path`` (mknod copies of /dev/full and /dev/null, FIFOs);
no test writes to a real device.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_env

from fastw2v import FastW2VError, save_word2vec
from fastw2v.cli import main
from fastw2v.files import (
    FILE,
    NEW,
    SPECIAL,
    atomic_write,
    check_distinct,
    classify_output,
    companion_path,
    recorded_path,
)

IS_ROOT = os.geteuid() == 0
FAST = ["--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "1", "-q", "--no-cache"]
TEXT = b"the quick brown fox jumps over the lazy dog\n" * 20 + b"a fox and a dog\n" * 10
SENTINEL = b"previous contents, must survive byte for byte\n"


# ---------------------------------------------------------------- helpers
@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_bytes(TEXT)
    return path


def char_device(path: Path, minor: int) -> Path:
    """A copy of /dev/full (minor 7) or /dev/null (minor 3) inside tmp_path."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("mknod is not permitted here")
    return path


def error_line(stderr: str, *fragments: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip("\n").splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("fastw2v: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def train(*args) -> int:
    return main(["train", *map(str, args), *FAST])


def reference_vectors(tmp_path: Path, corpus: Path, *extra: str) -> bytes:
    """What a run writes to a regular file (same seed, one thread: the same bytes)."""
    ref = tmp_path / "reference" / "vec.out"
    ref.parent.mkdir()
    assert train(corpus, "-o", ref, *extra) == 0
    data = ref.read_bytes()
    ref.unlink()
    ref.parent.rmdir()
    return data


@contextlib.contextmanager
def fifo_reader(path: Path):
    """A FIFO at ``path`` and a thread reading it to the end; yields the bytes read
    (a list filled once the writer closes). Never leaves the thread blocked."""
    os.mkfifo(path)
    got: list[bytes] = []
    thread = threading.Thread(target=lambda: got.append(path.read_bytes()), daemon=True)
    thread.start()
    try:
        yield got
        thread.join(timeout=60)
    finally:
        if thread.is_alive():  # the writer never came: open and close it so the reader sees EOF
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            thread.join(timeout=10)


def run_child(args: list, home: Path, **popen) -> subprocess.Popen:
    """``fastw2v ARGS`` in a child process started in ``home`` (its HOME and cache home too)."""
    env = {**cli_env(), "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.Popen([sys.executable, "-m", "fastw2v.cli", *map(str, args)], env=env, cwd=home,
                            stdout=popen.pop("stdout", subprocess.PIPE), stderr=subprocess.PIPE, **popen)


# ---------------------------------------------------------------- devices, FIFOs, descriptors
@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_dev_full_copy_is_one_error_line_and_stays_a_device(tmp_path, corpus, capsys, binary):
    full = char_device(tmp_path / "full", 7)
    code = train(corpus, "-o", full, *(["--binary"] if binary else []))
    assert code == 2
    error_line(capsys.readouterr().err, "cannot write", str(full), "No space left on device")
    assert stat.S_ISCHR(os.lstat(full).st_mode) and os.lstat(full).st_rdev == os.makedev(1, 7)
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "full"]  # no temporary file, no checkpoint


def test_dev_null_copy_is_written_and_stays_a_device(tmp_path, corpus, capsys):
    null = char_device(tmp_path / "null", 3)
    assert train(corpus, "-o", null, "--save-vocab", null) == 0  # two outputs may share a device
    assert capsys.readouterr().err == ""
    assert stat.S_ISCHR(os.lstat(null).st_mode) and os.lstat(null).st_rdev == os.makedev(1, 3)
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "null"]


def test_symlink_to_a_device_writes_the_device(tmp_path, corpus):
    null = char_device(tmp_path / "null", 3)
    (tmp_path / "out.txt").symlink_to("null")
    assert train(corpus, "-o", tmp_path / "out.txt") == 0
    assert os.readlink(tmp_path / "out.txt") == "null" and stat.S_ISCHR(os.lstat(null).st_mode)


def test_nothing_is_kept_beside_a_special_output(tmp_path, corpus, capsys):
    """No automatic checkpoint and no default classes file beside a device."""
    null = char_device(tmp_path / "null", 3)
    assert train(corpus, "-o", null, "--checkpoint-every", "5") == 2
    error_line(capsys.readouterr().err, "--checkpoint-every needs --checkpoint")
    assert train(corpus, "-o", null, "--classes", "2") == 2
    error_line(capsys.readouterr().err, "--classes needs --classes-output")
    assert train(corpus, "-o", null, "--checkpoint", tmp_path / "run.ckpt", "--checkpoint-every", "5",
                 "--classes", "2", "--classes-output", tmp_path / "cls.txt") == 0
    assert sorted(os.listdir(tmp_path)) == ["cls.txt", "corpus.txt", "null", "run.ckpt"]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_fifo_reader_gets_exactly_the_vectors(tmp_path, corpus, binary):
    extra = ["--binary"] if binary else []
    expected = reference_vectors(tmp_path, corpus, *extra)
    fifo = tmp_path / "vectors.fifo"
    with fifo_reader(fifo) as got:
        assert train(corpus, "-o", fifo, *extra) == 0
    assert got == [expected]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "vectors.fifo"]


def test_phrases_to_a_fifo_keeps_its_passes_elsewhere(tmp_path, corpus):
    fifo = tmp_path / "phrased.fifo"
    with fifo_reader(fifo) as got:
        assert main(["phrases", str(corpus), "-o", str(fifo), "--passes", "2", "--min-count", "1",
                     "--threshold", "1", "-q"]) == 0
    assert got and b"_" in got[0] and len(got[0].splitlines()) == 30
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "phrased.fifo"]


@pytest.mark.parametrize("cache", [True, False], ids=["default-cache", "no-cache"])
def test_dev_fd_of_a_pipe_like_process_substitution(tmp_path, corpus, cache):
    """``-o >(gzip > v.gz)``: the child gets a pipe's write end as /dev/fd/N. With the
    default token cache too (which cannot go beside a descriptor)."""
    expected = reference_vectors(tmp_path, corpus)
    options = [o for o in FAST if o != "--no-cache"] if cache else FAST
    read_end, write_end = os.pipe()
    try:
        child = run_child(["train", corpus, "-o", f"/dev/fd/{write_end}", *options], tmp_path,
                          pass_fds=(write_end,))
        os.close(write_end)
        write_end = None
        with os.fdopen(read_end, "rb") as pipe:
            read_end = None
            data = pipe.read()
        _, err = child.communicate(timeout=240)
    finally:
        for fd in (read_end, write_end):
            if fd is not None:
                os.close(fd)
    assert child.returncode == 0, err
    assert data == expected


def test_dev_stdout_appended_keeps_what_was_there(tmp_path, corpus):
    """``-o /dev/stdout >> all.txt``: the descriptor is shared, not reopened at offset 0."""
    expected = reference_vectors(tmp_path, corpus)
    log = tmp_path / "all.txt"
    log.write_bytes(SENTINEL)
    with open(log, "ab") as stdout:
        child = run_child(["train", corpus, "-o", "/dev/stdout", *FAST], tmp_path, stdout=stdout)
        _, err = child.communicate(timeout=240)
    assert child.returncode == 0, err
    assert log.read_bytes() == SENTINEL + expected


def test_pipe_whose_reader_left_is_one_error_line(tmp_path, corpus):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        child = run_child(["train", corpus, "-o", f"/dev/fd/{write_end}", *FAST], tmp_path,
                          pass_fds=(write_end,))
    finally:
        os.close(write_end)
    _, err = child.communicate(timeout=240)
    assert child.returncode == 2  # not killed by SIGPIPE
    error_line(err.decode(), "cannot write", f"/dev/fd/{write_end}", "Broken pipe")


def test_descriptor_paths_that_cannot_be_written(tmp_path, corpus, capsys):
    assert train(corpus, "-o", "/dev/fd/987") == 2
    error_line(capsys.readouterr().err, "cannot write /dev/fd/987", "Bad file descriptor")
    with open(corpus, "rb") as f:
        assert train(corpus, "-o", f"/proc/self/fd/{f.fileno()}") == 2
    error_line(capsys.readouterr().err, "open for reading only")
    assert corpus.read_bytes() == TEXT


# ---------------------------------------------------------------- same file as an input or another output
def spelled(tmp_path: Path, corpus: Path, how: str) -> Path:
    """Another name for the corpus file."""
    if how == "itself":
        return corpus
    if how == "symlink":
        (tmp_path / "alias.txt").symlink_to(corpus.name)
        return tmp_path / "alias.txt"
    if how == "hardlink":
        os.link(corpus, tmp_path / "alias.txt")
        return tmp_path / "alias.txt"
    (tmp_path / "sub").mkdir()
    return tmp_path / "sub" / ".." / corpus.name


OPTIONS = {
    "--output": lambda p, d: ["-o", p],
    "--save-vocab": lambda p, d: ["-o", d / "vec.txt", "--save-vocab", p],
    "--checkpoint": lambda p, d: ["-o", d / "vec.txt", "--checkpoint", p],
    "--log": lambda p, d: ["-o", d / "vec.txt", "--log", p],
    "--classes-output": lambda p, d: ["-o", d / "vec.txt", "--classes", "2", "--classes-output", p],
    "--save-output": lambda p, d: ["-o", d / "vec.txt", "--save-output", p],
}


@pytest.mark.parametrize("how", ["itself", "symlink", "hardlink", "dotdot"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_output_that_is_the_corpus_is_refused(tmp_path, corpus, capsys, option, how):
    alias = spelled(tmp_path, corpus, how)
    before = sorted(os.listdir(tmp_path))
    assert train(corpus, *OPTIONS[option](alias, tmp_path)) == 2
    error_line(capsys.readouterr().err, f"{option} {alias} is the corpus file", "refusing to overwrite it")
    assert corpus.read_bytes() == TEXT
    assert sorted(os.listdir(tmp_path)) == before


def test_read_vocab_and_eval_files_are_inputs(tmp_path, corpus, capsys):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("the 30\nfox 30\ndog 30\n")
    assert train(corpus, "-o", tmp_path / "v.txt", "--read-vocab", vocab, "--save-vocab", vocab) == 2
    error_line(capsys.readouterr().err, f"--save-vocab {vocab} is the --read-vocab file")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("fox dog 5\n")
    assert train(corpus, "-o", pairs, "--eval-every-epoch", "--similarity", pairs) == 2
    error_line(capsys.readouterr().err, f"--output {pairs} is the --similarity file")
    assert vocab.read_text() == "the 30\nfox 30\ndog 30\n" and pairs.read_text() == "fox dog 5\n"


SAME_TWICE = {  # options naming x.txt twice -> the error's subject and the option it collides with
    "-o X --save-vocab X": (["-o", "X", "--save-vocab", "X"], "--save-vocab", "--output"),
    "--checkpoint X -o X": (["--checkpoint", "X", "-o", "X"], "--checkpoint", "--output"),
    "--save-output X -o X": (["--save-output", "X", "-o", "X"], "--save-output", "--output"),
    "-o X --log X": (["-o", "X", "--log", "X"], "--log", "--output"),
    "--save-vocab X --log X": (["-o", "vec.txt", "--save-vocab", "X", "--log", "X"], "--log", "--save-vocab"),
}


@pytest.mark.parametrize("exists", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("case", list(SAME_TWICE))
def test_two_outputs_that_are_the_same_file(tmp_path, corpus, capsys, case, exists):
    target = tmp_path / "x.txt"
    if exists:
        target.write_bytes(SENTINEL)
    args, subject, other = SAME_TWICE[case]
    args = [target if a == "X" else tmp_path / a if a == "vec.txt" else a for a in args]
    assert train(corpus, *args) == 2
    error_line(capsys.readouterr().err, f"{subject} {target} is the same file as {other}")
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt"] + (["x.txt"] if exists else [])
    if exists:
        assert target.read_bytes() == SENTINEL


def test_two_outputs_through_a_symlink(tmp_path, corpus, capsys):
    (tmp_path / "vec.txt").write_bytes(SENTINEL)
    (tmp_path / "link.txt").symlink_to("vec.txt")
    assert train(corpus, "-o", tmp_path / "vec.txt", "--save-vocab", tmp_path / "link.txt") == 2
    error_line(capsys.readouterr().err, "is the same file as --output")
    assert (tmp_path / "vec.txt").read_bytes() == SENTINEL


def test_resume_may_update_its_checkpoint_but_nothing_else_may(tmp_path, corpus, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert train(corpus, "-o", tmp_path / "vec.txt", "--checkpoint", ckpt, "--checkpoint-every", "1000") == 0
    saved = ckpt.read_bytes()
    resume = ["train", "--resume", str(ckpt), "-q"]
    assert main([*resume, "-o", str(ckpt)]) == 2
    error_line(capsys.readouterr().err, f"--output {ckpt} is the checkpoint being resumed")
    assert main([*resume, "--log", str(ckpt)]) == 2
    error_line(capsys.readouterr().err, f"--log {ckpt} is the checkpoint being resumed")
    assert main([*resume, "-o", str(corpus)]) == 2  # the checkpoint's corpus files are inputs
    error_line(capsys.readouterr().err, f"--output {corpus} is the corpus file")
    assert ckpt.read_bytes() == saved and corpus.read_bytes() == TEXT
    assert main([*resume, "--no-cache"]) == 0  # the checkpoint itself is the default --checkpoint
    assert (tmp_path / "vec.txt").exists()


def test_other_commands_refuse_to_overwrite_their_input(tmp_path, corpus, capsys):
    assert main(["phrases", str(corpus), "-o", str(corpus), "-q"]) == 2
    error_line(capsys.readouterr().err, f"--output {corpus} is the corpus file")
    assert corpus.read_bytes() == TEXT

    vectors = tmp_path / "vec.txt"
    save_word2vec(vectors, [f"w{i}" for i in range(10)], np.eye(10, 4, dtype=np.float32))
    saved = vectors.read_bytes()
    assert main(["classes", str(vectors), "-k", "2", "-o", str(vectors), "-q"]) == 2
    error_line(capsys.readouterr().err, f"--output {vectors} is the vectors file")
    os.link(vectors, tmp_path / "map.png")
    assert main(["map", str(vectors), "-o", str(tmp_path / "map.png"), "-q"]) == 2
    error_line(capsys.readouterr().err, "--output", "map.png is the vectors file")
    os.link(vectors, tmp_path / "log.png")
    assert main(["plot", str(tmp_path / "log.png"), "-o", str(tmp_path / "log.png"), "-q"]) == 2
    error_line(capsys.readouterr().err, "is the training log")
    (tmp_path / "proj").mkdir()
    os.link(vectors, tmp_path / "proj" / "metadata.tsv")
    assert main(["export-projector", str(tmp_path / "proj" / "metadata.tsv"), str(tmp_path / "proj"), "-q"]) == 2
    error_line(capsys.readouterr().err, "the projector file", "is the vectors file")
    assert vectors.read_bytes() == saved
    assert sorted(os.listdir(tmp_path / "proj")) == ["metadata.tsv"]


# ---------------------------------------------------------------- symlinks
def test_symlinked_output_replaces_its_target(tmp_path, corpus):
    expected = reference_vectors(tmp_path, corpus)
    elsewhere = tmp_path / "other-disk"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_bytes(SENTINEL)
    (tmp_path / "link.txt").symlink_to(elsewhere / "keep.txt")
    assert train(corpus, "-o", tmp_path / "link.txt") == 0
    assert os.readlink(tmp_path / "link.txt") == str(elsewhere / "keep.txt")
    assert (elsewhere / "keep.txt").read_bytes() == expected
    assert sorted(os.listdir(elsewhere)) == ["keep.txt"]
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "link.txt", "other-disk"]


def test_dangling_symlink_creates_its_target(tmp_path, corpus):
    (tmp_path / "link.txt").symlink_to("made.txt")
    assert train(corpus, "-o", tmp_path / "link.txt") == 0
    assert os.readlink(tmp_path / "link.txt") == "made.txt"
    assert (tmp_path / "made.txt").read_bytes().startswith(b"10 8\n")


def test_symlink_loop_is_one_error_line(tmp_path, corpus, capsys):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert train(corpus, "-o", tmp_path / "a") == 2
    error_line(capsys.readouterr().err, f"cannot write {tmp_path / 'a'}", "symbolic links")


# ---------------------------------------------------------------- permissions and owners
WRITERS = {
    "vectors": lambda p, d: ["-o", p],
    "vocabulary": lambda p, d: ["-o", d / "vec.txt", "--save-vocab", p],
    "checkpoint": lambda p, d: ["-o", d / "vec.txt", "--checkpoint", p, "--checkpoint-every", "1000"],
}


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_replaced_file_keeps_its_mode(tmp_path, corpus, writer, mode):
    path = tmp_path / "target.out"
    path.write_bytes(SENTINEL)
    path.chmod(mode)
    if not IS_ROOT and not mode & 0o200:
        pytest.skip("only root may replace a read-only file")
    assert train(corpus, *WRITERS[writer](path, tmp_path)) == 0
    assert path.read_bytes() != SENTINEL
    assert stat.S_IMODE(os.stat(path).st_mode) == mode


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_new_file_mode_follows_the_umask(tmp_path, corpus, writer, umask, mode):
    path = tmp_path / "target.out"
    old = os.umask(umask)
    try:
        assert train(corpus, *WRITERS[writer](path, tmp_path)) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode


def test_new_file_mode_in_a_process_with_umask_077(tmp_path, corpus):
    child = run_child(["train", corpus, "-o", tmp_path / "vec.txt", *FAST], tmp_path,
                      preexec_fn=lambda: os.umask(0o077))
    _, err = child.communicate(timeout=240)
    assert child.returncode == 0, err
    assert stat.S_IMODE(os.stat(tmp_path / "vec.txt").st_mode) == 0o600


@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file away")
def test_replaced_file_keeps_its_owner_and_group(tmp_path, corpus):
    path = tmp_path / "vec.txt"
    path.write_bytes(SENTINEL)
    os.chown(path, 1234, 5678)
    path.chmod(0o640)
    assert train(corpus, "-o", path) == 0
    st = os.stat(path)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o640)


def test_symlinked_output_keeps_its_targets_mode(tmp_path, corpus):
    (tmp_path / "keep.txt").write_bytes(SENTINEL)
    (tmp_path / "keep.txt").chmod(0o600)
    (tmp_path / "link.txt").symlink_to("keep.txt")
    assert train(corpus, "-o", tmp_path / "link.txt") == 0
    assert stat.S_IMODE(os.stat(tmp_path / "keep.txt").st_mode) == 0o600


# ---------------------------------------------------------------- files.py units
def test_classify_output_kinds(tmp_path):
    (tmp_path / "old.txt").write_bytes(SENTINEL)
    (tmp_path / "to-old").symlink_to("old.txt")
    (tmp_path / "dangling").symlink_to("sub/new.txt")
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "to-fifo").symlink_to("fifo")
    null = char_device(tmp_path / "null", 3)

    def kind(name):
        out = classify_output(tmp_path / name if isinstance(name, str) else name)
        return out.kind, out.target

    assert kind("new.txt") == (NEW, tmp_path / "new.txt")
    assert kind("old.txt") == (FILE, tmp_path / "old.txt")
    assert kind("to-old") == (FILE, Path(os.path.realpath(tmp_path / "old.txt")))
    assert kind("dangling") == (NEW, Path(os.path.realpath(tmp_path / "sub" / "new.txt")))
    assert kind("fifo") == (SPECIAL, tmp_path / "fifo")
    assert kind("to-fifo") == (SPECIAL, tmp_path / "to-fifo")
    assert kind(null) == (SPECIAL, null)
    assert classify_output("/dev/stdout").fd == 1 and classify_output("/dev/stderr").fd == 2
    read_end, write_end = os.pipe()
    try:
        for name in (f"/dev/fd/{write_end}", f"/proc/self/fd/{write_end}", f"/proc/{os.getpid()}/fd/{write_end}"):
            out = classify_output(name)
            assert (out.kind, out.fd, out.scratch_dir) == (SPECIAL, write_end, None)
        with pytest.raises(FastW2VError, match="open for reading only"):
            classify_output(f"/dev/fd/{read_end}")
    finally:
        os.close(read_end)
        os.close(write_end)
    assert classify_output(tmp_path / "old.txt").scratch_dir == tmp_path
    assert classify_output(tmp_path / "dangling").scratch_dir == Path(os.path.realpath(tmp_path / "sub"))


def test_classify_output_refusals(tmp_path, monkeypatch):
    with pytest.raises(FastW2VError, match="is a directory"):
        classify_output(tmp_path)
    with pytest.raises(FastW2VError, match="output directory does not exist"):
        classify_output(tmp_path / "missing" / "x.txt")
    (tmp_path / "dangling").symlink_to("missing/x.txt")
    with pytest.raises(FastW2VError, match="output directory does not exist"):
        classify_output(tmp_path / "dangling")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(FastW2VError, match="Not a directory"):
        classify_output(tmp_path / "file" / "x.txt")
    with pytest.raises(FastW2VError, match="Bad file descriptor"):
        classify_output("/dev/fd/99999999999999999999999")
    monkeypatch.chdir(tmp_path)  # a socket's path must be short
    with socket.socket(socket.AF_UNIX) as s:
        s.bind("sock")
        with pytest.raises(FastW2VError, match="is a socket: sock"):
            classify_output("sock")
    try:
        os.mknod(tmp_path / "block", stat.S_IFBLK | 0o600, os.makedev(7, 0))
    except PermissionError:
        return
    with pytest.raises(FastW2VError, match="is a block device"):
        classify_output(tmp_path / "block")


def test_atomic_write_in_place_and_its_errors(tmp_path):
    null, full = char_device(tmp_path / "null", 3), char_device(tmp_path / "full", 7)
    with atomic_write(null, "w") as f:
        f.write("discarded\n")
    with pytest.raises(FastW2VError) as failed, atomic_write(full) as f:
        f.write(b"x" * 100_000)
    assert str(failed.value) == f"cannot write {full}: No space left on device"
    assert sorted(os.listdir(tmp_path)) == ["full", "null"]


def test_companion_and_recorded_paths(tmp_path):
    null = char_device(tmp_path / "null", 3)
    assert companion_path(tmp_path / "v.txt", ".checkpoint") == tmp_path / "v.txt.checkpoint"
    assert companion_path(null, ".checkpoint") is None
    assert companion_path("/dev/stdout", ".classes.txt") is None
    assert recorded_path("/dev/stdout") == "/dev/stdout"
    (tmp_path / "link").symlink_to("v.txt")
    assert recorded_path(tmp_path / "link") == os.path.realpath(tmp_path / "v.txt")


def test_check_distinct(tmp_path):
    a = tmp_path / "a.txt"
    a.write_bytes(b"a")
    (tmp_path / "sym").symlink_to("a.txt")
    os.link(a, tmp_path / "hard")
    (tmp_path / "sub").mkdir()
    for alias in (a, tmp_path / "sym", tmp_path / "hard", tmp_path / "sub" / ".." / "a.txt"):
        with pytest.raises(FastW2VError) as failed:
            check_distinct({"--output": alias}, {"the corpus file": [tmp_path / "other", a]})
        assert str(failed.value) == f"--output {alias} is the corpus file {a}; refusing to overwrite it"
        with pytest.raises(FastW2VError, match=r"^--log .* is the same file as --output$"):
            check_distinct({"--output": a, "--checkpoint": None, "--log": alias})
    new = tmp_path / "new.txt"
    (tmp_path / "to-new").symlink_to("new.txt")
    for alias in (new, tmp_path / "sub" / ".." / "new.txt", tmp_path / "to-new"):
        with pytest.raises(FastW2VError, match="is the same file as --output"):
            check_distinct({"--output": new, "--save-vocab": alias})
    check_distinct({"--output": new, "--save-vocab": tmp_path / "vocab.txt"}, {"the corpus file": [a]})
    check_distinct({"--checkpoint": a}, {"the checkpoint being resumed": a},
                   updates={"--checkpoint": "the checkpoint being resumed"})
    with pytest.raises(FastW2VError, match="--log"):
        check_distinct({"--checkpoint": a, "--log": a}, {"the checkpoint being resumed": a},
                       updates={"--checkpoint": "the checkpoint being resumed"})
    null = char_device(tmp_path / "null", 3)
    check_distinct({"--output": null, "--save-vocab": null}, {"the corpus file": null})
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(FastW2VError, match="same file"):
        check_distinct({"--output": tmp_path / "fifo", "--save-vocab": tmp_path / "fifo"})
