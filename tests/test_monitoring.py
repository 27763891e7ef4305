"""Watching training (issue 10): the reported loss is the exact objective, the
JSON-lines log has the documented fields, and per-epoch scores reach it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TEXT8, WORDSIM, topic_corpus

import fastw2v
from fastw2v.cli import main
from fastw2v.engine import sampling
from fastw2v.engine.engine import chunk_layout
from fastw2v.engine.sampling import (
    draw_noise,
    keep_probabilities,
    noise_table,
    seed_state,
)
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus
from fastw2v.training.driver import RunControl, run_epochs
from fastw2v.training.model import (
    TrainOptions,
    TrainState,
    TrainStats,
    Word2VecModel,
    aligned_zeros,
)


def next_random(state):  # the kernels' generator, kept in uint64 when called from Python
    state, bits = sampling.next_random(np.uint64(state))
    return np.uint64(state), np.uint64(bits)


def random_below(bits, n):
    return int(sampling.random_below(np.uint64(bits), n))


def _softplus(x: float) -> float:
    return max(x, 0.0) + np.log1p(np.exp(-abs(x)))


def _replayed_loss(model, encoded, opts) -> float:
    """Skip-gram's objective over the exact samples the kernel draws, in float64:
    each context word's input vector scores the centre (label 1) and its noise words."""
    syn0 = model.input_vectors.astype(np.float64)
    syn1 = model.output_vectors.astype(np.float64)
    total = 0.0
    for ctx, outs in _samples(model, encoded, opts):
        for b in ctx:
            for k, o in enumerate(outs):
                f = float(syn0[b] @ syn1[o])
                total += _softplus(-f if k == 0 else f)
    return total


@pytest.mark.parametrize("model_name", ["sg", "cbow"])
def test_reported_loss_equals_the_objective_recomputed_in_float64(model_name):
    """With the learning rate at 0 the vectors stay fixed, so the loss the kernel
    sums must equal the objective of the same samples recomputed independently."""
    sentences, _ = topic_corpus(n_sentences=400)
    opts = TrainOptions(model=model_name, min_count=1, dim=12, epochs=1, threads=1, seed=5,
                        window=3, negative=4, sample=1e-2, alpha=0.0, min_alpha=0.0).resolved()
    vocab, encoded = vocab_and_corpus(Corpus(sentences), min_count=1, max_vocab_size=0,
                                      max_sentence_length=10_000)
    rng = np.random.default_rng(0)
    syn0, syn1 = aligned_zeros(len(vocab), opts.dim), aligned_zeros(len(vocab), opts.dim)
    syn0[:, :opts.dim] = rng.normal(0, 0.5, (len(vocab), opts.dim))
    syn1[:, :opts.dim] = rng.normal(0, 0.5, (len(vocab), opts.dim))
    model = Word2VecModel(vocab, syn0, syn1, opts, TrainStats(words_per_epoch=encoded.n_words))
    if model_name == "cbow":
        expected = _replayed_cbow_loss(model, encoded, opts)
    else:
        expected = _replayed_loss(model, encoded, opts)
    run_epochs(model, encoded, RunControl(report_loss=True), TrainState())
    reported = model.epoch_losses[0] * encoded.n_words
    assert expected > 0
    assert reported == pytest.approx(expected, rel=1e-5)


def _replayed_cbow_loss(model, encoded, opts) -> float:
    """CBOW's objective: the mean of the window's input vectors scores each output."""
    syn0 = model.input_vectors.astype(np.float64)
    syn1 = model.output_vectors.astype(np.float64)
    total = 0.0
    for ctx, outs in _samples(model, encoded, opts):
        hidden = syn0[ctx].mean(axis=0)
        for k, o in enumerate(outs):
            f = float(hidden @ syn1[o])
            total += _softplus(-f if k == 0 else f)
    return total


def _samples(model, encoded, opts):
    """(context ids, output ids) per centre, in the kernel's drawing order.

    A plain Python statement of the sampling order: per chunk, its own random
    state; per sentence, the subsampling draws, then each centre's outputs drawn
    one step ahead, then its window.
    """
    keep = keep_probabilities(model.vocab.counts, opts.sample)
    table = noise_table(model.vocab.counts, opts.ns_exponent)
    ends = encoded.sentence_ends
    chunks = chunk_layout(ends)

    def draw_outputs(center, rng):
        outs = [center]
        for _ in range(opts.negative):
            w, rng = draw_noise(table, np.uint64(rng))
            if w != center:
                outs.append(w)
        return outs, rng

    for c in range(chunks.shape[0] - 1):
        rng = seed_state(np.uint64(opts.seed), 0, c)
        for s in range(chunks[c], chunks[c + 1]):
            start = int(ends[s - 1]) if s else 0
            sentence = []
            for w in encoded.tokens[start:ends[s]].tolist():
                if keep[w] < 1.0:
                    rng, bits = next_random(rng)
                    if float(keep[w]) * 4294967296.0 <= float(bits):
                        continue
                sentence.append(w)
            if not sentence:
                continue
            nxt, rng = draw_outputs(sentence[0], rng)
            for i in range(len(sentence)):
                outs = nxt
                if i + 1 < len(sentence):
                    nxt, rng = draw_outputs(sentence[i + 1], rng)
                rng, bits = next_random(rng)
                reach = opts.window - random_below(bits, opts.window)
                ctx = [sentence[j] for j in range(max(0, i - reach), min(len(sentence), i + reach + 1))
                       if j != i]
                if ctx:
                    yield ctx, outs


def test_loss_falls_over_epochs_and_is_off_by_default():
    sentences, _ = topic_corpus(n_sentences=2000)
    settings = dict(min_count=1, dim=16, epochs=4, threads=2, seed=3)
    watched = fastw2v.train(sentences, control=RunControl(report_loss=True), **settings)
    losses = watched.epoch_losses
    assert len(losses) == 4 and all(np.isfinite(x) and x > 0 for x in losses)
    # With two Hogwild threads one epoch may end a little above the one before; what is
    # certain is that training lowers the loss from the first epoch to the last.
    assert losses[-1] < losses[0], losses
    plain = fastw2v.train(sentences, **settings)
    assert all(np.isnan(x) for x in plain.epoch_losses)


@pytest.mark.parametrize("options", [{"model": "cbow"}, {"batching": "none"}])
def test_loss_is_reported_for_every_rule(options):
    sentences, _ = topic_corpus(n_sentences=2000)
    m = fastw2v.train(sentences, control=RunControl(report_loss=True), min_count=1, dim=16,
                      epochs=4, threads=1, **options)
    assert m.epoch_losses[0] > m.epoch_losses[-1] > 0, m.epoch_losses


EPOCH_FIELDS = {"event", "epoch", "epochs", "words", "seconds", "words_per_second", "alpha",
                "loss_per_word"}


def test_cli_log_is_json_lines_with_the_documented_fields(tmp_path, capsys):
    log = tmp_path / "train.jsonl"
    args = ["train", str(TEXT8), "-o", str(tmp_path / "v.txt"), "--epochs", "2", "--dim", "16",
            "--threads", "2", "--report-loss", "--log", str(log), "--eval-every-epoch",
            "--similarity", str(WORDSIM), "--no-cache"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "epoch 1/2: loss per word" in err and "wordsim353" in err
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["event"] for r in records] == ["start", "epoch", "epoch", "end"]
    assert records[0]["options"]["epochs"] == 2 and records[0]["options"]["dim"] == 16
    epochs = records[1:3]
    for n, r in enumerate(epochs, 1):
        assert EPOCH_FIELDS <= set(r) and r["epoch"] == n and r["epochs"] == 2
        assert r["words"] == n * records[0]["words_per_epoch"]
        assert r["seconds"] > 0 and r["words_per_second"] > 0 and r["loss_per_word"] > 0
        assert set(r["scores"]) == {"wordsim353"} and -1 <= r["scores"]["wordsim353"] <= 1
    assert epochs[1]["loss_per_word"] < epochs[0]["loss_per_word"]
    assert epochs[1]["alpha"] < epochs[0]["alpha"]
    assert records[3]["words"] == epochs[1]["words"]


def test_log_without_loss_has_null_loss(tmp_path):
    sentences, _ = topic_corpus(n_sentences=200)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    log = tmp_path / "log.jsonl"
    assert main(["train", str(corpus), "-o", str(tmp_path / "v.txt"), "--min-count", "1",
                 "--epochs", "1", "--dim", "8", "-q", "--log", str(log)]) == 0
    epoch = [json.loads(x) for x in log.read_text().splitlines()][1]
    assert epoch["event"] == "epoch" and epoch["loss_per_word"] is None and "scores" not in epoch


def test_softplus_table_is_within_its_stated_error():
    from fastw2v.engine.losses import softplus

    xs = np.concatenate([np.linspace(-40, 40, 20001), [-16.0, 16.0, 0.0, -1e-9, 1e-9]])
    exact = np.maximum(xs, 0) + np.log1p(np.exp(-np.abs(xs)))
    got = np.array([softplus(x) for x in xs])
    assert np.abs(got - exact).max() < 6e-7
