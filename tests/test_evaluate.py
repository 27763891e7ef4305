"""Analogy and word-pair evaluation, checked against gensim 4.4 on the same vectors files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import EVAL_SETS, TEXT8
from gensim.models import KeyedVectors
from scipy import stats

import fastw2v
from fastw2v.cli import main
from fastw2v.errors import FastW2VError
from fastw2v.vectors import evaluate as ev
from fastw2v.vectors.query import METHODS, WordVectors, load_vectors
from fastw2v.vectors.word2vec_format import save_word2vec

QUESTIONS = EVAL_SETS / "questions-words.txt"
PAIR_FILES = [EVAL_SETS / "wordsim353.tsv", EVAL_SETS / "simlex999.txt"]

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Real (if rough) vectors: one epoch on the shipped 10M-character text8 sample."""
    path = tmp_path_factory.mktemp("trained") / "text8.txt"
    model = fastw2v.train(str(TEXT8), epochs=1, dim=50, threads=2, progress=False)
    model.save(path)
    return path


@pytest.fixture(scope="module")
def wv(trained) -> WordVectors:
    return load_vectors(trained)


@pytest.fixture(scope="module")
def kv(trained) -> KeyedVectors:
    return KeyedVectors.load_word2vec_format(trained)


def assert_sections_match(result: ev.AnalogyResult, gensim_sections: list[dict]) -> None:
    *sections, total = gensim_sections
    assert [s.name for s in result.sections] == [s["section"] for s in sections]
    for ours, theirs in zip(result.sections + [result.total], sections + [total]):
        assert ours.correct == len(theirs["correct"]), ours.name
        assert ours.evaluated == len(theirs["correct"]) + len(theirs["incorrect"]), ours.name


# ---------------------------------------------------------------------------------------------
# Agreement with gensim


@pytest.mark.parametrize("restrict", [3000, 6000])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_match_gensim(wv, kv, restrict, case_insensitive):
    result = ev.evaluate_analogies(wv, QUESTIONS, restrict_vocab=restrict, case_insensitive=case_insensitive)
    score, sections = kv.evaluate_word_analogies(str(QUESTIONS), restrict_vocab=restrict,
                                                 case_insensitive=case_insensitive)
    assert result.total.correct > 20  # the vectors do answer some questions
    assert result.accuracy == pytest.approx(score, abs=1e-6)
    assert_sections_match(result, sections)
    assert result.total.oov + result.total.evaluated == 19544
    assert result.semantic.evaluated + result.syntactic.evaluated == result.total.evaluated
    assert result.restrict_vocab == restrict


def test_analogies_dummy4unknown_match_gensim(wv, kv):
    result = ev.evaluate_analogies(wv, QUESTIONS, restrict_vocab=2000, dummy4unknown=True)
    score, sections = kv.evaluate_word_analogies(str(QUESTIONS), restrict_vocab=2000, dummy4unknown=True)
    assert result.accuracy == pytest.approx(score, abs=1e-6)
    assert_sections_match(result, sections)
    assert result.total.evaluated == 19544


def test_case_variants_are_excluded_and_accepted_like_gensim(wv, tmp_path):
    """Add 'Paris'-style variants next to question words (a near copy of the vector, so a
    strong candidate): gensim never answers a variant of a question word, accepts a
    variant of the expected word, and a word stands for its first variant."""
    rng = np.random.default_rng(7)
    words, vectors = list(wv.words[:3000]), list(wv.vectors[:3000])
    question_words = {w.lower() for _, qs in ev.read_analogies(QUESTIONS) for q in qs for w in q}
    chosen = [w for w in words if w in question_words][:150]
    for k, word in enumerate(chosen):
        i = words.index(word)
        variant = word.capitalize() if k % 3 else word.upper()
        near = wv[word] + 0.05 * rng.standard_normal(wv.dim).astype(np.float32) * np.linalg.norm(wv[word])
        at = i if k % 4 == 0 else i + 1  # sometimes the variant comes first
        words.insert(at, variant)
        vectors.insert(at, near)
    path = tmp_path / "variants.txt"
    save_word2vec(path, words, np.array(vectors))
    kv = KeyedVectors.load_word2vec_format(path)
    for case_insensitive in (True, False):
        result = ev.evaluate_analogies(path, QUESTIONS, restrict_vocab=2500, case_insensitive=case_insensitive)
        score, sections = kv.evaluate_word_analogies(str(QUESTIONS), restrict_vocab=2500,
                                                     case_insensitive=case_insensitive)
        assert result.accuracy == pytest.approx(score, abs=1e-6)
        assert_sections_match(result, sections)


def test_3cosmul_matches_gensim_most_similar_cosmul(wv):
    small = WordVectors(wv.words[:1500], wv.vectors[:1500])
    kv = KeyedVectors(small.dim)
    kv.add_vectors(small.words, small.vectors)
    result = ev.evaluate_analogies(small, QUESTIONS, restrict_vocab=0, case_insensitive=False, method="3cosmul")
    correct = {}
    for name, questions in ev.read_analogies(QUESTIONS):
        for a, b, c, d in questions:
            if all(w in kv.key_to_index for w in (a, b, c, d)):
                answer = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0]
                correct[name] = correct.get(name, 0) + (answer == d)
    assert result.total.correct == sum(correct.values()) > 0
    assert {s.name: s.correct for s in result.sections if s.evaluated} == correct


@pytest.mark.parametrize("path", PAIR_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("dummy4unknown", [False, True])
def test_word_pairs_match_gensim(wv, kv, path, case_insensitive, dummy4unknown):
    ours = ev.evaluate_word_pairs(wv, path, case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)
    pearson, spearman, oov_percent = kv.evaluate_word_pairs(str(path), case_insensitive=case_insensitive,
                                                            dummy4unknown=dummy4unknown)
    assert ours.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert ours.pearson == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * ours.oov_ratio == pytest.approx(oov_percent, abs=1e-9)
    assert ours.oov > 0 and ours.pairs == ours.oov + ours.evaluated - (ours.oov if dummy4unknown else 0)


def test_word_pairs_restrict_vocab_matches_gensim(wv, kv):
    ours = ev.evaluate_word_pairs(wv, PAIR_FILES[0], restrict_vocab=2000)
    pearson, spearman, oov_percent = kv.evaluate_word_pairs(str(PAIR_FILES[0]), restrict_vocab=2000)
    assert ours.spearman == pytest.approx(spearman[0], abs=1e-6)
    assert 100 * ours.oov_ratio == pytest.approx(oov_percent, abs=1e-9)


def test_batches_do_not_change_answers(wv, monkeypatch):
    expected = [ev.evaluate_analogies(wv, QUESTIONS, restrict_vocab=1000, method=m) for m in METHODS]
    monkeypatch.setattr(ev, "_SCORES_PER_BATCH", 7000)  # 7 and 2 questions per batch
    for m, before in zip(METHODS, expected):
        after = ev.evaluate_analogies(wv, QUESTIONS, restrict_vocab=1000, method=m)
        assert [s.correct for s in after.sections] == [s.correct for s in before.sections]


def test_no_candidate_left_is_a_wrong_answer(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(": s\na b c a\n")
    wv = WordVectors(["a", "b", "c"], np.eye(3, dtype=np.float32))
    for method in METHODS:
        result = ev.evaluate_analogies(wv, path, method=method)
        assert (result.total.correct, result.total.evaluated) == (0, 1)


def test_full_google_set_over_30000_words_matches_brute_force():
    """All 19,544 questions answerable among 30,000 words, with planted answers: per section,
    the second word of each pair is the first plus the section's relation vector plus noise,
    so that a part (6-63% per section) of the questions are answered right.

    The expected counts come from a plain float64 numpy answer, one question block at a
    time: the best word by cosine with b - a + c (unit vectors), a, b and c left out. A
    question whose best two candidates (or best and expected) lie within 1e-5 is a near tie
    that rounding may settle either way; there are few (checked), and each may go either way.
    """
    sections: list[tuple[str, list[list[str]]]] = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
        elif len(line.split()) == 4:
            sections[-1][1].append(line.lower().split())
    question_words = sorted({w for _, qs in sections for q in qs for w in q})
    words = question_words + [f"filler{i}" for i in range(30000 - len(question_words))]
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((30000, 16))
    for _, questions in sections:
        relation = 1.5 * rng.standard_normal(16)
        for a, b, _, _ in questions:
            vectors[index[b]] = vectors[index[a]] + relation + 0.8 * rng.standard_normal(16)
    vectors = vectors.astype(np.float32)

    result = ev.evaluate_analogies(WordVectors(words, vectors), QUESTIONS)
    assert result.total.evaluated == 19544 and result.total.oov == 0
    assert [s.name for s in result.sections] == [name for name, _ in sections]

    unit = vectors.astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    near = 1e-5
    ties = 0
    for (name, questions), ours in zip(sections, result.sections):
        q = np.array([[index[w] for w in question] for question in questions])
        surely_right = undecided = 0
        for start in range(0, len(q), 512):
            block = q[start:start + 512]
            rows = np.arange(len(block))
            scores = (unit[block[:, 1]] - unit[block[:, 0]] + unit[block[:, 2]]) @ unit.T
            for k in range(3):
                scores[rows, block[:, k]] = -np.inf
            best = scores.argmax(axis=1)
            top = scores[rows, best]
            expected_score = scores[rows, block[:, 3]]
            scores[rows, best] = -np.inf
            runner_up = scores.max(axis=1)
            right = best == block[:, 3]
            close = np.where(right, top - runner_up < near, top - expected_score < near)
            surely_right += int(np.sum(right & ~close))
            undecided += int(np.sum(close))
        ties += undecided
        assert ours.evaluated == len(questions), name
        assert surely_right <= ours.correct <= surely_right + undecided, (name, ours.correct, surely_right)
    assert ties <= 10
    assert 0.1 < result.total.correct / result.total.evaluated < 0.9  # planted, not trivial


def test_rank_and_correlations_match_scipy():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=200).astype(float)  # many ties
    y = x + rng.standard_normal(200)
    np.testing.assert_allclose(ev.rank(x), stats.rankdata(x))
    assert ev.spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert ev.pearson(x, y) == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
    assert np.isnan(ev.pearson([1.0], [2.0])) and np.isnan(ev.spearman([1, 1, 1], [1, 2, 3]))


# ---------------------------------------------------------------------------------------------
# Files


def test_read_analogies(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("a b c d\n\n: gram-x\ne f g h\n")
    assert ev.read_analogies(path) == [("q", [("a", "b", "c", "d")]), ("gram-x", [("e", "f", "g", "h")])]
    path.write_text(": s\na b c d\na b c\n")
    with pytest.raises(FastW2VError, match=r"q.txt:3: expected an analogy question of 4 words, got 3"):
        ev.read_analogies(path)
    path.write_text(": only a header\n")
    with pytest.raises(FastW2VError, match="no analogy questions found"):
        ev.read_analogies(path)
    with pytest.raises(FastW2VError, match="evaluation file not found"):
        ev.read_analogies(tmp_path / "missing.txt")


def test_read_word_pairs(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("# comment\nWord 1\tWord 2\tHuman (mean)\nold\tnew\t1.58\n\nice cream 9\n")
    assert ev.read_word_pairs(path) == [("old", "new", 1.58), ("ice", "cream", 9.0)]
    path.write_text("a b 1\nc d x\n")
    with pytest.raises(FastW2VError, match=r"p.txt:2: score 'x' is not a number"):
        ev.read_word_pairs(path)
    path.write_text("a b 1 2\n")
    with pytest.raises(FastW2VError, match=r"p.txt:1: expected 'word1 word2 score', got 4 fields"):
        ev.read_word_pairs(path)
    path.write_text("# nothing\n")
    with pytest.raises(FastW2VError, match="no word pairs found"):
        ev.read_word_pairs(path)


def test_all_pairs_unknown_gives_nan_not_an_error(wv, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("qqqq zzzz 1\nxxxx yyyy 2\n")
    result = ev.evaluate_word_pairs(wv, path)
    assert np.isnan(result.spearman) and result.oov_ratio == 1.0
    assert result.to_dict()["spearman"] is None


def test_defaults_use_shipped_data_and_fail_clearly_without_it(wv, monkeypatch, tmp_path, capsys):
    report = ev.evaluate(WordVectors(wv.words[:2000], wv.vectors[:2000]))
    assert Path(report.analogies.path).name == "questions-words.txt"
    assert [Path(r.path).name for r in report.similarity] == ["wordsim353.tsv", "simlex999.txt"]
    monkeypatch.setattr(ev, "DATA_DIR", tmp_path / "nowhere")
    with pytest.raises(FastW2VError, match="pass analogies and/or similarity explicitly"):
        ev.evaluate(wv)
    with pytest.raises(FastW2VError, match="not found"):
        ev.evaluate_analogies(wv)
    vectors = tmp_path / "v.txt"
    save_word2vec(vectors, ["a", "b"], np.eye(2, dtype=np.float32))
    assert main(["eval", str(vectors)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastw2v: error: default evaluation file questions-words.txt not found")
    assert "pass --analogies and/or --similarity explicitly" in err and err.count("\n") == 1


def test_default_sets_ship_inside_the_package_and_parse():
    """The defaults live in the package (so a wheel install has them), with their licences."""
    package_data = Path(fastw2v.__file__).resolve().parent / "data"
    names = [ev.DEFAULT_ANALOGIES, *ev.DEFAULT_SIMILARITY]
    assert [ev.default_data_file(n) for n in names] == [package_data / n for n in names]
    sections = ev.read_analogies(ev.default_data_file(ev.DEFAULT_ANALOGIES))
    assert len(sections) == 14 and sum(len(questions) for _, questions in sections) == 19544
    assert [len(ev.read_word_pairs(ev.default_data_file(n))) for n in ev.DEFAULT_SIMILARITY] == [353, 999]
    notes = (package_data / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in notes
    for credit in ("Apache-2.0", "Finkelstein", "Hill"):
        assert credit in notes


def test_default_sets_are_declared_package_data():
    """What the wheel takes: every default set and the note of their licences."""
    tomllib = pytest.importorskip("tomllib")
    with open(Path(fastw2v.__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
        setuptools = tomllib.load(f)["tool"]["setuptools"]
    assert "fastw2v.data" in setuptools["packages"]
    assert set(setuptools["package-data"]["fastw2v.data"]) == {ev.DEFAULT_ANALOGIES, *ev.DEFAULT_SIMILARITY,
                                                               "README.md"}


# ---------------------------------------------------------------------------------------------
# Command line


def test_cli_eval_tables(trained, capsys):
    argv = ["eval", str(trained), "--analogies", str(QUESTIONS), "--restrict-vocab", "3000",
            "--similarity", str(PAIR_FILES[0]), "--similarity", str(PAIR_FILES[1])]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Analogies:" in out and "3CosAdd, first 3,000 words, case-insensitive" in out
    for name in ("capital-common-countries", "gram9-plural-verbs", "semantic", "syntactic", "total",
                 "wordsim353.tsv", "simlex999.txt", "spearman", "questions skipped"):
        assert name in out


def test_cli_eval_json_matches_python(trained, wv, capsys):
    argv = ["eval", str(trained), "--analogies", str(QUESTIONS), "--restrict-vocab", "2000",
            "--similarity", str(PAIR_FILES[1]), "--case-sensitive", "--method", "3cosmul", "--json"]
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    analogies = ev.evaluate_analogies(wv, QUESTIONS, restrict_vocab=2000, case_insensitive=False,
                                      method="3cosmul")
    pairs = ev.evaluate_word_pairs(wv, PAIR_FILES[1], case_insensitive=False)
    assert got["words"] == len(wv) and got["dim"] == 50
    assert got["analogies"]["method"] == "3cosmul" and got["analogies"]["case_insensitive"] is False
    assert got["analogies"]["total"]["correct"] == analogies.total.correct
    assert got["analogies"]["total"]["oov"] == analogies.total.oov
    assert [s["section"] for s in got["analogies"]["sections"]] == [s.name for s in analogies.sections]
    assert got["similarity"][0]["spearman"] == pytest.approx(pairs.spearman)
    assert got["similarity"][0]["oov_ratio"] == pytest.approx(pairs.oov_ratio)


def test_cli_eval_only_what_is_asked_and_limit(trained, capsys):
    assert main(["eval", str(trained), "--similarity", str(PAIR_FILES[0]), "--limit", "500", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["analogies"] is None and len(got["similarity"]) == 1 and got["words"] == 500


def test_cli_eval_errors(trained, tmp_path, capsys):
    cases = [
        (["--analogies", str(tmp_path / "none.txt")], "evaluation file not found"),
        (["--analogies", str(QUESTIONS), "--method", "cos"], "unknown analogy method 'cos'"),
        (["--analogies", str(QUESTIONS), "--restrict-vocab", "-5"], "--restrict-vocab must be 0 or more"),
    ]
    for extra, message in cases:
        assert main(["eval", str(trained), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("fastw2v: error: ") and message in err and err.count("\n") == 1
