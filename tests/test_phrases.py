"""Phrases (word2phrase): the score formula, which pairs are joined, passes, I/O."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections import Counter

import numpy as np
import pytest
from conftest import TEXT8

from fastw2v.cli import main
from fastw2v.errors import FastW2VError
from fastw2v.text.phrases import find_phrases, phrase_corpus, phrase_score

# "new york" and "big apple" are collocations; the filler words f0..f9 pair with
# many partners, and "new" and "york" also occur apart.
_F = [f"f{j}" for j in range(10)]
SENTENCES = (
    [[_F[i % 10], _F[(3 * i + 1) % 10], "new", "york", _F[(7 * i + 2) % 10]] for i in range(30)]
    + [[_F[i % 10], "big", "apple", _F[(i + 5) % 10]] for i in range(12)]
    + [[_F[i % 10], "new", _F[(i + 3) % 10]] for i in range(6)]
    + [["york", _F[(i + 4) % 10], _F[i % 10]] for i in range(4)]
)
MIN = 3


def _counts(sentences):
    uni = Counter(w for s in sentences for w in s)
    bi = Counter((a, b) for s in sentences for a, b in zip(s, s[1:]))
    return uni, bi, sum(uni.values())


def _formula(ab, a, b, total, min_count):
    if ab < min_count or a < min_count or b < min_count:
        return 0.0
    return (ab - min_count) / a / b * total


def _read_lines(path):
    return path.read_text().splitlines()


def test_phrase_score_is_the_formula():
    assert phrase_score(30, 40, 50, 1000, 5) == pytest.approx((30 - 5) / 40 / 50 * 1000)
    assert phrase_score(4, 40, 50, 1000, 5) == 0.0  # pair too rare
    assert phrase_score(30, 4, 50, 1000, 5) == 0.0  # a word too rare
    got = phrase_score(np.array([10, 3]), np.array([20, 20]), np.array([10, 10]), 500, 3)
    np.testing.assert_allclose(got, [(10 - 3) / 20 / 10 * 500, 0.0])


def test_find_phrases_scores_equal_the_formula():
    uni, bi, total = _counts(SENTENCES)
    found = find_phrases(SENTENCES, min_count=MIN, threshold=0.0)
    expected = {f"{a}_{b}": _formula(n, uni[a], uni[b], total, MIN) for (a, b), n in bi.items()}
    expected = {k: v for k, v in expected.items() if v > 0}
    assert found.keys() == expected.keys()
    for key, score in expected.items():
        assert found[key] == pytest.approx(score, rel=1e-12)


def test_expected_bigrams_joined_at_threshold(tmp_path):
    uni, bi, total = _counts(SENTENCES)
    scores = {f"{a}_{b}": _formula(n, uni[a], uni[b], total, MIN) for (a, b), n in bi.items()}
    ranked = sorted(scores, key=scores.get, reverse=True)
    assert ranked[:2] == ["big_apple", "new_york"]  # the constructed corpus orders them so
    s_ba, s_ny, s_next = (scores[w] for w in ranked[:3])
    assert s_next < 1.0 < s_ny < 10.0 < s_ba

    for threshold, joined in [(1.0, {"new_york", "big_apple"}), (10.0, {"big_apple"}), (s_ba, set())]:
        assert set(find_phrases(SENTENCES, min_count=MIN, threshold=threshold)) == joined
        out = tmp_path / "out.txt"
        phrase_corpus(SENTENCES, out, passes=1, threshold=threshold, min_count=MIN)
        lines = _read_lines(out)
        assert len(lines) == len(SENTENCES)
        for line, sentence in zip(lines, SENTENCES):
            assert line.replace("_", " ").split() == sentence  # nothing lost or reordered
            phrases = {w for w in line.split() if "_" in w}
            assert phrases <= joined
            for p in joined:
                if p.replace("_", " ") in " ".join(sentence):
                    assert p in phrases


def test_min_count_applies_to_words_and_pairs():
    sentences = [["x", "y"]] * 4 + [["x", "z"]] * 2 + [["z", "q"]] * 9
    found = find_phrases(sentences, min_count=3, threshold=0.0)
    assert "x_y" in found
    assert "x_z" not in found  # pair seen twice only
    assert "z_q" in found
    assert not find_phrases(sentences, min_count=4, threshold=0.0).keys() & {"x_y", "x_z"}


def test_greedy_left_to_right_and_sentence_bounds(tmp_path):
    # every pair of "a b c" scores high; word2phrase joins a_b, then c stays alone
    sentences = [["a", "b", "c"]] * 10
    out = tmp_path / "o.txt"
    phrase_corpus(sentences, out, passes=1, threshold=0.0, min_count=1)
    assert set(_read_lines(out)) == {"a_b c"}
    # the last word of a line never pairs with the first of the next
    sentences = [["p", "q"], ["q", "p"]] * 10
    phrase_corpus(sentences, out, passes=1, threshold=0.0, min_count=1)
    assert _read_lines(out) == ["p_q", "q_p"] * 10


def test_two_passes_make_trigrams(tmp_path):
    sentences = [["we", "saw", "new", "york", "city", "today"]] * 20 + \
                [["new", "ideas"], ["old", "york"], ["city", "hall"], ["he", "saw", "it"]] * 3
    out = tmp_path / "out.txt"
    uni, bi, total = _counts(sentences)
    # pass 1 joins new_york (and others); pass 2 joins new_york + city
    summaries = phrase_corpus(sentences, out, passes=2, threshold=[1.0, 1.0], min_count=3,
                              delimiter="_")
    assert len(summaries) == 2 and summaries[1]["words"] < summaries[0]["words"]
    lines = _read_lines(out)
    assert any("new_york_city" in line.split() or "we_saw_new_york" in line for line in lines)
    one = tmp_path / "one.txt"
    phrase_corpus(sentences, one, passes=1, threshold=1.0, min_count=3)
    assert max(len(w.split("_")) for line in _read_lines(one) for w in line.split()) == 2
    assert max(len(w.split("_")) for line in lines for w in line.split()) >= 3
    for line in lines:  # the words themselves are unchanged
        assert line.replace("_", " ").split() in [s for s in sentences]


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_input_and_output(tmp_path, suffix, opener):
    src = tmp_path / f"in.txt{suffix}"
    with opener(src, "wt") as f:
        f.write("\n".join(" ".join(s) for s in SENTENCES) + "\n")
    out = tmp_path / f"out.txt{suffix}"
    plain = tmp_path / "plain.txt"
    phrase_corpus(src, out, passes=1, threshold=1.0, min_count=MIN)
    phrase_corpus(SENTENCES, plain, passes=1, threshold=1.0, min_count=MIN)
    assert "new_york" in plain.read_text()
    with opener(out, "rt") as f:
        assert f.read() == plain.read_text()


def test_text8_collocations_joined(tmp_path):
    out = tmp_path / "t8.txt.gz"
    phrase_corpus(TEXT8, out, passes=1, threshold=100.0, min_count=5)
    with gzip.open(out, "rt") as f:
        words = Counter(f.read().split())
    assert words["new_york"] > 100
    assert words["united_states"] > 500
    assert words["the_of"] == 0 and words["of_the"] == 0  # frequent but not a collocation
    assert "new_york" in find_phrases(TEXT8, min_count=5, threshold=100.0)


def test_cli_phrases(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(" ".join(s) for s in SENTENCES) + "\n")
    out = tmp_path / "out.txt"
    assert main(["phrases", str(src), "-o", str(out), "--min-count", "3", "--threshold", "1",
                 "--passes", "1", "--delimiter", "+"]) == 0
    assert "f0 f1 new+york f2" in _read_lines(out)
    assert "words/s" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    assert main(["phrases", str(src), "-o", str(bad), "--threshold", "1", "--threshold", "2",
                 "--threshold", "3", "--quiet"]) == 2
    assert main(["phrases", str(src), "-o", str(bad), "--min-count", "0", "--quiet"]) == 2
    assert main(["phrases", str(src), "-o", str(bad), "--passes", "0", "--quiet"]) == 2
    assert main(["phrases", str(tmp_path / "missing.txt"), "-o", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("fastw2v: error:") == 4 and "Traceback" not in err
    for line in ("give one --threshold or one per pass (2 passes, 3 thresholds)",
                 "--min-count must be 1 or more (got 0)", "--passes must be 1 or more (got 0)"):
        assert f"fastw2v: error: {line}" in err, (line, err)
    assert not bad.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_api_errors():
    with pytest.raises(FastW2VError, match=r"^min_count must be 1 or more \(got 0\)$"):
        find_phrases(SENTENCES, min_count=0)
    with pytest.raises(FastW2VError, match="^delimiter must be non-empty"):
        find_phrases(SENTENCES, delimiter=" ")
