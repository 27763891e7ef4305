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
@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_init_vectors_start_shared_words_from_the_file(first_model, halves, tmp_path, capsys, binary):
    pre = tmp_path / ("pre.bin" if binary else "pre.txt")
    first_model.save(pre, binary=binary)
    model = fastw2v.train(halves[1], init_vectors=pre, alpha=0.0, min_alpha=0.0,
                          in_memory=True, progress=True, **{**SETTINGS, "epochs": 1})
    shared = [w for w in model.words if w in first_model]
    assert shared and len(shared) < len(model.words)  # some words match, the new ones do not
    err = capsys.readouterr().err
    assert f"init vectors: {len(shared):,} of {len(model.words):,} words start from {pre}" in err
    from fastw2v.vectors.word2vec_format import load_word2vec

    words, vectors = load_word2vec(pre, binary=binary)
    for w in shared:
        assert np.array_equal(model[w], vectors[words.index(w)])
    with pytest.raises(FastW2VError, match=r"holds vectors of 8 dimensions and the model has 16"):
        fastw2v.train(halves[1], init_vectors=pre, in_memory=True, **{**SETTINGS, "dim": 16})


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


# ---------------------------------------------------------------- the model file
@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_saved_model_loads_back_whole(halves, tmp_path, loss):
    model = fastw2v.train(halves[0], loss=loss, **SETTINGS)
    model.save_model(tmp_path / "m.bin")
    back = fastw2v.load_model(tmp_path / "m.bin")
    assert back.words == model.words and np.array_equal(back.vocab.counts, model.vocab.counts)
    assert np.array_equal(back.syn0, model.syn0) and np.array_equal(back.syn1, model.syn1)
    assert back.options == model.options
    if loss == "nce":
        assert np.array_equal(back.biases, model.biases)
    side = json.loads((tmp_path / "m.bin.fastw2v.json").read_text())
    assert side["options"]["loss"] == loss and side["words"] == len(model.words)


def test_saved_model_loads_in_fasttext(first_model, tmp_path):
    fasttext = pytest.importorskip("fasttext")

    first_model.save_model(tmp_path / "m.bin")
    ft = fasttext.load_model(str(tmp_path / "m.bin"))
    assert ft.get_words() == first_model.words and ft.get_dimension() == 8
    for w in first_model.words[:20]:
        assert np.array_equal(ft.get_word_vector(w), first_model[w])


def test_saved_model_loads_in_gensim(first_model, halves, tmp_path):
    """gensim alone (no fasttext package) loads a saved model, and a continued one, with
    the same words, counts and vectors (and, for ns, the same output layer)."""
    pytest.importorskip("gensim")
    from gensim.models.fasttext import load_facebook_model, load_facebook_vectors

    continued = fastw2v.train(halves[1], init=first_model, in_memory=True, epochs=1, threads=1)
    assert "novelword" in continued.words
    for name, model in (("first", first_model), ("continued", continued)):
        path = tmp_path / f"{name}.bin"
        model.save_model(path)
        gm = load_facebook_model(path)
        gv = load_facebook_vectors(path)
        probe = "novelword" if name == "continued" else model.words[3]
        for wv in (gm.wv, gv):
            assert list(wv.index_to_key) == model.words
            assert [wv.get_vecattr(w, "count") for w in model.words] == model.vocab.counts.tolist()
            assert np.array_equal(wv.vectors, model.input_vectors)
            assert np.array_equal(wv[probe], model[probe])
        assert np.array_equal(gm.syn1neg, model.output_vectors) and gm.vector_size == 8 and gm.window == 3


def test_a_model_saved_by_gensim_continues(halves, tmp_path):
    """A word model another tool saved in fastText's format (gensim's FastText without
    n-grams, save_facebook_model) is a model fastw2v loads and trains further. (fastText
    0.9.3's own trainer hits NaN on corpora this small, so gensim makes the file.)"""
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model
    from gensim.models.word2vec import LineSentence

    made = FastText(LineSentence(str(halves[0])), vector_size=8, min_count=2, min_n=0, max_n=0, bucket=0,
                    epochs=1, workers=1, sg=1, window=4, seed=1)
    save_facebook_model(made, str(tmp_path / "g.bin"))
    loaded = fastw2v.load_model(tmp_path / "g.bin")
    assert sorted(loaded.words) == sorted(made.wv.index_to_key)
    for w in loaded.words[:10]:
        assert np.array_equal(loaded[w], made.wv.vectors_vocab[made.wv.key_to_index[w]])
    assert loaded.options.window == 4 and loaded.options.epochs == 1
    model = fastw2v.train(halves[1], init=tmp_path / "g.bin", in_memory=True, epochs=1, threads=1)
    assert "novelword" in model and model.options.dim == 8 and model.options.window == 4


def test_cli_saves_and_continues(halves, tmp_path):
    first, second = halves
    fast = ["--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "2", "--window", "3"]
    done = cli("train", first, "-o", tmp_path / "v1.txt", "--save-model", tmp_path / "m1.bin", *fast)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m1.bin").exists() and (tmp_path / "m1.bin.fastw2v.json").exists()
    done = cli("train", second, "-o", tmp_path / "v2.txt", "--continue", tmp_path / "m1.bin",
               "--save-model", tmp_path / "m2.bin", "--threads", "1")
    assert done.returncode == 0, done.stderr
    assert "continuing a model of " in done.stderr and ", 4 new" in done.stderr
    m2 = fastw2v.load_model(tmp_path / "m2.bin")
    assert m2.options.window == 3 and m2.options.epochs == 1  # the model's options were the defaults
    assert "novelword" in m2.words
    done = cli("train", second, "-o", tmp_path / "v3.txt", "--continue", tmp_path / "m1.bin", "--dim", "16")
    assert done.returncode == 2 and done.stderr == ("fastw2v: error: --dim cannot change when continuing a "
                                                    "model: it has 8, 16 was given\n"), done.stderr
    assert not (tmp_path / "v3.txt").exists()


@pytest.fixture(scope="module")
def subword_file(halves, tmp_path_factory):
    """A small subword model, saved: (path, its options)."""
    model = fastw2v.train(halves[0], **{**SETTINGS, "epochs": 1}, minn=3, maxn=4, bucket=200)
    path = tmp_path_factory.mktemp("subwords") / "sub.bin"
    model.save_model(path)
    return path, model.options


@pytest.mark.parametrize("kind, args, name, value", [
    ("plain", ["--loss", "hs"], "loss", "hs"),
    ("plain", ["--hs", "1"], "loss", "hs"),  # word2vec.c's spelling of --loss hs
    ("plain", ["--size", "16"], "dim", 16),
    ("plain", ["--maxn", "3"], "maxn", 3),
    ("plain", ["--minn", "2"], "minn", 2),
    ("plain", ["--bucket", "100"], "bucket", 100),
    ("subwords", ["--maxn", "0"], "maxn", 0),
    ("subwords", ["--minn", "2"], "minn", 2),
    ("subwords", ["--bucket", "100"], "bucket", 100),
])
def test_cli_refuses_changing_a_fixed_option_with_one_line(subword_file, first_model, halves, tmp_path,
                                                           kind, args, name, value):
    """Continuing with an option a model cannot change is exit 2 and one line naming the
    option, the model's value and the one given; no vectors are written."""
    path, saved = (tmp_path / "m.bin", first_model.options) if kind == "plain" else subword_file
    if kind == "plain":
        first_model.save_model(path)
    done = cli("train", halves[1], "-o", tmp_path / "v.txt", "--continue", path, "--threads", "1", *args)
    expected = (f"fastw2v: error: --{name} cannot change when continuing a model: it has "
                f"{getattr(saved, name)!r}, {value!r} was given\n")
    assert done.returncode == 2 and done.stderr == expected, done.stderr
    assert not (tmp_path / "v.txt").exists()


def saved_options(path: Path):
    return fastw2v.load_model(path).options


def test_cli_learning_rate_restarts_from_the_models_alpha_unless_given(halves, tmp_path):
    """--continue without --alpha starts from the model's alpha and min-alpha; a given
    --alpha is used and --min-alpha follows it (0.0001 x alpha) unless given too; a given
    --min-alpha alone keeps the model's alpha; another --model without --alpha starts
    from that rule's default alpha, the model's own --model changes nothing."""
    from fastw2v.training.options import DEFAULT_ALPHA, MIN_ALPHA_FRACTION

    base = fastw2v.train(halves[0], **SETTINGS, alpha=0.04, min_alpha=0.001)
    base.save_model(tmp_path / "m.bin")
    cases = [
        ([], (0.04, 0.001)),
        (["--alpha", "0.01"], (0.01, 0.01 * MIN_ALPHA_FRACTION)),
        (["--alpha", "0.01", "--min-alpha", "0.005"], (0.01, 0.005)),
        (["--min-alpha", "0.002"], (0.04, 0.002)),
        (["--model", "cbow"], (DEFAULT_ALPHA["cbow"], DEFAULT_ALPHA["cbow"] * MIN_ALPHA_FRACTION)),
        (["--model", "sg"], (0.04, 0.001)),  # the model's own rule: its rates stay
    ]
    for i, (extra, (alpha, min_alpha)) in enumerate(cases):
        out = tmp_path / f"m{i}.bin"
        done = cli("train", halves[1], "-o", tmp_path / f"v{i}.txt", "--continue", tmp_path / "m.bin",
                   "--save-model", out, "--threads", "1", "--epochs", "1", *extra)
        assert done.returncode == 0, (extra, done.stderr)
        opts = saved_options(out)
        assert (opts.alpha, opts.min_alpha) == pytest.approx((alpha, min_alpha), rel=1e-12), extra
        assert opts.window == 3 and opts.dim == 8  # the rest are still the model's


def test_cli_checks_given_options_against_the_models_own(halves, tmp_path):
    """--min-alpha 0.03 is valid for a model of alpha 0.04 (train(init=...) accepts it)."""
    model = fastw2v.train(halves[0], **{**SETTINGS, "epochs": 1}, alpha=0.04)
    model.save_model(tmp_path / "m.bin")
    assert fastw2v.train(halves[1], init=model, min_alpha=0.03, in_memory=True, epochs=1).options.min_alpha == 0.03
    done = cli("train", halves[1], "-o", tmp_path / "v.txt", "--continue", tmp_path / "m.bin",
               "--min-alpha", "0.03", "--threads", "1", "--epochs", "1")
    assert done.returncode == 0, done.stderr


def test_continued_run_trains_from_the_restarted_rate(halves):
    """What the kernel used: a continued run's first chunk trains at the model's alpha
    (not where the first run's decay ended), exactly as a run given that alpha and
    min_alpha; a given alpha is the rate the continued run starts from."""
    from fastw2v.training.options import MIN_ALPHA_FRACTION

    base = fastw2v.train(halves[0], **SETTINGS, alpha=0.04, min_alpha=0.0)
    assert base.chunk_alphas.max() < 0.04  # (its last epoch: half-way down the decay)
    run = dict(init=base, in_memory=True, epochs=1, threads=1)
    restarted = fastw2v.train(halves[1], **run)
    explicit = fastw2v.train(halves[1], **run, alpha=0.04, min_alpha=0.0)
    assert restarted.chunk_alphas[0] == np.float32(0.04)
    assert np.all(np.diff(restarted.chunk_alphas) <= 0)  # decaying over the new run
    assert np.array_equal(restarted.syn0, explicit.syn0) and np.array_equal(restarted.syn1, explicit.syn1)
    moved = [w for w in base.words if not np.array_equal(restarted[w], base[w])]
    assert len(moved) == len(base.words)  # a rate restarted above zero trains every kept word
    given = fastw2v.train(halves[1], **run, alpha=0.01)
    assert given.chunk_alphas[0] == np.float32(0.01)
    assert given.options.min_alpha == pytest.approx(0.01 * MIN_ALPHA_FRACTION)
    assert not np.array_equal(given.syn0, restarted.syn0)
    unset = fastw2v.train(halves[1], **run, alpha=None, min_alpha=None)  # None: the model's
    assert (unset.options.alpha, unset.options.min_alpha) == (0.04, 0.0)


def test_cli_no_vocab_update_keeps_new_words_out(halves, first_model, tmp_path):
    """'novelword' is frequent in the second text: it joins the vocabulary on --continue,
    and stays out with --no-vocab-update, in the saved model and in the vectors file."""
    from fastw2v.vectors.word2vec_format import load_word2vec

    first_model.save_model(tmp_path / "m.bin")
    counted = vocab_and_corpus(Corpus(halves[1]), min_count=1, max_vocab_size=0, max_sentence_length=10000)[0]
    assert counted.counts[counted.index["novelword"]] >= first_model.options.min_count
    words = {}
    for name, extra in (("grown", []), ("fixed", ["--no-vocab-update"])):
        done = cli("train", halves[1], "-o", tmp_path / f"{name}.txt", "--continue", tmp_path / "m.bin",
                   "--save-model", tmp_path / f"{name}.bin", "--threads", "1", "--epochs", "1", *extra)
        assert done.returncode == 0, done.stderr
        model_words = fastw2v.load_model(tmp_path / f"{name}.bin").words
        assert load_word2vec(tmp_path / f"{name}.txt")[0] == model_words
        words[name] = set(model_words)
    assert words["fixed"] == set(first_model.words)
    assert words["grown"] - words["fixed"] == {"novelword", "extra0", "extra1", "extra2"}


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_cli_init_vectors_text_or_binary_and_a_dimension_mismatch(first_model, halves, tmp_path, binary):
    """--init-vectors reads word2vec text and binary files: with a zero learning rate the
    shared words' vectors are the file's, and the run says how many matched. A file of
    another dimension is exit 2 and one line, before the corpus is read."""
    from fastw2v.vectors.word2vec_format import load_word2vec

    pre = tmp_path / ("pre.bin" if binary else "pre.txt")
    first_model.save(pre, binary=binary)
    fast = ["--epochs", "1", "--threads", "1", "--min-count", "2", "--window", "3"]
    done = cli("train", halves[1], "-o", tmp_path / "v.txt", "--init-vectors", pre, "--dim", "8",
               "--alpha", "0", "--min-alpha", "0", *fast)
    assert done.returncode == 0, done.stderr
    words, vectors = load_word2vec(tmp_path / "v.txt")
    pre_words, pre_vectors = load_word2vec(pre, binary=binary)
    shared = [w for w in words if w in first_model]
    assert shared and len(shared) < len(words)
    assert f"init vectors: {len(shared):,} of {len(words):,} words start from {pre}" in done.stderr
    for w in shared:
        assert np.array_equal(vectors[words.index(w)], pre_vectors[pre_words.index(w)])
    done = cli("train", halves[1], "-o", tmp_path / "v16.txt", "--init-vectors", pre, "--dim", "16", *fast)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"fastw2v: error: {pre} holds vectors of 8 dimensions and the model "
                           "has 16: give --dim 8 or vectors of 16\n"), done.stderr
    assert not (tmp_path / "v16.txt").exists()


@pytest.mark.parametrize("damage", ["truncate", "magic", "side-words", "side-json", "side-option"])
def test_damaged_model_files_give_one_line(first_model, halves, tmp_path, damage):
    first_model.save_model(tmp_path / "m.bin")
    model, side = tmp_path / "m.bin", tmp_path / "m.bin.fastw2v.json"
    if damage == "truncate":
        model.write_bytes(model.read_bytes()[:-100])
    elif damage == "magic":
        model.write_bytes(b"\0\0\0\0" + model.read_bytes()[4:])
    elif damage == "side-words":
        side.write_text(side.read_text().replace('"words": ', '"words": 1'))
    elif damage == "side-json":
        side.write_text(side.read_text()[:50])
    else:
        facts = json.loads(side.read_text())
        facts["options"]["window"] = "wide"
        side.write_text(json.dumps(facts))
    done = cli("train", halves[1], "-o", tmp_path / "v.txt", "--continue", model)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("fastw2v: error: ") and str(tmp_path) in done.stderr, done.stderr
    assert not (tmp_path / "v.txt").exists()
