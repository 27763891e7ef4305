"""Continued training (issue 20): save a whole model, train it further on new text
with a growing (or fixed) vocabulary, or start from pretrained vectors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import cli_env, fastw2v_script, topic_corpus

import fastw2v
from fastw2v.errors import FastW2VError
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus
from fastw2v.text.vocab import Vocabulary
from fastw2v.training.continuation import continued_start, merged_vocabulary, reencoded
from fastw2v.training.model import initial_vectors

SETTINGS = dict(min_count=2, dim=8, epochs=2, threads=1, seed=1, window=3)


def write(path: Path, sentences) -> Path:
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """Two texts on the same topics; the second brings words the first never has."""
    sentences, groups = topic_corpus(n_sentences=3000)
    d = tmp_path_factory.mktemp("halves")
    first = write(d / "first.txt", sentences[:1500])
    second = sentences[1500:]
    # 'novelword' lives among the words of group 0 only; extra0-2 anywhere
    second = [(s[:5] + ["novelword"] + s[5:] if s[0].startswith("g0w") else s) + ([f"extra{i % 3}"] if i % 2 else [])
              for i, s in enumerate(second)]
    return first, write(d / "second.txt", second)


@pytest.fixture(scope="module")
def first_model(halves):
    return fastw2v.train(halves[0], **SETTINGS)


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*fastw2v_script(), *map(str, args)], capture_output=True, text=True,
                          env=cli_env(), timeout=300)


# ---------------------------------------------------------------- the vocabulary
def test_merged_vocabulary_adds_counts_and_admits_new_words_at_min_count():
    old = Vocabulary(["a", "b", "c"], np.array([10, 5, 3]))
    counted = Vocabulary(["b", "new", "rare", "c"], np.array([9, 4, 1, 1]))
    merged = merged_vocabulary(old, counted, min_count=2)
    assert dict(zip(merged.words, merged.counts.tolist())) == {"a": 10, "b": 14, "c": 4, "new": 4}
    assert merged.words == ["b", "a", "c", "new"]  # most frequent first, ties by the word
    fixed = merged_vocabulary(old, counted, min_count=2, update=False)
    assert dict(zip(fixed.words, fixed.counts.tolist())) == {"a": 10, "b": 14, "c": 4}


def test_reencoded_corpus_equals_encoding_against_the_merged_vocabulary(halves, first_model):
    counted, encoded = vocab_and_corpus(Corpus(halves[1]), min_count=1, max_vocab_size=0, max_sentence_length=7)
    merged = merged_vocabulary(first_model.vocab, counted, min_count=2)
    direct = vocab_and_corpus(Corpus(halves[1]), min_count=1, max_vocab_size=0, max_sentence_length=7,
                              vocab=merged)[1]
    again = reencoded(encoded, counted, merged)
    assert np.array_equal(again.tokens, direct.tokens)
    assert np.array_equal(again.sentence_ends, direct.sentence_ends)


# ---------------------------------------------------------------- the rows
def test_kept_words_keep_their_rows_and_new_words_start_fresh(first_model, halves):
    counted = vocab_and_corpus(Corpus(halves[1]), min_count=1, max_vocab_size=0, max_sentence_length=1000)[0]
    merged = merged_vocabulary(first_model.vocab, counted, min_count=2)
    opts = first_model.options
    start = continued_start(first_model, merged, opts)
    fresh0, _ = initial_vectors(len(merged), opts.dim, opts.seed)
    assert start.new_words == 4 and start.kept_words == len(first_model.vocab)  # novelword, extra0-2
    for i, w in enumerate(merged.words):
        if w in first_model.vocab:
            j = first_model.vocab.index[w]
            assert np.array_equal(start.syn0[i], first_model.syn0[j])
            assert np.array_equal(start.syn1[i], first_model.syn1[j])
        else:
            assert np.array_equal(start.syn0[i], fresh0[i]) and not start.syn1[i].any()


def test_with_a_zero_learning_rate_continuing_changes_no_kept_vector(first_model, halves):
    """Continuing with alpha 0 trains nothing: every kept word's vector is exactly the
    model's, and every new word has the fresh start a first run would give it."""
    model = fastw2v.train(halves[1], init=first_model, alpha=0.0, min_alpha=0.0, in_memory=True)
    assert set(first_model.words) < set(model.words)
    assert {"novelword", "extra0", "extra1", "extra2"} <= set(model.words)
    for w in first_model.words:
        assert np.array_equal(model[w], first_model[w])
    assert model.options.dim == first_model.options.dim and model.options.window == 3  # the model's options


def test_continued_training_moves_new_words_near_their_neighbours(halves, first_model):
    """'novelword' occurs only in the second text, among the words of group 0: after
    continuing, its nearest neighbours are group 0's words, and the kept words stay
    close to where they were."""
    model = fastw2v.train(halves[1], init=first_model, epochs=3, in_memory=True)
    vectors = fastw2v.WordVectors(model.words, model.input_vectors)
    neighbours = [w for w, _ in vectors.most_similar("novelword", topn=5)]
    assert all(w.startswith("g0w") for w in neighbours), neighbours
    kept = list(first_model.words)
    a = np.stack([first_model[w] for w in kept])
    b = np.stack([model[w] for w in kept])
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert np.median(cos) > 0.5


def test_no_vocab_update_keeps_the_vocabulary(halves, first_model):
    model = fastw2v.train(halves[1], init=first_model, vocab_update=False, in_memory=True, epochs=1)
    assert sorted(model.words) == sorted(first_model.words)
    counted = vocab_and_corpus(Corpus(halves[1]), min_count=1, max_vocab_size=0, max_sentence_length=10000)[0]
    for w in ("g0w0", model.words[-1]):
        expected = first_model.vocab.counts[first_model.vocab.index[w]] + counted.counts[counted.index[w]]
        assert model.vocab.counts[model.vocab.index[w]] == expected


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_each_loss_continues_deterministically(halves, loss):
    base = fastw2v.train(halves[0], loss=loss, **SETTINGS)
    runs = [fastw2v.train(halves[1], init=base, in_memory=True, epochs=1, threads=1) for _ in range(2)]
    assert np.array_equal(runs[0].syn0, runs[1].syn0) and np.array_equal(runs[0].syn1, runs[1].syn1)
    assert runs[0].options.loss == loss and np.all(np.isfinite(runs[0].syn0))
    if loss == "nce":
        assert runs[0].biases.shape == (len(runs[0].words),)


def test_hs_keeps_its_inner_nodes_only_while_the_tree_is_the_same(halves, tmp_path, capsys):
    base = fastw2v.train(halves[0], loss="hs", **SETTINGS)
    same = fastw2v.train(halves[0], init=base, alpha=0.0, min_alpha=0.0, vocab_update=False,
                         in_memory=True, progress=True)  # the same text: every count doubles
    assert "Huffman tree changed" not in capsys.readouterr().err
    assert np.array_equal(same.syn1, base.syn1)
    grown = fastw2v.train(halves[1], init=base, alpha=0.0, min_alpha=0.0, in_memory=True, progress=True)
    assert "the Huffman tree changed, so its inner nodes restart from zero" in capsys.readouterr().err
    assert not grown.syn1.any()


def test_fixed_options_cannot_change(first_model, halves):
    with pytest.raises(FastW2VError, match=r"dim cannot change when continuing a model: it has 8, 16 was given"):
        fastw2v.train(halves[1], init=first_model, dim=16)
    with pytest.raises(FastW2VError, match=r"loss cannot change when continuing a model"):
        fastw2v.train(halves[1], init=first_model, loss="hs")
    with pytest.raises(FastW2VError, match=r"cannot be given too"):
        fastw2v.train(halves[1], init=first_model, vocab=first_model.vocab)


# ---------------------------------------------------------------- pretrained vectors
def test_init_vectors_start_shared_words_from_the_file(first_model, halves, tmp_path, capsys):
    first_model.save(tmp_path / "pre.txt")
    model = fastw2v.train(halves[1], init_vectors=tmp_path / "pre.txt", alpha=0.0, min_alpha=0.0,
                          in_memory=True, progress=True, **{**SETTINGS, "epochs": 1})
    shared = [w for w in model.words if w in first_model]
    err = capsys.readouterr().err
    assert f"init vectors: {len(shared):,} of {len(model.words):,} words start from {tmp_path / 'pre.txt'}" in err
    from fastw2v.vectors.word2vec_format import load_word2vec

    words, vectors = load_word2vec(tmp_path / "pre.txt")
    for w in shared:
        assert np.array_equal(model[w], vectors[words.index(w)])
    with pytest.raises(FastW2VError, match=r"holds vectors of 8 dimensions and the model has 16"):
        fastw2v.train(halves[1], init_vectors=tmp_path / "pre.txt", in_memory=True, **{**SETTINGS, "dim": 16})


# ---------------------------------------------------------------- the command line
def test_cli_refuses_bad_combinations_with_one_line(halves, tmp_path):
    first, second = halves
    cases = [
        (["--no-vocab-update"], "--no-vocab-update goes with --continue MODEL"),
        (["--continue", tmp_path / "missing.bin"], "missing.bin"),
        (["--init-vectors", tmp_path / "missing.txt"], "missing.txt"),
    ]
    for extra, message in cases:
        done = cli("train", second, "-o", tmp_path / "v.txt", *extra)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
        assert not (tmp_path / "v.txt").exists()
