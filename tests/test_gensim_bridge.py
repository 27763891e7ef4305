"""The gensim bridge (issue 19): ``to_keyedvectors()``, and training on gensim's
corpus iterables (``LineSentence``, ``PathLineSentences``) and on generators."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, topic_corpus
from gensim.models import KeyedVectors
from gensim.models.word2vec import LineSentence, PathLineSentences

import fastw2v
from fastw2v import FastW2VError, Vocabulary, WordVectors, load_vectors
from fastw2v.cli import flag_of
from fastw2v.text.corpus import Corpus

SMALL = {"min_count": 1, "dim": 16, "epochs": 2, "threads": 1, "seed": 1}


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def assert_same_keyed_vectors(got, want):
    """Same words in the same order, bit-identical float32 vectors, same attributes."""
    assert got.index_to_key == want.index_to_key and got.key_to_index == want.key_to_index
    assert got.vectors.dtype == want.vectors.dtype == np.float32 and got.vector_size == want.vector_size
    assert np.array_equal(bits(got.vectors), bits(want.vectors))
    assert sorted(got.expandos) == sorted(want.expandos) == ["count"]
    for attr, values in want.expandos.items():
        assert got.expandos[attr].dtype == values.dtype and np.array_equal(got.expandos[attr], values)


@pytest.fixture(scope="module")
def model():
    sentences, _ = topic_corpus(n_groups=6, group_size=10, n_sentences=600)
    sentences += [["rare"], ["rarer", "rare"]]  # counts of 1 and 2 beside the frequent words
    return fastw2v.train(sentences, **SMALL)


# ---------------------------------------------------------------- to_keyedvectors
def test_model_to_keyedvectors_round_trip(model):
    kv = model.to_keyedvectors()
    assert kv.index_to_key == model.words and len(kv) == len(model.vocab)
    assert kv.vectors.dtype == np.float32 and kv.vectors.shape == model.input_vectors.shape
    assert np.array_equal(bits(kv.vectors), bits(model.input_vectors))
    assert [kv.get_vecattr(w, "count") for w in model.words] == model.vocab.counts.tolist()
    assert kv.get_vecattr("rare", "count") == 2 and kv.get_vecattr("rarer", "count") == 1
    for word in ("g0w0", "g3w7"):
        assert np.array_equal(kv[word], model[word])
    # A copy: later changes to the model do not reach it.
    before = kv.vectors.copy()
    model.syn0[0, 0] += 1
    try:
        assert np.array_equal(kv.vectors, before)
    finally:
        model.syn0[0, 0] -= 1


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
@pytest.mark.parametrize("positive, negative", [(["g0w0"], []), (["g2w1", "g4w5"], ["g1w3"]), ([], ["g5w9"])])
def test_keyedvectors_most_similar_agrees_with_ours(model, positive, negative):
    kv = model.to_keyedvectors()
    ours = fastw2v.most_similar(model, positive, negative, topn=15)
    theirs = kv.most_similar(positive=positive, negative=negative, topn=15)
    assert [w for w, _ in theirs] == [w for w, _ in ours]
    assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], abs=1e-5)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("export", ["in", "out", "in+out"])
def test_keyedvectors_equal_what_gensim_loads_from_our_files(model, tmp_path, export, binary):
    vectors, vocab = tmp_path / "v.w2v", tmp_path / "vocab.txt"
    model.save(vectors, binary=binary, export=export)
    model.vocab.save(vocab)
    loaded = KeyedVectors.load_word2vec_format(vectors, fvocab=str(vocab), binary=binary)
    assert_same_keyed_vectors(model.to_keyedvectors(export=export), loaded)


def test_default_export_is_what_save_writes_by_default(model, tmp_path):
    model.save(tmp_path / "v.txt")
    loaded = KeyedVectors.load_word2vec_format(tmp_path / "v.txt")
    assert np.array_equal(bits(model.to_keyedvectors().vectors), bits(loaded.vectors))


def test_hs_has_only_input_vectors_to_export():
    sentences, _ = topic_corpus(n_sentences=50)
    hs = fastw2v.train(sentences, loss="hs", **SMALL)
    assert np.array_equal(bits(hs.to_keyedvectors().vectors), bits(hs.input_vectors))
    with pytest.raises(FastW2VError, match="^export out needs .*, but loss hs has none") as err:
        hs.to_keyedvectors(export="out")
    assert err.value.render(flag_of).startswith("--export out needs")  # the CLI's form
    assert "but --loss hs has none" in err.value.render(flag_of)


def test_word_vectors_to_keyedvectors_equal_gensims_load(model, tmp_path):
    path = tmp_path / "v.txt"
    model.save(path)
    vocab = tmp_path / "vocab.txt"
    model.vocab.save(vocab)
    wv = load_vectors(path)
    # Without counts: gensim's made-up descending counts, as it loads a file without fvocab.
    assert_same_keyed_vectors(wv.to_keyedvectors(), KeyedVectors.load_word2vec_format(path))
    assert wv.to_keyedvectors().get_vecattr(wv.words[0], "count") == len(wv)
    assert_same_keyed_vectors(wv.to_keyedvectors(counts=model.vocab.counts),
                              KeyedVectors.load_word2vec_format(path, fvocab=str(vocab)))
    with pytest.raises(FastW2VError, match="3 counts"):
        wv.to_keyedvectors(counts=[3, 2, 1])


def test_word_vectors_with_duplicate_words_keep_the_first_like_gensim(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n")
    kv = WordVectors.load(path).to_keyedvectors()
    assert kv.index_to_key == ["a", "b"] and kv["a"].tolist() == [1.0, 2.0]


def test_missing_gensim_is_one_clear_error(model, monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(FastW2VError, match="pip install gensim"):
        model.to_keyedvectors()
    with pytest.raises(FastW2VError, match="pip install gensim"):
        WordVectors(["a"], np.ones((1, 2))).to_keyedvectors()


def test_fastw2v_does_not_import_gensim():
    code = ("import sys, fastw2v\n"
            "m = fastw2v.train([['a', 'b'], ['b', 'c']], min_count=1, dim=4, epochs=1, threads=1)\n"
            "fastw2v.WordVectors(m.words, m.input_vectors).most_similar('a')\n"
            "import fastw2v.cli, fastw2v.vectors.gensim_bridge\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] == 'gensim'))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- corpus iterables
@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory):
    """Two files of one corpus: plain and gzip, lines up to 15 tokens, one without a final newline."""
    d = tmp_path_factory.mktemp("gensim_corpus")
    sentences, _ = topic_corpus(n_groups=5, group_size=8, n_sentences=800, sentence_length=15, seed=4)
    lines = [" ".join(s[:5 + i % 11]) for i, s in enumerate(sentences)]
    lines[3] = ""  # a blank line: no sentence, for gensim an empty one
    (d / "a.txt").write_text("\n".join(lines[:500]) + "\n")
    with gzip.open(d / "b.txt.gz", "wt") as f:
        f.write("\n".join(lines[500:]))
    return d


def test_line_sentence_path_line_sentences_and_generators_train_like_the_files(corpus_files, tmp_path):
    """Streamed sentences give the same vectors, bit for bit, as the files they come
    from, whether the files' encoded corpus is cached (the default) or in memory.
    Lines longer than max_sentence_length are cut the same way on both sides."""
    a, b = corpus_files / "a.txt", corpus_files / "b.txt.gz"
    opts = {**SMALL, "max_sentence_length": 7}
    reference = fastw2v.train(a, **opts)
    assert np.array_equal(bits(fastw2v.train(a, in_memory=True, **opts).syn0), bits(reference.syn0))
    assert np.array_equal(bits(fastw2v.train(a, cache_dir=tmp_path, **opts).syn0), bits(reference.syn0))
    line_sentence = LineSentence(str(a), max_sentence_length=7)
    for source in (line_sentence, list(line_sentence), (s for s in line_sentence)):
        m = fastw2v.train(source, **opts)
        assert m.words == reference.words and np.array_equal(m.vocab.counts, reference.vocab.counts)
        assert np.array_equal(bits(m.syn0), bits(reference.syn0))
        assert np.array_equal(bits(m.syn1), bits(reference.syn1))

    both = fastw2v.train([a, b], **opts)
    m = fastw2v.train(PathLineSentences(str(corpus_files), max_sentence_length=7), **opts)
    assert m.words == both.words and np.array_equal(bits(m.syn0), bits(both.syn0))


def test_restartable_iterable_is_read_once():
    sentences, _ = topic_corpus(n_sentences=200)

    class Counted:
        passes = 0

        def __iter__(self):
            Counted.passes += 1
            yield from sentences

    m = fastw2v.train(Counted(), **SMALL)
    assert Counted.passes == 1 and m.stats.words_per_epoch == 2000


def test_corpus_does_not_consume_a_generator_until_read():
    gen = (s for s in [["a", "b"], ["c"]])
    corpus = Corpus(gen)
    assert corpus.files is None and corpus.describe() == "in-memory sentences"
    assert next(gen) == ["a", "b"]


def test_paths_as_list_or_tuple_are_files(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b\n")
    for source in (p, str(p), [p], (p, str(p))):
        assert Corpus(source).files is not None
    with pytest.raises(FastW2VError, match="not of strings.*give file paths as a list"):
        fastw2v.train((str(x) for x in [p]), **SMALL)


@pytest.mark.parametrize("corpus, message", [
    ([["a", 1]], "sentence 1: token 2 is of type int, not str"),
    ((s for s in [["a"], 5]), "sentence 2: it is of type int, not a list of str tokens"),
    ([["a"], None], "sentence 2: it is of type NoneType"),
    ([["a"], ["b", b"x"]], r"sentence 2: token 2 is of type bytes, not str \(decode bytes tokens"),
    (iter(["a b", "c"]), "not of strings"),
    ([["a"], "b c"], "not of strings"),
    (5, "corpus must be a path, a list of paths or an iterable of token lists, not int"),
    ([], "no corpus given"),
    ((s for s in []), r"corpus is empty \(no words in 0 in-memory sentences\)"),
])
def test_bad_in_memory_corpus_is_one_clear_error(corpus, message):
    with pytest.raises(FastW2VError, match=message) as err:
        fastw2v.train(corpus, **SMALL)
    assert "\n" not in str(err.value)


def test_counted_sentences_are_named_in_errors():
    vocab = Vocabulary(["zzz"], np.array([3], dtype=np.int64))
    with pytest.raises(FastW2VError, match="no word of the vocabulary occurs in 2 in-memory sentences"):
        fastw2v.train((s for s in [["a"], ["b", "c"]]), vocab=vocab, **SMALL)


def test_one_shot_iterator_cannot_be_read_twice():
    """Pruning the counts (max_vocab_size) needs a second pass: a list gives it, a
    generator cannot, and says so rather than training on nothing."""
    sentences = [[f"w{i % 20}", f"u{i}"] for i in range(500)]
    m = fastw2v.train(sentences, max_vocab_size=50, **SMALL)
    assert len(m.vocab) > 0
    with pytest.raises(FastW2VError, match="one-shot iterator.*max_vocab_size"):
        fastw2v.train(iter(sentences), max_vocab_size=50, **SMALL)
