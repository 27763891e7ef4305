"""Where the encoded corpus lives (issue 15): a private temporary cache by default,
removed when the run ends unless a checkpoint needs it; a kept cache with
--cache-dir, private and refused when it is not the user's; ``fastw2v cache``."""

from __future__ import annotations

import json
import os
import signal
import stat
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_directories, topic_corpus

import fastw2v
from fastw2v.cli import main
from fastw2v.text.cache import CacheDir, TokenCache, list_entries
from fastw2v.text.corpus import Corpus
from fastw2v.training import driver
from fastw2v.training.checkpoint import read_info
from fastw2v.training.driver import RunControl, TrainOptions

SETTINGS = dict(min_count=1, dim=8, epochs=3, threads=1, seed=3, window=2)
FAST = ["--dim", "8", "--epochs", "3", "--threads", "1", "--min-count", "1", "--window", "2", "--seed", "3"]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    sentences, _ = topic_corpus(n_sentences=3000)
    path = tmp_path_factory.mktemp("corpus") / "topics.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def interrupt_in_epoch(monkeypatch, epoch: int) -> None:
    """Send this process SIGINT when ``epoch`` (1-based) ends, as Ctrl-C would."""
    end_epoch = driver._end_epoch

    def and_interrupt(model, state, *args):
        record = end_epoch(model, state, *args)
        if record["epoch"] == epoch:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # let the handler run: it sets the kernel's stop flag
        return record

    monkeypatch.setattr(driver, "_end_epoch", and_interrupt)


# ---------------------------------------------------------------- the default: temporary
def test_default_cache_is_private_and_gone_after_the_run(tmp_path, corpus_file, monkeypatch):
    seen = {}
    build = TokenCache.build

    def watch(self, progress=None):  # look at the entry while it exists
        found = build(self, progress)
        seen["dir"] = self.directory
        seen["modes"] = {p.name: mode(p) for p in self.directory.iterdir()}
        seen["dir_mode"] = mode(self.directory)
        return found

    monkeypatch.setattr(TokenCache, "build", watch)
    before = run_directories()
    model = fastw2v.train([corpus_file], **SETTINGS)
    assert seen["dir"].parent == Path(tempfile.gettempdir()) and seen["dir"].name.startswith("fastw2v-run-")
    assert seen["dir_mode"] == 0o700
    assert sorted(seen["modes"].values()) == [0o600] * 4 and len(seen["modes"]) == 4
    assert not seen["dir"].exists() and run_directories() == before
    memory = fastw2v.train([corpus_file], in_memory=True, **SETTINGS)
    assert np.array_equal(model.input_vectors, memory.input_vectors)


def test_tmp_dir_is_where_the_temporary_cache_goes(tmp_path, corpus_file, monkeypatch):
    seen = []
    monkeypatch.setattr(CacheDir, "remove", lambda self: seen.append(self.path))
    fastw2v.train([corpus_file], tmp_dir=tmp_path, **{**SETTINGS, "epochs": 1})
    assert len(seen) == 1 and seen[0].parent == tmp_path


def test_errors_and_interrupts_without_a_checkpoint_leave_no_cache(tmp_path, corpus_file, monkeypatch, capsys):
    before = run_directories()
    (tmp_path / "empty.txt").write_text("\n")
    assert main(["train", str(tmp_path / "empty.txt"), "-o", str(tmp_path / "v.txt"), "-q"]) == 2
    assert run_directories() == before
    interrupt_in_epoch(monkeypatch, 1)
    with pytest.raises(driver.TrainingStopped, match="no checkpoint was asked for"):
        fastw2v.train([corpus_file], control=RunControl(), **SETTINGS)
    assert run_directories() == before


def test_an_interrupt_keeps_the_cache_for_its_checkpoint_and_resume_removes_it(
        tmp_path, corpus_file, monkeypatch, capsys):
    full = fastw2v.train([corpus_file], **SETTINGS)
    before = run_directories()
    interrupt_in_epoch(monkeypatch, 2)
    out, ckpt = tmp_path / "v.txt", tmp_path / "v.txt.checkpoint"
    assert main(["train", str(corpus_file), "-o", str(out), "-q", *FAST]) == 130
    last = capsys.readouterr().err.strip().splitlines()[-1]
    kept = Path(read_info(ckpt)["cache"]["dir"])
    assert kept.parent == Path(tempfile.gettempdir()) and run_directories() == before | {kept.name}
    assert f"its encoded corpus is kept in {kept}" in last and f"--resume {ckpt}" in last
    assert mode(kept) == 0o700 and all(mode(p) == 0o600 for p in kept.iterdir())
    monkeypatch.undo()
    assert main(["train", "--resume", str(ckpt)]) == 0
    err = capsys.readouterr().err
    assert "corpus: from cache fastw2v-" in err  # the kept entry was used, not the corpus re-read
    assert not kept.exists() and run_directories() == before and not ckpt.exists()
    vectors = fastw2v.load_word2vec(out)[1]
    assert np.array_equal(vectors, full.input_vectors)  # one thread: bit-identical


def test_resume_rereads_the_corpus_when_the_kept_cache_is_gone(tmp_path, corpus_file, monkeypatch, capsys):
    interrupt_in_epoch(monkeypatch, 1)
    out, ckpt = tmp_path / "v.txt", tmp_path / "v.txt.checkpoint"
    assert main(["train", str(corpus_file), "-o", str(out), "-q", *FAST]) == 130
    monkeypatch.undo()
    kept = Path(read_info(ckpt)["cache"]["dir"])
    for p in kept.iterdir():
        p.unlink()
    kept.rmdir()
    before = run_directories()
    assert main(["train", "--resume", str(ckpt)]) == 0
    assert "corpus: a temporary cache" in capsys.readouterr().err
    assert run_directories() == before and out.exists()


def test_a_diverging_run_keeps_the_cache_of_its_last_good_checkpoint(tmp_path, corpus_file, monkeypatch):
    real = driver._check_numerics
    calls = []

    def diverge_in_epoch_2(model, state, control, *args):
        calls.append(state.epoch)
        if state.epoch == 1:
            model.syn0[0, 0] = np.nan
        real(model, state, control, *args)

    monkeypatch.setattr(driver, "_check_numerics", diverge_in_epoch_2)
    control = RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=1e9)
    with pytest.raises(fastw2v.FastW2VError, match="its encoded corpus is kept in") as err:
        fastw2v.train([corpus_file], control=control, **SETTINGS)
    kept = Path(read_info(tmp_path / "c.ckpt")["cache"]["dir"])
    assert str(kept) in str(err.value) and kept.is_dir()
    CacheDir(kept, temporary=True).remove()


# ---------------------------------------------------------------- kept: --cache-dir
def test_cache_dir_is_private_reused_and_reported(tmp_path, corpus_file, capsys):
    cache = tmp_path / "sub" / "cache"
    args = ["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), *FAST, "--cache-dir", str(cache)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert mode(cache) == 0o700 and sorted(mode(p) for p in cache.iterdir()) == [0o600] * 4
    entry = next(cache.glob("*.tokens")).with_suffix("")
    size = sum(p.stat().st_size for p in cache.iterdir()) / 1e6
    summary = next(line for line in err.splitlines() if line.startswith("trained "))
    assert summary.endswith(f"; token cache kept: {entry}.* ({size:,.1f} MB)")
    assert main(args) == 0
    assert f"from cache {entry.name}" in capsys.readouterr().err


def test_cache_dir_of_another_user_is_refused(tmp_path, corpus_file, capsys):
    cache = tmp_path / "theirs"
    cache.mkdir()
    os.chown(cache, 12345, 12345)
    assert main(["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), *FAST,
                 "--cache-dir", str(cache), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "belongs to another user (uid 12345)" in err
    assert os.listdir(cache) == [] and not (tmp_path / "v.txt").exists()


@pytest.mark.parametrize("plant", ["other user", "symlink"])
def test_an_entry_file_not_made_by_us_is_replaced(tmp_path, corpus_file, capsys, plant):
    cache = tmp_path / "cache"
    args = ["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), *FAST, "--cache-dir", str(cache)]
    assert main(args) == 0
    first = (tmp_path / "v.txt").read_bytes()
    tokens = next(cache.glob("*.tokens"))
    if plant == "other user":
        os.chown(tokens, 12345, 12345)
    else:
        target = tmp_path / "elsewhere"
        target.write_bytes(tokens.read_bytes())
        tokens.unlink()
        tokens.symlink_to(target)
    capsys.readouterr()
    assert main([*args, "-q"]) == 0
    warning = capsys.readouterr().err
    reason = "made by another user" if plant == "other user" else "is not a regular file"
    assert warning.count("\n") == 1 and warning.startswith("fastw2v: warning: ") and reason in warning
    assert tokens.stat().st_uid == os.geteuid() and not tokens.is_symlink()
    assert (tmp_path / "v.txt").read_bytes() == first


# ---------------------------------------------------------------- fastw2v cache
def test_cache_command_lists_and_clears_by_age(tmp_path, corpus_file, capsys):
    cache = tmp_path / "cache"
    base = ["train", str(corpus_file), *FAST, "--cache-dir", str(cache), "-q"]
    assert main([*base, "-o", str(tmp_path / "a.txt")]) == 0
    assert main([*base, "-o", str(tmp_path / "b.txt"), "--max-sentence-length", "7"]) == 0
    entries = list_entries(cache)
    assert len(entries) == 2
    old = entries[1]
    for f in old.files:  # last used ten days ago
        os.utime(f, (time.time() - 10 * 86400,) * 2)
    assert main(["cache", str(cache)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["entry", "words", "size", "last", "used", "corpus"]
    assert len(table) == 4 and table[-1].startswith("2 entries, ")
    assert any(line.startswith(str(cache / old.name)) and "10 d ago" in line and str(corpus_file) in line
               for line in table)
    assert main(["cache", str(cache), "--older-than", "7d", "--clear", "-q"]) == 0
    assert [e.name for e in list_entries(cache)] == [entries[0].name]
    assert main(["cache", str(cache), "--clear"]) == 0
    assert "removed 1 entry" in capsys.readouterr().err
    assert list(cache.iterdir()) == []


def test_cache_command_finds_temporary_caches_kept_for_checkpoints(tmp_path, corpus_file, monkeypatch, capsys):
    (tmp_path / "tmp").mkdir()
    interrupt_in_epoch(monkeypatch, 1)
    assert main(["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), "-q", *FAST,
                 "--tmp-dir", str(tmp_path / "tmp")]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["cache", "--tmp-dir", str(tmp_path / "tmp")]) == 0
    out = capsys.readouterr().out
    assert "fastw2v-run-" in out and out.splitlines()[-1].startswith("1 entry, ")
    assert main(["cache", "--tmp-dir", str(tmp_path / "tmp"), "--clear", "-q"]) == 0
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("bad", ["7x", "-1", "soon", "nan"])
def test_cache_command_refuses_a_bad_age(bad, capsys):
    assert main(["cache", "--older-than", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--older-than" in err


def test_entries_are_found_by_key_only_when_their_inputs_match(tmp_path, corpus_file):
    store = CacheDir.kept(tmp_path / "c")
    opts = TrainOptions(**SETTINGS).resolved()
    entry = TokenCache(store, Corpus([corpus_file]), opts)
    entry.build()
    manifest = json.loads(entry.path("json").read_text())
    assert manifest["version"] == 2 and set(manifest) >= {"tokens_sum", "ends_sum", "vocab_sha256",
                                                         "manifest_sha256"}
    other = TokenCache(store, Corpus([corpus_file]), TrainOptions(**{**SETTINGS, "min_count": 2}).resolved())
    assert other.key != entry.key and other.open() is None


def test_sigterm_while_reading_removes_the_temporary_cache(tmp_path, corpus_file, monkeypatch, capsys):
    """A job scheduler's stop before training has begun: the run unwinds as for Ctrl-C."""
    import fastw2v.text.cache as cache_module

    encode = cache_module.vocab_and_corpus

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        return encode(*args, **kwargs)

    monkeypatch.setattr(cache_module, "vocab_and_corpus", terminated)
    before = run_directories()
    assert main(["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), *FAST]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "fastw2v: interrupted"
    assert run_directories() == before and os.listdir(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the handler is put back


def test_a_finished_run_deletes_only_a_checkpoint_of_its_own(tmp_path, corpus_file, monkeypatch):
    """OUTPUT.checkpoint left by an earlier, interrupted run is not this run's to delete."""
    out, ckpt = tmp_path / "v.txt", tmp_path / "v.txt.checkpoint"
    interrupt_in_epoch(monkeypatch, 1)
    assert main(["train", str(corpus_file), "-o", str(out), "-q", *FAST]) == 130
    monkeypatch.undo()
    kept = Path(read_info(ckpt)["cache"]["dir"])
    before = ckpt.read_bytes()
    assert main(["train", str(corpus_file), "-o", str(out), "-q", *FAST, "--seed", "4"]) == 0
    assert ckpt.read_bytes() == before  # still there for `--resume`
    assert main(["train", "--resume", str(ckpt), "-q"]) == 0
    assert not ckpt.exists() and not kept.exists()


def test_resume_never_removes_a_directory_that_is_not_a_run_cache(tmp_path, corpus_file, monkeypatch):
    """A checkpoint is a file from disk: one naming a directory of the user's own, even
    one named like a run cache, must not get that directory removed at the end."""
    import numpy as np_

    interrupt_in_epoch(monkeypatch, 1)
    out, ckpt = tmp_path / "v.txt", tmp_path / "v.txt.checkpoint"
    assert main(["train", str(corpus_file), "-o", str(out), "-q", *FAST]) == 130
    monkeypatch.undo()
    mine = tmp_path / "fastw2v-run-mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    with np_.load(ckpt) as z:
        arrays = dict(z)
    header = json.loads(arrays["header"].tobytes())
    header["info"]["cache"] = {"dir": str(mine), "temporary": True}
    arrays["header"] = np_.frombuffer(json.dumps(header).encode(), dtype=np_.uint8)
    with open(ckpt, "wb") as f:
        np_.savez(f, **arrays)
    assert main(["train", "--resume", str(ckpt), "-q"]) == 0
    assert (mine / "thesis.tex").read_text() == "keep me"
