"""Never lose a run (issue 7): checkpoints and exact resume, interrupts, the
numerics guard, and the token cache (reuse, invalidation, bounded memory)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import TEXT8, cli_env, fastw2v_script, topic_corpus

import fastw2v
from fastw2v import FastW2VError
from fastw2v.cli import main
from fastw2v.text.cache import DamagedEntry, TokenCache
from fastw2v.text.corpus import Corpus
from fastw2v.training import driver as training
from fastw2v.training.checkpoint import load_checkpoint, read_info
from fastw2v.training.driver import RunControl, TrainOptions


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory) -> Path:
    """A topic corpus of about 120k words, in many sentences (so many chunks)."""
    sentences, _ = topic_corpus(n_sentences=12000)
    path = tmp_path_factory.mktemp("corpus") / "topics.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


SETTINGS = dict(min_count=1, dim=16, epochs=3, threads=1, seed=7, window=3)


def test_resume_from_any_checkpoint_is_bit_identical(tmp_path, corpus_file, monkeypatch):
    """Checkpoints taken mid-epoch and at epoch ends all resume to the same vectors
    as an uninterrupted run (one thread)."""
    full = fastw2v.train([corpus_file], **SETTINGS)

    copies: list[Path] = []
    save = training._save_checkpoint

    def save_and_copy(model, state, control):  # keep every version written
        save(model, state, control)
        copies.append(tmp_path / f"copy{len(copies)}.ckpt")
        shutil.copy(control.checkpoint, copies[-1])

    monkeypatch.setattr(training, "_save_checkpoint", save_and_copy)
    # A checkpoint after every kernel call (runs of ~20k words) and at each epoch end.
    control = RunControl(checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e-9, segment_words=20_000)
    again = fastw2v.train([corpus_file], control=control, **SETTINGS)
    assert np.array_equal(bits(full.input_vectors), bits(again.input_vectors))
    states = [load_checkpoint(c)[1] for c in copies]
    mid_epoch = [i for i, s in enumerate(states) if 0 < s.epoch_words < full.stats.words_per_epoch]
    epoch_ends = [i for i, s in enumerate(states) if s.epoch_words == 0]
    assert len(mid_epoch) >= 6 and len(epoch_ends) >= 2
    monkeypatch.setattr(training, "_save_checkpoint", save)
    for i in (mid_epoch[0], epoch_ends[0], mid_epoch[-1]):
        resumed = fastw2v.resume(copies[i], control=RunControl(checkpoint=tmp_path / f"r{i}.ckpt"))
        assert np.array_equal(bits(full.input_vectors), bits(resumed.input_vectors)), i
        assert np.array_equal(bits(full.output_vectors), bits(resumed.output_vectors)), i
        assert resumed.stats.words_trained == full.stats.words_trained


def test_checkpoint_holds_the_whole_state(tmp_path, corpus_file):
    control = RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=60.0)
    model = fastw2v.train([corpus_file], control=control, **{**SETTINGS, "epochs": 2})
    restored, state, info = load_checkpoint(tmp_path / "c.ckpt")  # written at the last epoch end
    assert restored.vocab.words == model.vocab.words
    assert np.array_equal(restored.vocab.counts, model.vocab.counts)
    assert np.array_equal(bits(restored.input_vectors), bits(model.input_vectors))
    assert np.array_equal(bits(restored.output_vectors), bits(model.output_vectors))
    assert restored.options == model.options and state.epoch == 2
    assert state.words_done == 2 * model.stats.words_per_epoch
    assert info["corpus"][0]["path"] == str(corpus_file.resolve())
    assert read_info(tmp_path / "c.ckpt") == info


def test_resume_refuses_a_changed_corpus(tmp_path, corpus_file):
    corpus = tmp_path / "c.txt"
    shutil.copy(corpus_file, corpus)
    fastw2v.train([corpus], control=RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=60.0),
                  **{**SETTINGS, "epochs": 1})
    with open(corpus, "a") as f:
        f.write("one more line\n")
    with pytest.raises(FastW2VError, match="corpus changed"):
        fastw2v.resume(tmp_path / "c.ckpt")


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "cannot read checkpoint"),
    (None, "checkpoint not found"),
])
def test_bad_checkpoint_files(tmp_path, capsys, content, message):
    path = tmp_path / "x.ckpt"
    if content is not None:
        path.write_bytes(content)
    assert main(["train", "--resume", str(path), "-o", str(tmp_path / "v.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not (tmp_path / "v.txt").exists()


def test_resume_rejects_changed_training_options(tmp_path, corpus_file, capsys):
    fastw2v.train([corpus_file], control=RunControl(checkpoint=tmp_path / "c.ckpt", checkpoint_every=60.0),
                  **{**SETTINGS, "epochs": 1})
    assert main(["train", "--resume", str(tmp_path / "c.ckpt"), "--dim", "50", "-o", str(tmp_path / "v.txt")]) == 2
    assert "--dim cannot be changed when resuming" in capsys.readouterr().err


def _interrupted_cli_run(args: list[str], signum: int, after: float) -> subprocess.CompletedProcess:
    """Start ``fastw2v train``; once training has begun, wait ``after`` s and send ``signum``."""
    proc = subprocess.Popen([*fastw2v_script(), "train", *args], env=cli_env(), text=True,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    lines = []
    for line in proc.stderr:  # the summary line comes just before training starts
        lines.append(line)
        if line.startswith("vocabulary:"):
            break
    time.sleep(after)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(lines) + err)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_cli_training_leaves_a_usable_checkpoint(tmp_path, signum):
    common = [str(TEXT8), "--epochs", "3", "--threads", "1", "--dim", "32", "--no-cache"]
    done = subprocess.run([*fastw2v_script(), "train", *common, "-o", str(tmp_path / "full.txt"), "-q"],
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "part.txt"
    started = time.monotonic()
    stopped = _interrupted_cli_run([*common, "-o", str(out)], signum, after=1.0)
    assert time.monotonic() - started < 60
    assert stopped.returncode == 130, stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    checkpoint = tmp_path / "part.txt.checkpoint"
    assert f"fastw2v train --resume {checkpoint}" in last and "Traceback" not in stopped.stderr
    assert not out.exists() and checkpoint.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    _, state, _ = load_checkpoint(checkpoint)
    assert state.words_done > 0 and state.epoch < 3
    resumed = subprocess.run([*fastw2v_script(), "train", "--resume", str(checkpoint)], env=cli_env(),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming epoch" in resumed.stderr
    assert out.read_bytes() == (tmp_path / "full.txt").read_bytes()  # bit-identical at 1 thread
    assert not checkpoint.exists()  # the interrupt's checkpoint is used up


def test_diverging_run_stops_with_a_clear_error(tmp_path, corpus_file, capsys):
    out = tmp_path / "v.txt"
    args = ["train", str(corpus_file), "-o", str(out), "--alpha", "1e6", "--min-count", "1",
            "--dim", "16", "--epochs", "2", "--threads", "1", "-q", "--checkpoint-every", "60"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training diverged" in err[0] and "--alpha" in err[0]
    assert not out.exists()
    # Every checkpoint written holds finite values only: the guard runs before each one.
    checkpoint = tmp_path / "v.txt.checkpoint"
    if checkpoint.exists():
        model, _, _ = load_checkpoint(checkpoint)
        assert np.isfinite(model.input_vectors).all()


def test_guard_accepts_normal_training(corpus_file):
    model = fastw2v.train([corpus_file], **{**SETTINGS, "epochs": 1})
    assert np.abs(model.input_vectors).max() < training.DIVERGED_LIMIT


# ---------------------------------------------------------------- token cache
def test_cache_is_reused_and_invalidated(tmp_path, corpus_file):
    corpus = tmp_path / "c.txt"
    shutil.copy(corpus_file, corpus)
    cache = tmp_path / "cache"
    opts = TrainOptions(**SETTINGS).resolved()
    in_memory = fastw2v.train([corpus], **SETTINGS)
    first = fastw2v.train([corpus], cache_dir=cache, **SETTINGS)
    entry = TokenCache(cache, Corpus([corpus]), opts)
    assert entry.open() is not None
    stamp = entry.path("tokens").stat().st_mtime_ns
    second = fastw2v.train([corpus], cache_dir=cache, **SETTINGS)  # no encoding: the entry is reused
    assert entry.path("tokens").stat().st_mtime_ns == stamp
    for m in (first, second):
        assert np.array_equal(bits(in_memory.input_vectors), bits(m.input_vectors))

    with open(corpus, "a") as f:  # the input changes: a new entry
        f.write("alpha beta gamma\n")
    changed = TokenCache(cache, Corpus([corpus]), opts)
    assert changed.name != entry.name and changed.open() is None
    third = fastw2v.train([corpus], cache_dir=cache, **SETTINGS)
    assert changed.open() is not None and "gamma" in third.vocab
    assert len(list(cache.glob("*.json"))) == 2
    other = TokenCache(cache, Corpus([corpus]), TrainOptions(**{**SETTINGS, "min_count": 2}).resolved())
    assert other.name != changed.name  # counting options are part of the key


@pytest.mark.parametrize("given_vocab", [False, True])
def test_cache_encodes_exactly_as_memory_across_windows(tmp_path, given_vocab):
    """The text8 sample (1.7M ids) spans two compaction windows of the cache build."""
    from fastw2v.text.encode import vocab_and_corpus

    source = Corpus([TEXT8])
    vocab, encoded = vocab_and_corpus(source, min_count=5, max_vocab_size=0, max_sentence_length=10_000)
    opts = TrainOptions(min_count=5).resolved()
    cached_vocab, cached = TokenCache(tmp_path, source, opts, vocab if given_vocab else None).build()
    assert cached_vocab.words == vocab.words
    assert np.array_equal(cached.tokens, encoded.tokens)
    assert np.array_equal(cached.sentence_ends, encoded.sentence_ends)


def test_incomplete_cache_entry_is_rebuilt(tmp_path, corpus_file):
    cache = tmp_path / "cache"
    model = fastw2v.train([corpus_file], cache_dir=cache, **{**SETTINGS, "epochs": 1})
    entry = TokenCache(cache, Corpus([corpus_file]), TrainOptions(**SETTINGS).resolved())
    with open(entry.path("tokens"), "r+b") as f:  # a damaged entry: wrong size
        f.truncate(100)
    with pytest.raises(DamagedEntry, match="holds 100 bytes"):
        entry.open()
    again = fastw2v.train([corpus_file], cache_dir=cache, **{**SETTINGS, "epochs": 1})
    assert np.array_equal(bits(model.input_vectors), bits(again.input_vectors))


# Peak RSS from VmHWM: ru_maxrss would include the memory of the forked test process.
_RSS_SCRIPT = """
import re, sys
sys.path.insert(0, {repo!r})
import fastw2v
fastw2v.train([{corpus!r}], vocab={vocab!r}, cache_dir={cache!r}, dim=16, epochs=1, threads=2,
              min_count=1, window=2, negative=2)
print(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
"""


def _peak_rss_kb(corpus: Path, vocab: Path, cache: Path | None) -> int:
    script = _RSS_SCRIPT.format(repo=str(Path(__file__).resolve().parents[1]), corpus=str(corpus),
                                vocab=str(vocab), cache=str(cache) if cache else None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=cli_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def test_memory_does_not_grow_with_the_corpus_through_the_cache(tmp_path):
    """Same vocabulary, a corpus 1x and 4x as large: with the token cache, peak
    resident memory stays within a small margin (the 4x corpus's ids alone are 105 MB
    more); held in memory, it grows by about that much."""
    rng = np.random.default_rng(0)
    words = [f"{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "0123456789"]  # 260 words
    # 1x: 9M words, 27 MB of text: larger than what the reader holds in flight
    # (a few 4 MB blocks), so that both runs saturate it.
    lines = "\n".join(" ".join(rng.choice(words, size=1000)) for _ in range(900)) + "\n"
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text(lines * 10)
    large.write_text(lines * 40)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"{w} 1000\n" for w in words))
    cached_small = _peak_rss_kb(small, vocab, tmp_path / "cache")
    cached_large = _peak_rss_kb(large, vocab, tmp_path / "cache")
    memory_large = _peak_rss_kb(large, vocab, None)
    ids_growth_kb = 3 * 9e6 * 4 / 1024  # the extra token ids of the 4x corpus: 105 MB
    assert cached_large - cached_small < 0.25 * ids_growth_kb, (cached_small, cached_large)
    assert memory_large - cached_large > 0.5 * ids_growth_kb, (memory_large, cached_large)
