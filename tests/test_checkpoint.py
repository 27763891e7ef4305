"""Never lose a run (issue 7): checkpoints and exact resume, interrupts, the
numerics guard, and the token cache (reuse, invalidation, bounded memory)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TEXT8, TerminalRun, cli_env, fastw2v_script, topic_corpus

import fastw2v
from fastw2v import FastW2VError
from fastw2v.cli import main
from fastw2v.engine.kernels import all_within
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


@pytest.fixture(scope="module")
def small_corpus_file(tmp_path_factory) -> Path:
    """About 40k words: 4 chunks of 10,000 words."""
    sentences, _ = topic_corpus(n_sentences=4000, seed=3)
    path = tmp_path_factory.mktemp("small") / "small.txt"
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


def keep_every_checkpoint(monkeypatch, directory: Path) -> list[Path]:
    """Copy every checkpoint the run writes; returns the list of copies, in order."""
    copies: list[Path] = []
    save = training._save_checkpoint

    def save_and_copy(model, state, control):
        save(model, state, control)
        copies.append(directory / f"copy{len(copies)}.ckpt")
        shutil.copy(control.checkpoint, copies[-1])

    monkeypatch.setattr(training, "_save_checkpoint", save_and_copy)
    return copies


@pytest.mark.parametrize("options", [{"model": "cbow"}, {"batching": "none"}, {"loss": "nce"}, {"loss": "hs"}],
                         ids=["cbow", "sg-pairs", "nce", "hs"])
def test_resume_is_bit_identical_for_every_rule_and_loss(tmp_path, small_corpus_file, monkeypatch, options):
    """Resumed mid-epoch (in either epoch), a one-thread run ends bit-identical to an
    uninterrupted one: both matrices and NCE's biases; and each epoch's loss total,
    part of it summed before the checkpoint and the rest after, is the same."""
    settings = dict(min_count=1, dim=12, epochs=2, threads=1, seed=5, window=3, negative=3, **options)
    full = fastw2v.train([small_corpus_file], control=RunControl(report_loss=True), **settings)
    copies = keep_every_checkpoint(monkeypatch, tmp_path)
    control = RunControl(report_loss=True, checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e-9,
                         segment_words=10_000)
    fastw2v.train([small_corpus_file], control=control, **settings)
    monkeypatch.undo()
    states = [load_checkpoint(c)[1] for c in copies]
    words = full.stats.words_per_epoch
    picks = [next(i for i, st in enumerate(states) if st.epoch == e and 0 < st.epoch_words < words)
             for e in (0, 1)]
    for i in picks:
        assert states[i].epoch_loss > 0
        resumed = fastw2v.resume(copies[i], control=RunControl(report_loss=True, checkpoint=tmp_path / "r.ckpt"))
        assert np.array_equal(bits(full.syn0), bits(resumed.syn0)), i
        assert np.array_equal(bits(full.syn1), bits(resumed.syn1)), i
        if full.biases is not None:
            assert np.array_equal(bits(full.biases), bits(resumed.biases)), i
        assert resumed.epoch_losses == pytest.approx(full.epoch_losses, rel=1e-12), i
        assert resumed.stats.words_trained == full.stats.words_trained


def _frozen_model(corpus_file: Path, threads: int):
    """A model with random vectors and alpha 0: training moves nothing, so the loss summed
    over an epoch depends only on the random draws and on which chunks are trained."""
    from fastw2v.text.encode import vocab_and_corpus
    from fastw2v.training.model import TrainStats, Word2VecModel, aligned_zeros

    opts = TrainOptions(min_count=1, dim=12, epochs=2, threads=threads, seed=4, window=3, negative=3,
                        alpha=0.0, min_alpha=0.0).resolved()
    vocab, encoded = vocab_and_corpus(Corpus([corpus_file]), min_count=1, max_vocab_size=0,
                                      max_sentence_length=10_000)
    rng = np.random.default_rng(1)
    syn0, syn1 = aligned_zeros(len(vocab), opts.dim), aligned_zeros(len(vocab), opts.dim)
    syn0[:, :opts.dim] = rng.normal(0, 0.5, (len(vocab), opts.dim))
    syn1[:, :opts.dim] = rng.normal(0, 0.5, (len(vocab), opts.dim))
    return Word2VecModel(vocab, syn0, syn1, opts, TrainStats(words_per_epoch=encoded.n_words)), encoded


def test_resume_with_more_threads_trains_each_remaining_chunk_once(tmp_path, small_corpus_file, monkeypatch):
    """A checkpoint of a one-thread run, resumed with 2 threads: the remaining chunks of the
    epoch are trained once each, with the same draws (the frozen loss totals agree)."""
    from fastw2v.training.model import TrainState

    model, encoded = _frozen_model(small_corpus_file, threads=1)
    copies = keep_every_checkpoint(monkeypatch, tmp_path)
    control = RunControl(report_loss=True, checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e-9,
                         segment_words=10_000,
                         checkpoint_info={"corpus": Corpus([small_corpus_file]).fingerprint()})
    training.run_epochs(model, encoded, control, TrainState())
    monkeypatch.undo()
    full_losses = model.epoch_losses
    states = [load_checkpoint(c)[1] for c in copies]
    mid = next(i for i, st in enumerate(states) if st.epoch == 0 and 0 < st.epoch_words < encoded.n_words)
    assert load_checkpoint(copies[mid])[0].options.threads == 1
    resumed = fastw2v.resume(copies[mid], threads=2, control=RunControl(report_loss=True,
                                                                       checkpoint=tmp_path / "r.ckpt"))
    assert resumed.options.threads == 2
    assert resumed.stats.words_trained == 2 * encoded.n_words
    assert resumed.epoch_losses == pytest.approx(full_losses, rel=1e-11)


def _interrupted_cli_run(tmp_path, corpus_file, monkeypatch, capsys, *extra) -> Path:
    """Train through ``main`` with --threads 1, interrupted (SIGINT) right after the first
    kernel call (all of epoch 1); returns the checkpoint path the message names."""
    with monkeypatch.context() as m:
        interrupt_after(m)
        code = main(["train", str(corpus_file), "-o", str(tmp_path / "v.txt"), "--min-count", "1",
                     "--dim", "12", "--epochs", "2", "--threads", "1", "--no-cache", "-q", *extra])
    assert code == 130
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("fastw2v: interrupted at epoch 1 of 2, 100% through; checkpoint written to "), last
    return Path(last.rsplit("--resume ", 1)[1])


@pytest.mark.parametrize("asked", ["--checkpoint", "--checkpoint-every", None])
def test_checkpoints_asked_for_are_kept(tmp_path, small_corpus_file, monkeypatch, capsys, asked):
    """After a resumed run has written its vectors, the checkpoint of an interrupt is deleted,
    but one asked for with --checkpoint FILE or --checkpoint-every is kept (and then holds
    the interrupt's state). The resumed run may use another thread count (--threads)."""
    extra = {"--checkpoint": ["--checkpoint", str(tmp_path / "mine.ckpt")],
             "--checkpoint-every": ["--checkpoint-every", "60"], None: []}[asked]
    checkpoint = _interrupted_cli_run(tmp_path, small_corpus_file, monkeypatch, capsys, *extra)
    assert checkpoint == (tmp_path / "mine.ckpt" if asked == "--checkpoint" else tmp_path / "v.txt.checkpoint")
    assert checkpoint.exists()
    assert main(["train", "--resume", str(checkpoint), "--threads", "2", "--no-cache"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"resuming epoch 1 of 2 at 100% from {checkpoint} (corpus: in memory, "), err
    assert re.fullmatch(r"trained [\d,]+ words in [\d.]+ s \(.+ words/s, 2 threads\)", err[1]), err
    assert (tmp_path / "v.txt").exists()
    assert checkpoint.exists() == (asked is not None)


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


SIGNAL_RUN = [str(TEXT8), "--epochs", "3", "--threads", "1", "--dim", "32", "--no-cache"]


@pytest.fixture(scope="module")
def uninterrupted_text8(tmp_path_factory) -> Path:
    """The vectors of the run the signal tests interrupt, trained without interruption."""
    out = tmp_path_factory.mktemp("full") / "full.txt"
    done = subprocess.run([*fastw2v_script(), "train", *SIGNAL_RUN, "-o", str(out), "-q"],
                          env=cli_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def training_is_past(percent: int):
    """The training bar has shown progress beyond ``percent`` (and is not done)."""
    return lambda run: any(percent < f["percent"] < 100 for f in run.frames("training"))


@pytest.mark.parametrize("signum, percent", [(signal.SIGINT, 0), (signal.SIGTERM, 40)],
                         ids=["SIGINT-first-update", "SIGTERM-epoch-2"])
def test_signal_during_cli_training_leaves_a_usable_checkpoint(tmp_path, signum, percent,
                                                               uninterrupted_text8):
    """The signal goes out once the progress bar shows training under way: at its first
    update, or past 40% (in epoch 2 of 3); not a fixed delay after the vocabulary line,
    which a fast machine could outrun."""
    out = tmp_path / "part.txt"
    run = TerminalRun(["train", *SIGNAL_RUN, "-o", out])
    assert run.read_until(training_is_past(percent)), run.plain()
    run.proc.send_signal(signum)
    assert run.finish() == 130, run.plain()
    checkpoint = tmp_path / "part.txt.checkpoint"
    assert "Traceback" not in run.plain()
    assert not out.exists() and checkpoint.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    model, state, _ = load_checkpoint(checkpoint)
    assert 0 < state.words_done < 3 * model.stats.words_per_epoch and state.epoch < 3
    assert state.words_done >= percent / 100 * 3 * model.stats.words_per_epoch
    # The last line says where the run stopped, as the checkpoint records it.
    at = f"epoch {state.epoch + 1} of 3, {state.epoch_words / model.stats.words_per_epoch:.0%} through"
    assert run.lines()[-1] == (f"fastw2v: interrupted at {at}; checkpoint written to {checkpoint}; "
                               f"continue with: fastw2v train --resume {checkpoint}")
    resumed = subprocess.run([*fastw2v_script(), "train", "--resume", str(checkpoint), "--no-cache"],
                             env=cli_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming epoch {state.epoch + 1} of 3 at " in resumed.stderr
    assert out.read_bytes() == uninterrupted_text8.read_bytes()  # bit-identical at 1 thread
    assert not checkpoint.exists()  # the interrupt's checkpoint is used up


def interrupt_after(monkeypatch, calls: int = 1) -> list:
    """Send this process SIGINT (a Ctrl-C) right after the ``calls``-th numerics check of
    the run, i.e. between two kernel calls at a known point. Returns the call log."""
    real = training._check_numerics
    seen: list = []

    def check_then_interrupt(model, state, control, *args):
        real(model, state, control, *args)
        seen.append((state.epoch, state.epoch_words))
        if len(seen) == calls:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(training, "_check_numerics", check_then_interrupt)
    return seen


def test_second_interrupt_while_the_checkpoint_is_written_aborts_without_it(tmp_path, corpus_file,
                                                                              capsys, monkeypatch):
    out = tmp_path / "v.txt"
    interrupt_after(monkeypatch)
    real_save = training.save_checkpoint
    steps = []

    def save_interrupted_again(path, *args, **kwargs):
        steps.append("saving")
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C again, while the checkpoint is written
        real_save(path, *args, **kwargs)
        steps.append("saved")

    monkeypatch.setattr(training, "save_checkpoint", save_interrupted_again)
    code = main(["train", str(corpus_file), "-o", str(out), "--min-count", "1", "--dim", "16",
                 "--threads", "1", "--epochs", "2", "--no-cache", "-q"])
    assert code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "checkpoint written" not in err, err
    assert err.strip().splitlines()[-1] == ("fastw2v: interrupted twice: stopped at once, "
                                            "without writing a checkpoint")
    assert steps == ["saving"]  # stopped at once: the checkpoint was never finished
    assert os.listdir(tmp_path) == []  # no checkpoint, no temporary file, no vectors


def test_diverging_run_stops_with_a_clear_error(tmp_path, corpus_file, capsys):
    """A huge --alpha blows up in the first epoch, before any checkpoint is due: the guard
    runs before every checkpoint, so none is written, and none is named."""
    out = tmp_path / "v.txt"
    args = ["train", str(corpus_file), "-o", str(out), "--alpha", "1e6", "--min-count", "1",
            "--dim", "16", "--epochs", "2", "--threads", "1", "-q", "--checkpoint-every", "60", "--no-cache"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training diverged" in err[0] and "--alpha (it was 1e+06)" in err[0]
    assert "at epoch 1," in err[0] and "checkpoint" not in err[0]
    assert os.listdir(tmp_path) == []  # no vectors, no checkpoint


def test_divergence_after_a_good_checkpoint_names_it(tmp_path, corpus_file, capsys, monkeypatch):
    """The vectors blow up in epoch 2, after the checkpoint of epoch 1's end: the error names
    that checkpoint, which exists and holds the finite state of epoch 1's end."""
    real = training._check_numerics

    def blow_up_in_epoch_two(model, state, control, *args):
        if state.epoch == 1:  # 0-based: the second epoch
            model.syn0[3, :model.options.dim] = 3e4  # beyond the limit of 1e4, as a diverging run
        real(model, state, control, *args)

    monkeypatch.setattr(training, "_check_numerics", blow_up_in_epoch_two)
    out = tmp_path / "v.txt"
    checkpoint = tmp_path / "v.txt.checkpoint"
    args = ["train", str(corpus_file), "-o", str(out), "--min-count", "1", "--dim", "16", "--epochs", "3",
            "--threads", "1", "-q", "--checkpoint-every", "60", "--no-cache"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("fastw2v: error: training diverged: the input vectors hold NaN, infinite or "
                             "huge values (beyond 10000) at epoch 2, ")
    assert f"; the last good checkpoint is {checkpoint}; no vectors were written" in err[0]
    assert not out.exists() and checkpoint.exists()
    model, state, _ = load_checkpoint(checkpoint)
    assert (state.epoch, state.epoch_words) == (1, 0)  # epoch 1's end
    assert np.isfinite(model.syn0).all() and np.isfinite(model.syn1).all()
    assert np.abs(model.syn0).max() < training.DIVERGED_LIMIT and np.abs(model.syn1).max() < training.DIVERGED_LIMIT


def test_no_checkpoint_holds_diverged_input_vectors(tmp_path, corpus_file, monkeypatch):
    """The input layer is scanned at epoch ends and before every checkpoint, not after every
    kernel call: a value planted in it after the first of many calls, with a checkpoint due
    at once, stops the run there, before the checkpoint is written."""
    real = training._check_numerics
    calls = []

    def plant_in_the_first_call(model, state, control, *args):
        calls.append(args)
        if len(calls) == 1:
            model.syn0[2, 0] = np.inf
        real(model, state, control, *args)

    monkeypatch.setattr(training, "_check_numerics", plant_in_the_first_call)
    control = RunControl(checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e-9, segment_words=20_000)
    with pytest.raises(FastW2VError, match=r"^training diverged: the input vectors hold ") as err:
        fastw2v.train([corpus_file], control=control, **SETTINGS)
    through = re.search(r" at epoch 1, (\d+)% through", str(err.value))
    assert through and int(through.group(1)) < 100, str(err.value)  # stopped at the checkpoint
    assert calls[0] == (False,)  # the first call's own check was of the output layer alone
    assert not (tmp_path / "run.ckpt").exists()


LIMIT = np.float32(training.DIVERGED_LIMIT)


@pytest.mark.parametrize("value, within", [
    (0.0, True), (1.5, True), (LIMIT, True), (-LIMIT, True),
    (np.nextafter(LIMIT, np.float32(np.inf)), False), (-np.nextafter(LIMIT, np.float32(np.inf)), False),
    (3e38, False), (np.inf, False), (-np.inf, False), (np.nan, False),
], ids=["0", "1.5", "limit", "-limit", "above", "below-minus", "huge", "inf", "-inf", "nan"])
def test_all_within_the_limit(value, within):
    """The guard's test: finite and |x| <= limit, anywhere in a padded matrix."""
    from fastw2v.engine.kernels import all_within
    from fastw2v.training.model import aligned_zeros

    for row, col in ((0, 0), (6, 11), (6, 15)):  # first value, last real column, padding
        m = aligned_zeros(7, 12)
        m[:, :12] = 0.25
        m[row, col] = value
        assert all_within(m, training.DIVERGED_LIMIT) is within, (row, col)
    assert all_within(np.full(3, value, dtype=np.float32), training.DIVERGED_LIMIT) is within


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 2e4])
def test_guard_sees_values_only_in_the_output_matrix(corpus_file, value):
    """Input vectors fine, one bad value in the output layer alone: the guard stops and
    says that it is the output vectors."""
    from fastw2v.training.model import TrainState

    model = fastw2v.train([corpus_file], **{**SETTINGS, "epochs": 1})
    model.syn1[len(model.vocab) - 1, 5] = value
    with pytest.raises(FastW2VError, match=r"^training diverged: the output vectors hold NaN, infinite or huge"):
        training._check_numerics(model, TrainState(), RunControl())


def test_guard_stops_training_on_a_huge_output_value(corpus_file):
    """The same through the epoch loop: at alpha 0 a huge (finite) output value does not
    spread into the input vectors, and the run stops on the output matrix alone."""
    from fastw2v.text.encode import vocab_and_corpus
    from fastw2v.training.model import TrainState

    model = fastw2v.train([corpus_file], **{**SETTINGS, "epochs": 1})
    _, encoded = vocab_and_corpus(Corpus([corpus_file]), min_count=1, max_vocab_size=0,
                                  max_sentence_length=10_000, vocab=model.vocab)
    model.options.alpha = model.options.min_alpha = 0.0
    model.syn1[len(model.vocab) - 1, 5] = 2e4
    with pytest.raises(FastW2VError, match=r"the output vectors hold NaN, infinite or huge values"):
        training.run_epochs(model, encoded, RunControl(), TrainState())
    assert all_within(model.syn0, training.DIVERGED_LIMIT)


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


def test_cache_key_reacts_to_sentence_length_given_vocabulary_and_a_same_size_edit(tmp_path):
    """Each of these changes the encoding, so each gets its own entry (and the right
    result): --max-sentence-length, a vocabulary given with --read-vocab (each one its
    own), and an edit of the corpus that keeps its size (only its modification time
    tells)."""
    from fastw2v import Vocabulary

    corpus = tmp_path / "c.txt"
    corpus.write_text("alpha beta gamma delta\n" * 50 + "one two three four five six seven\n" * 20)
    past = 1_000_000_000 * 10**9  # 2001: an edit now is sure to change the time
    os.utime(corpus, ns=(past, past))
    cache = tmp_path / "cache"
    settings = dict(min_count=1, dim=8, epochs=1, threads=1)

    def entries() -> set[str]:
        return {p.stem for p in cache.glob("*.json")}

    def entry(**options) -> TokenCache:
        vocab = options.pop("vocab", None)
        return TokenCache(cache, Corpus([corpus]), TrainOptions(**{**settings, **options}).resolved(), vocab)

    counted = fastw2v.train([corpus], cache_dir=cache, **settings)
    assert entries() == {entry().name}
    cut = fastw2v.train([corpus], cache_dir=cache, max_sentence_length=3, **settings)
    assert entries() == {entry().name, entry(max_sentence_length=3).name}
    _, encoded = entry(max_sentence_length=3).open()
    assert encoded.n_sentences == 50 * 2 + 20 * 3 and cut.stats.words_per_epoch == counted.stats.words_per_epoch

    fewer = Vocabulary(["alpha", "beta", "one"], np.array([50, 50, 20]))
    other = Vocabulary(["alpha", "beta", "one"], np.array([60, 50, 20]))  # same words, other counts
    for vocab in (fewer, other):
        model = fastw2v.train([corpus], cache_dir=cache, vocab=vocab, **settings)
        assert model.vocab.words == vocab.words and model.stats.words_per_epoch == 120
    assert entries() == {entry().name, entry(max_sentence_length=3).name, entry(vocab=fewer).name,
                         entry(vocab=other).name}
    assert len(entries()) == 4

    edited = corpus.read_bytes().replace(b"gamma", b"GAMMA")
    size = corpus.stat().st_size
    corpus.write_bytes(edited)
    assert corpus.stat().st_size == size and corpus.stat().st_mtime_ns != past
    model = fastw2v.train([corpus], cache_dir=cache, **settings)
    assert "GAMMA" in model.vocab and "gamma" not in model.vocab
    assert len(entries()) == 5 and entry().name in entries()


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


# The child trains and prints nothing; its memory is sampled from outside, every 10 ms, by
# bench.measure (as `python -m bench memory` does), split into private memory (RssAnon:
# heap and arrays) and mapped files (RssFile: Numba's LLVM library, the memory-mapped
# token cache). Token ids held in memory are private; read through the cache they are
# mapped file pages, which the kernel may drop and which the driver lets go of as it goes.
_TRAIN_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import fastw2v
fastw2v.train([{corpus!r}], vocab={vocab!r}, cache_dir={cache!r}, in_memory={in_memory!r}, dim=16,
              epochs=1, threads=2, min_count=1, window=2, negative=2)
"""
MB = 1024 * 1024


def _peak_private_mb(tmp_path: Path, corpus: Path, vocab: Path, cache: Path | None) -> float:
    """Peak private memory of a run through the token cache in ``cache``, or (None) in memory."""
    from bench.measure import run_measured

    script = _TRAIN_SCRIPT.format(repo=str(Path(__file__).resolve().parents[1]), corpus=str(corpus),
                                  vocab=str(vocab), cache=str(cache) if cache else None,
                                  in_memory=cache is None)
    run = run_measured([sys.executable, "-c", script], tmp_path / f"{corpus.stem}-{bool(cache)}.log",
                       env=cli_env(), timeout=300, sample_memory=True)
    assert run.ok, Path(run.log).read_text()[-2000:]
    assert run.peak_anon_mb is not None  # Linux: /proc/PID/status was sampled
    return run.peak_anon_mb


def test_memory_does_not_grow_with_the_corpus_through_the_cache(tmp_path):
    """Same vocabulary, a corpus 1x and 4x as large (the 4x corpus's ids alone are 103 MB
    more). Through the token cache, private memory stays put; held in memory, it grows by
    about the ids.

    Private memory, not RSS: RSS also counts the token cache's mapped pages, and how many of
    those stay resident depends on the machine's page cache and memory pressure, so it is
    no measure of what the process holds (on a busy 2-core machine the peak RSS of the 4x
    run came out 27 MB above the 1x run's, failing the old RSS test's 26 MB margin).
    Private memory grew by 10-12 MB there, from the cache build's buffers; held in memory it
    grew by 135 MB. The margin, a quarter of the ids' growth (26 MB), leaves room for that
    and for the 10 ms sampling; a cache that held even a third of the ids privately would
    exceed it."""
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
    cached_small = _peak_private_mb(tmp_path, small, vocab, tmp_path / "cache")
    cached_large = _peak_private_mb(tmp_path, large, vocab, tmp_path / "cache")
    memory_large = _peak_private_mb(tmp_path, large, vocab, None)
    ids_growth_mb = 3 * 9e6 * 4 / MB  # the extra token ids of the 4x corpus
    margin_mb = 0.25 * ids_growth_mb
    assert cached_large - cached_small < margin_mb, (cached_small, cached_large)
    assert memory_large - cached_large > 0.5 * ids_growth_mb, (memory_large, cached_large)
