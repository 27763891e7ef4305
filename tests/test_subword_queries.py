"""Queries on unseen words from a fastText ``.bin`` model (issue 17).

A word's vector is fastText's ``get_word_vector``: the mean of its own input row
and its character n-gram rows, or of the n-gram rows alone for a word outside the
vocabulary. Checked against the fasttext package on a model it trained on real
text, and against a naive statement of the rule on random models (without the
package).
"""

from __future__ import annotations

import gzip
import json
import warnings

import numpy as np
import pytest
from conftest import TEXT8, WORDSIM, run_cli

from fastw2v.errors import FastW2VError
from fastw2v.text.subwords import word_ngrams
from fastw2v.vectors.evaluate import (
    evaluate,
    evaluate_analogies,
    evaluate_word_pairs,
    read_word_pairs,
)
from fastw2v.vectors.fasttext_bin import (
    FastTextModel,
    ft_hash,
    load_fasttext_bin,
    save_fasttext_bin,
)
from fastw2v.vectors.query import WordVectors, as_word_vectors, load_vectors
from fastw2v.vectors.word2vec_format import save_word2vec

try:
    import fasttext
except ImportError:  # the bench extra
    fasttext = None
needs_fasttext = pytest.mark.skipif(fasttext is None, reason="needs the fasttext package (pip install .[bench])")

NON_ASCII = ["naïve", "café", "日本語", "über", "ñandú"]
UNSEEN = ["qwertyzzq", "kingdomz", "unfriendliest", "naïvement", "日本人", "übermensch", "xx"]


def ft_load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load_model's notice about the deprecated API
        return fasttext.load_model(str(path))


def random_model(words, dim=6, minn=3, maxn=6, bucket=1000, seed=0) -> FastTextModel:
    rng = np.random.default_rng(seed)
    V = len(words)
    return FastTextModel(words=list(words), counts=np.arange(V, 0, -1, dtype=np.int64),
                         input=rng.standard_normal((V + bucket, dim)).astype(np.float32),
                         output=rng.standard_normal((V, dim)).astype(np.float32),
                         dim=dim, bucket=bucket, minn=minn, maxn=maxn, min_count=1)


def naive_vector(m: FastTextModel, word: str) -> np.ndarray | None:
    """The rule as stated: the word's own row (if any) and its n-gram rows, averaged."""
    V = len(m.words)
    rows = [m.words.index(word)] if word in m.words else []
    if word != "</s>" and m.maxn > 0:
        rows += [V + ft_hash(g.encode("utf-8")) % m.bucket for g in word_ngrams(word, m.minn, m.maxn)]
    return m.input[rows].astype(np.float64).mean(axis=0) if rows else None


def brute_force(vectors: np.ndarray, query: np.ndarray, words: list[str], exclude=()) -> dict[str, float]:
    """Every word's cosine with ``query`` (float64), the excluded words left out."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-30)
    scores = unit @ (query / np.linalg.norm(query))
    return {w: float(s) for w, s in zip(words, scores) if w not in exclude}


def assert_same_neighbours(got, scores: dict[str, float], topn=10):
    """``got`` is a best-first search of ``scores``: each word with its own score, and the
    scores those of the ``topn`` best (words with near-equal scores may trade places)."""
    best = sorted(scores.values(), reverse=True)[:topn]
    assert len(got) == len(best) and len({w for w, _ in got}) == len(got)
    for (word, score), expected in zip(got, best):
        assert abs(scores[word] - score) < 1e-5 and abs(score - expected) < 1e-5, (word, got)


# ---------------------------------------------------------------- a model fastText trained
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(path, fasttext model): skipgram, dim 10, n-grams of 3-6 characters, on 1 MB of text8
    cut into lines of 20 words (epoch 5: one epoch leaves every cosine near 1), plus lines of non-ASCII words."""
    if fasttext is None:
        pytest.skip("needs the fasttext package (pip install .[bench])")
    d = tmp_path_factory.mktemp("subwords")
    with gzip.open(TEXT8, "rb") as f:
        words = f.read(1_000_000).split()[:-1]
    lines = [b" ".join(words[i:i + 20]) for i in range(0, len(words), 20)]
    lines += [" ".join(NON_ASCII).encode("utf-8")] * 5
    corpus = d / "corpus.txt"
    corpus.write_bytes(b"\n".join(lines) + b"\n")
    path = d / "model.bin"
    for _ in range(3):  # fastText 0.9.3 now and then stops with "Encountered NaN", or saves NaN
        try:
            ft = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=10, epoch=5, minCount=2,
                                             minn=3, maxn=6, bucket=100000, thread=1, verbose=0)
            ft.save_model(str(path))
            load_fasttext_bin(path)  # refuses NaN
            break
        except (RuntimeError, FastW2VError):
            continue
    else:  # the vector math is what is under test: a random model fastText loads will do
        vocab = sorted({w.decode() for w in words[:50000]} | set(NON_ASCII))
        save_fasttext_bin(path, random_model(["</s>", *vocab], dim=10, bucket=100000))
    return path, ft_load(path)


@needs_fasttext
def test_vectors_are_fasttexts(trained):
    path, ft = trained
    wv = load_vectors(path)
    assert wv.words == list(ft.words) and wv.subwords is not None
    assert (wv.subwords.minn, wv.subwords.maxn, wv.subwords.bucket) == (3, 6, 100000)
    expected = np.array([ft.get_word_vector(w) for w in wv.words])
    assert np.allclose(wv.vectors, expected, atol=1e-5)
    for w in NON_ASCII + ["</s>"]:
        assert w in wv
    for w in UNSEEN + [w.upper() for w in NON_ASCII if w.upper() != w]:
        assert w not in wv
        assert np.allclose(wv.vector(w), ft.get_word_vector(w), atol=1e-5)
        assert np.allclose(wv[w], ft.get_word_vector(w), atol=1e-5)
    got = wv.vectors_for(["the", UNSEEN[0], "日本語"])
    assert np.allclose(got, [ft.get_word_vector(w) for w in ("the", UNSEEN[0], "日本語")], atol=1e-5)


@needs_fasttext
@pytest.mark.parametrize("query", [["qwertyzzq"], ["kingdomz", "unfriendliest"], ["king"], ["日本人"]])
def test_most_similar_is_a_brute_force_search(trained, query):
    path, ft = trained
    wv = load_vectors(path)
    words = list(ft.words)
    vectors = np.array([ft.get_word_vector(w) for w in words], dtype=np.float64)
    units = [v / np.linalg.norm(v) for v in (np.asarray(ft.get_word_vector(w), np.float64) for w in query)]
    expected = brute_force(vectors, np.sum(units, axis=0), words, exclude=set(query))
    assert_same_neighbours(wv.most_similar(query), expected)


@needs_fasttext
def test_analogy_with_unseen_words(trained):
    path, ft = trained
    wv = load_vectors(path)
    words = list(ft.words)
    vectors = np.array([ft.get_word_vector(w) for w in words], dtype=np.float64)
    a, b, c = "kingz", "queenish", "man"  # two unseen, one known (left out of the answers)
    unit = {w: np.asarray(ft.get_word_vector(w), np.float64) for w in (a, b, c)}
    unit = {w: v / np.linalg.norm(v) for w, v in unit.items()}
    expected = brute_force(vectors, unit[b] + unit[c] - unit[a], words, exclude={c})
    assert_same_neighbours(wv.analogy(a, b, c), expected)
    found = wv.analogy(a, b, c, method="3cosmul", topn=5)
    assert len(found) == 5 and c not in [w for w, _ in found]


@needs_fasttext
def test_cli_similar_and_analogy_on_unseen_words(trained):
    path, _ = trained
    done = run_cli(["similar", path, "qwertyzzq", "-n", "4", "--json"])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert len(found) == 4
    expected = load_vectors(path).most_similar("qwertyzzq", topn=4)
    assert [f["word"] for f in found] == [w for w, _ in expected]
    done = run_cli(["analogy", path, "kingz", "queenish", "manz", "-n", "3"])
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 2 + 3  # header, rule, 3 answers


@needs_fasttext
def test_eval_reports_answers_from_ngrams(trained, tmp_path):
    path, ft = trained
    known = {w.upper() for w in ft.words}
    unseen_pairs = sum(1 for w1, w2, _ in read_word_pairs(WORDSIM) if w1.upper() not in known or
                       w2.upper() not in known)
    assert unseen_pairs > 0

    done = run_cli(["eval", path, "--json"])
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["subwords"] == {"minn": 3, "maxn": 6, "bucket": 100000}
    total = report["analogies"]["total"]
    assert 0 < total["from_ngrams"] <= total["evaluated"] and report["analogies"]["subwords"] is True
    assert sum(s["from_ngrams"] for s in report["analogies"]["sections"]) == total["from_ngrams"]
    wordsim = report["similarity"][0]
    assert wordsim["from_ngrams"] == unseen_pairs and wordsim["oov"] == 0
    assert wordsim["evaluated"] == wordsim["pairs"]

    done = run_cli(["eval", path])
    assert done.returncode == 0, done.stderr
    assert f"{total['from_ngrams']:,} of 19,544 questions answered from n-grams" in done.stdout
    assert "ngrams" in done.stdout.splitlines()[3]  # the analogy table's header


@needs_fasttext
def test_eval_pairs_match_fasttext_cosines(trained, tmp_path):
    path, ft = trained
    pairs = [("king", "queen", 9.0), ("kingz", "queenish", 7.0), ("qwertyzzq", "日本人", 1.0),
             ("naïve", "café", 3.0), ("xx", "the", 2.0)]
    file = tmp_path / "pairs.txt"
    file.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in pairs), encoding="utf-8")
    result = evaluate_word_pairs(load_vectors(path), file)
    assert (result.evaluated, result.oov, result.from_ngrams) == (5, 0, 3)

    def cos(a, b):
        x, y = (np.asarray(ft.get_word_vector(w), np.float64) for w in (a, b))
        return x @ y / np.linalg.norm(x) / np.linalg.norm(y)

    wv = load_vectors(path)
    for a, b, _ in pairs:
        assert abs(wv.similarity(a, b) - cos(a, b)) < 1e-5


# ---------------------------------------------------------------- random models (no fasttext needed)
WORDS = ["</s>", "the", "king", "queen", "man", "woman", "paris", "france", "naïve", "日本語", "a", "kings",
         "queens", "men", "women", "rome", "italy"]


@pytest.fixture
def model_path(tmp_path):
    m = random_model(WORDS)
    path = tmp_path / "random.vec"  # the name does not matter: the magic number does
    save_fasttext_bin(path, m)
    return path, m


def test_vectors_follow_the_rule(model_path):
    path, m = model_path
    wv = load_vectors(path)
    assert wv.words == WORDS and "n-grams of 3-6 characters in 1,000 buckets" in repr(wv)
    for w in WORDS + ["kingdom", "naïveté", "日本", "QUEEN"]:
        assert np.allclose(wv.vector(w), naive_vector(m, w), atol=1e-6), w
    assert np.array_equal(wv.vector("</s>"), m.input[0])  # fastText gives it no n-grams
    with pytest.raises(FastW2VError, match="word not in vocabulary: </s>x") as exc:
        WordVectors(["a"], np.ones((1, 6)), None).vector("</s>x")
    assert "\n" not in str(exc.value)


def test_unseen_words_without_ngrams_are_unknown(tmp_path):
    m = random_model(WORDS, minn=5, maxn=6)  # "<b>" has no n-gram of 5 characters
    save_fasttext_bin(tmp_path / "m.bin", m)
    wv = load_vectors(tmp_path / "m.bin")
    assert np.allclose(wv.vector("a"), m.input[WORDS.index("a")])  # known: its own row alone
    for call in (lambda: wv.vector("b"), lambda: wv.most_similar("b"), lambda: wv.similarity("b", "the"),
                 lambda: wv.analogy("king", "b", "man")):
        with pytest.raises(FastW2VError, match="^word not in vocabulary: b$"):
            call()
    assert not wv.has_vector("b") and wv.has_vector("bbbbb") and wv.has_vector("a")


def test_model_without_subwords(tmp_path):
    m = random_model(WORDS, minn=0, maxn=0, bucket=0)
    save_fasttext_bin(tmp_path / "plain.bin", m)
    wv = load_vectors(tmp_path / "plain.bin")
    assert wv.subwords is None and np.array_equal(wv.vectors, m.input)
    with pytest.raises(FastW2VError, match="^word not in vocabulary: kingdom$"):
        wv.most_similar("kingdom")
    assert wv.most_similar("king", topn=3) == WordVectors(WORDS, m.input).most_similar("king", topn=3)


def test_limit_makes_later_words_unseen(model_path):
    path, m = model_path
    wv = load_vectors(path, limit=5)
    assert wv.words == WORDS[:5] and "paris" not in wv
    ngrams_only = m.input[[len(WORDS) + ft_hash(g.encode()) % m.bucket for g in word_ngrams("paris", 3, 6)]]
    assert np.allclose(wv.vector("paris"), ngrams_only.mean(axis=0), atol=1e-6)
    cut = as_word_vectors(load_vectors(path), limit=5)  # an in-memory cut keeps the n-grams too
    assert cut.words == WORDS[:5] and np.allclose(cut.vector("paris"), wv.vector("paris"))


def test_analogies_candidates_stay_in_the_restricted_vocabulary(model_path, tmp_path):
    path, _ = model_path
    wv = load_vectors(path)
    questions = tmp_path / "q.txt"
    questions.write_text(": s\n"
                         "king queen man woman\n"       # all among the first 6
                         "kingz queenz man woman\n"     # two unseen question words: from n-grams
                         "paris france man woman\n"     # known words beyond the first 6: their vectors
                         "king queen man paris\n"       # the answer is no candidate: skipped
                         "king queen zzzzz paris\n", encoding="utf-8")
    result = evaluate_analogies(wv, questions, restrict_vocab=6)
    section = result.sections[0]
    assert (section.evaluated, section.oov, section.from_ngrams) == (3, 2, 1)
    assert result.subwords and result.to_dict()["total"]["from_ngrams"] == 1

    # the same answers as most_similar over the candidates, question vectors built by the model
    from fastw2v.vectors.evaluate import solve_analogies
    from fastw2v.vectors.query import unit_rows
    extra = unit_rows(wv.vectors_for(["kingz", "queenz", "paris", "france"]))
    got = solve_analogies(wv.unit[:6], np.array([[6, 7, 4], [8, 9, 4]]), extra=extra)
    for (a, b, c), answer in zip([("kingz", "queenz", "man"), ("paris", "france", "man")], got):
        best = WordVectors(wv.words[:6], wv.vectors[:6], wv.subwords).analogy(a, b, c, topn=1)
        assert wv.words[answer] == best[0][0]


def test_damaged_model_is_one_line(model_path, tmp_path):
    path, _ = model_path
    damaged = tmp_path / "damaged.bin"
    damaged.write_bytes(path.read_bytes()[:-7])
    for args in (["similar", damaged, "king"], ["eval", damaged], ["analogy", damaged, "a", "b", "c"]):
        done = run_cli(args)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert "truncated" in done.stderr and not done.stdout


# ---------------------------------------------------------------- plain vector files, as before
def test_plain_vectors_are_unchanged(tmp_path):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((len(WORDS), 6)).astype(np.float32)
    save_word2vec(tmp_path / "v.bin", WORDS, vectors, binary=True)  # word2vec binary named .bin
    save_word2vec(tmp_path / "v.txt", WORDS, vectors)
    for name in ("v.bin", "v.txt"):
        wv = load_vectors(tmp_path / name)
        assert wv.subwords is None and np.array_equal(wv.vectors, vectors)
        with pytest.raises(FastW2VError, match="^word not in vocabulary: kingdom$"):
            wv.vector("kingdom")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("king queen 9\nkingdom queen 4\nman woman 7\nparis rome 5\n")
    report = evaluate(tmp_path / "v.txt", similarity=[pairs])
    out = report.to_dict()
    assert "subwords" not in out and set(out["similarity"][0]) == {
        "path", "pairs", "evaluated", "oov", "spearman", "pearson", "case_insensitive", "oov_ratio"}
    assert (out["similarity"][0]["evaluated"], out["similarity"][0]["oov"]) == (3, 1)
    assert "ngrams" not in report.format()
    done = run_cli(["eval", tmp_path / "v.txt", "--restrict-vocab", "0"])
    assert done.returncode == 0, done.stderr
    assert "ngrams" not in done.stdout and "questions skipped: a word is not among the" in done.stdout
