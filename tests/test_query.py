"""Loading vectors files and querying them (similar / analogy), checked against gensim."""

from __future__ import annotations

import gzip
import json
import random

import numpy as np
import pytest
from gensim.models import KeyedVectors

from fastw2v.cli import main
from fastw2v.errors import FastW2VError
from fastw2v.vectors.query import (
    WordVectors,
    analogy,
    as_word_vectors,
    load_vectors,
    most_similar,
)
from fastw2v.vectors.word2vec_format import load_word2vec, save_word2vec

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


def random_vectors(n: int = 500, dim: int = 20, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n)]
    return words, rng.standard_normal((n, dim)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vectors") / "random.txt"
    save_word2vec(path, *random_vectors())
    return path


# ---------------------------------------------------------------------------------------------
# Loading


@pytest.mark.parametrize("binary", [False, True])
def test_load_round_trip_and_gensim(tmp_path, binary):
    words, vectors = random_vectors(300, 17)
    words[5] = "naïve"
    path = tmp_path / "v.bin"
    save_word2vec(path, words, vectors, binary=binary)
    got_words, got = load_word2vec(path)  # format guessed
    assert got_words == words
    np.testing.assert_array_equal(got, vectors)
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert kv.index_to_key == got_words
    np.testing.assert_array_equal(kv.vectors, got)


def test_load_gensim_written_files(tmp_path):
    words, vectors = random_vectors(200, 9)
    kv = KeyedVectors(9)
    kv.add_vectors(words, vectors)
    for binary in (False, True):
        path = tmp_path / f"g{int(binary)}"
        kv.save_word2vec_format(path, binary=binary)  # gensim binary: no newline after a vector
        got_words, got = load_word2vec(path)
        assert got_words == words
        np.testing.assert_allclose(got, vectors, rtol=1e-6) if not binary else \
            np.testing.assert_array_equal(got, vectors)


def test_load_number_formats_like_gensim(tmp_path):
    """word2vec.c's %lf, fastText's short numbers, 17-digit reprs, exponents, nan/inf, trailing spaces."""
    rng = np.random.default_rng(1)
    rnd = random.Random(1)
    formats = ["%.6f", "%.5g", "%.9g", "%.3e", "%.17g", "%g", "%.1f", "%.20f"]
    n, dim = 60, 7
    lines = [f"{n} {dim}"]
    for i in range(n):
        values = []
        for x in rng.standard_normal(dim) * 10.0 ** rng.integers(-9, 9, size=dim):
            text = rnd.choice(formats) % x
            if rnd.random() < 0.03:
                text = rnd.choice(["nan", "inf", "-inf", "-0", "+1.5", ".5", "5.", "1E3", "1e-30"])
            values.append(text)
        lines.append(f"w{i} " + " ".join(values) + (" " if i % 2 else ""))
    path = tmp_path / "mixed.vec"
    path.write_text("\n".join(lines) + "\n")
    words, got = load_word2vec(path)
    kv = KeyedVectors.load_word2vec_format(path)
    assert words == kv.index_to_key
    np.testing.assert_array_equal(got, kv.vectors)
    assert (np.signbit(got) == np.signbit(kv.vectors)).all()


def test_load_crlf_gzip_limit_and_no_final_newline(tmp_path):
    text = "3 2\r\nthe 1 2\r\nof 3 4.5\r\nand -1 0"
    (tmp_path / "v.txt").write_text(text)
    with gzip.open(tmp_path / "v.txt.gz", "wt") as f:
        f.write(text)
    for name in ("v.txt", "v.txt.gz"):
        words, vectors = load_word2vec(tmp_path / name)
        assert words == ["the", "of", "and"]
        np.testing.assert_array_equal(vectors, [[1, 2], [3, 4.5], [-1, 0]])
    words, vectors = load_word2vec(tmp_path / "v.txt", limit=2)
    assert words == ["the", "of"] and vectors.shape == (2, 2)


def word2vec_c_binary(words: list[str], vectors: np.ndarray, newline: bool) -> bytes:
    """A binary file laid out by hand: the header line, then per word the word, a space and
    dim little-endian float32, followed by a newline as word2vec.c writes it, or by nothing
    as some other tools do."""
    out = [b"%d %d\n" % vectors.shape]
    for word, vector in zip(words, vectors):
        out.append(word.encode("utf-8") + b" " + vector.astype("<f4").tobytes() + (b"\n" if newline else b""))
    return b"".join(out)


@pytest.mark.parametrize("limit", [None, 1, 7, 49, 50, 80])
@pytest.mark.parametrize("newline", [True, False], ids=["newline", "no-newline"])
def test_load_binary_limit_and_word2vec_c_newlines(tmp_path, newline, limit):
    words, vectors = random_vectors(50, 4)
    words[10] = "naïve"
    # Values whose bytes are spaces and newlines: a reader that looked for separators
    # inside the float data, or stripped a newline that belongs to it, would go wrong.
    vectors[3] = np.frombuffer(b" \n\n " * 4, dtype="<f4")
    vectors[4] = np.frombuffer(b"\n\x00\x00\x00" * 3 + b"\x00\x00\x00\n", dtype="<f4")
    vectors[49] = np.frombuffer(b"\n" * 16, dtype="<f4")  # the last vector, then the file's end
    path = tmp_path / "v.bin"
    path.write_bytes(word2vec_c_binary(words, vectors, newline))
    n = len(words) if limit is None else min(limit, len(words))
    for binary in (True, None):  # given, or guessed from the content
        got_words, got = load_word2vec(path, binary=binary, limit=limit)
        assert got_words == words[:n]
        assert np.array_equal(got.view(np.uint32), vectors[:n].view(np.uint32))
    if newline:  # gensim reads word2vec.c's layout the same way
        kv = KeyedVectors.load_word2vec_format(path, binary=True, limit=limit)
        assert kv.index_to_key == words[:n] and np.array_equal(kv.vectors, vectors[:n])


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("suffix", [".bz2", ".xz"])
def test_compressed_vector_files_are_read(tmp_path, suffix, binary):
    import bz2
    import lzma

    words, vectors = random_vectors(120, 7)
    plain = tmp_path / "v"
    save_word2vec(plain, words, vectors, binary=binary)
    path = tmp_path / f"v{suffix}"
    path.write_bytes({".bz2": bz2.compress, ".xz": lzma.compress}[suffix](plain.read_bytes()))
    got_words, got = load_word2vec(path)
    assert got_words == words and np.array_equal(got, vectors)
    limited = load_vectors(path, limit=30)
    assert limited.words == words[:30] and np.array_equal(limited.vectors, vectors[:30])
    assert main(["similar", str(path), "w3", "-n", "3", "--json"]) == 0


def test_header_claiming_too_many_vectors_is_an_error_not_a_huge_allocation(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("100000000 300\n" + "w " + " ".join(["0.5"] * 300) + "\n")
    with pytest.raises(FastW2VError, match="file ends after 1 of 100000000 vectors"):
        load_word2vec(path)


MALFORMED = {
    "empty.txt": (b"", "empty file"),
    "header.txt": (b"hello world\nx 1 2\n", r"header.txt:1: bad header 'hello world'"),
    "header3.txt": (b"2 3 4\nx 1 2\n", "header3.txt:1: bad header"),
    "short.txt": (b"2 3\na 1 2 3\nb 1 2\n", "short.txt:3: expected a word and 3 values, got 2"),
    "long.txt": (b"2 3\na 1 2 3 4\nb 1 2 3\n", "long.txt:2: expected a word and 3 values, got 4"),
    "blank.txt": (b"2 3\n\nb 1 2 3\n", "blank.txt:2: expected a word and 3 values, got an empty line"),
    "nan.txt": (b"2 3\na 1 2 3\nb 1 x2 3\n", r"nan.txt:3: value 2 \('x2'\) is not a number"),
    "few.txt": (b"3 3\na 1 2 3\nb 1 2 3\n", "few.txt: file ends after 2 of 3 vectors"),
    "trunc.bin": (b"2 3\na " + np.ones(3, "<f4").tobytes() + b"\nb " + np.ones(2, "<f4").tobytes(),
                  "trunc.bin: truncated binary file: vector 2 of 2 is incomplete"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_files(tmp_path, capsys, name):
    content, message = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FastW2VError, match=message):
        load_word2vec(path)
    for argv in (["similar", str(path), "a"], ["eval", str(path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("fastw2v: error: ") and err.count("\n") == 1, err
        assert name in err


def test_missing_file_and_directory(tmp_path, capsys):
    with pytest.raises(FastW2VError, match="vectors file not found"):
        load_word2vec(tmp_path / "nope.txt")
    with pytest.raises(FastW2VError, match="is a directory"):
        load_word2vec(tmp_path)
    assert main(["analogy", str(tmp_path / "nope.txt"), "a", "b", "c"]) == 2
    assert capsys.readouterr().err == f"fastw2v: error: vectors file not found: {tmp_path / 'nope.txt'}\n"


def test_truncated_gzip(tmp_path):
    data = gzip.compress(b"4000 3\n" + b"".join(b"w%d %d 2 3\n" % (i, i) for i in range(4000)))
    path = tmp_path / "v.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FastW2VError, match="cannot read vectors file"):
        load_word2vec(path)


def test_duplicate_words_keep_the_first_vector_like_gensim(tmp_path):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 0\nb 0 1\na 5 5\n")
    wv = load_vectors(path)
    assert wv.words == ["a", "b"]
    np.testing.assert_array_equal(wv["a"], [1, 0])
    kv = KeyedVectors.load_word2vec_format(path)  # gensim 4.4 leaves a None slot at the end
    assert kv.index_to_key[:2] == wv.words
    np.testing.assert_array_equal(kv["a"], wv["a"])


# ---------------------------------------------------------------------------------------------
# Querying


@pytest.fixture(scope="module")
def both(vectors_file):
    return load_vectors(vectors_file), KeyedVectors.load_word2vec_format(vectors_file)


def assert_same(ours, theirs, n=None):
    assert [w for w, _ in ours] == [w for w, _ in theirs][:n]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs][:n], atol=1e-6)


@pytest.mark.parametrize("positive,negative", [
    (["w1"], []), (["w1", "w2"], []), (["w3", "w7"], ["w4"]), (["w10"], ["w11", "w12"]), ([], ["w5"]),
])
@pytest.mark.parametrize("restrict", [None, 100])
def test_most_similar_matches_gensim(both, positive, negative, restrict):
    wv, kv = both
    ours = wv.most_similar(positive, negative, topn=10, restrict_vocab=restrict)
    assert_same(ours, kv.most_similar(positive=positive, negative=negative, topn=10, restrict_vocab=restrict))


def test_analogy_matches_gensim(both):
    wv, kv = both
    for a, b, c in [("w1", "w2", "w3"), ("w40", "w8", "w99"), ("w5", "w5", "w6")]:
        assert_same(wv.analogy(a, b, c, topn=5), kv.most_similar(positive=[b, c], negative=[a], topn=5))
        assert_same(wv.analogy(a, b, c, topn=5, method="3CosMul"),
                    kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5))


def test_module_functions_accept_paths_models_and_pairs(vectors_file, both):
    wv, _ = both
    expected = wv.most_similar(["w1"], topn=3)
    assert most_similar(vectors_file, ["w1"], topn=3) == expected
    assert most_similar((wv.words, wv.vectors), "w1", topn=3) == expected
    assert analogy(wv, "w1", "w2", "w3", topn=2) == wv.analogy("w1", "w2", "w3", topn=2)
    assert as_word_vectors(wv) is wv
    assert len(as_word_vectors(vectors_file, limit=7)) == 7
    with pytest.raises(TypeError):
        as_word_vectors(42)


def test_query_errors(both):
    wv, _ = both
    with pytest.raises(FastW2VError, match="^word not in vocabulary: nope$"):
        wv.most_similar(["w1"], ["nope"])
    with pytest.raises(FastW2VError, match="no query words"):
        wv.most_similar([])
    with pytest.raises(FastW2VError, match="unknown analogy method"):
        wv.analogy("w1", "w2", "w3", method="3cosfoo")
    assert wv.most_similar(["w1"], topn=0) == []
    assert len(wv.most_similar(["w1"], topn=10000)) == len(wv) - 1


def test_zero_vector_has_cosine_zero():
    wv = WordVectors(["a", "b", "z"], np.array([[1, 0], [1, 1], [0, 0]], dtype=np.float32))
    assert wv.similarity("a", "z") == 0.0
    assert [w for w, _ in wv.most_similar("a")] == ["b", "z"]


def test_cli_similar_and_analogy(vectors_file, both, capsys):
    wv, kv = both
    assert main(["similar", str(vectors_file), "w3", "w7", "--negative", "w4", "-n", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["word", "cosine"]
    expected = kv.most_similar(positive=["w3", "w7"], negative=["w4"], topn=4)
    assert [line.split()[0] for line in lines[2:]] == [w for w, _ in expected]
    assert [float(line.split()[1]) for line in lines[2:]] == [round(s, 4) for _, s in expected]

    assert main(["analogy", str(vectors_file), "w1", "w2", "w3", "-n", "3", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    expected = kv.most_similar(positive=["w2", "w3"], negative=["w1"], topn=3)
    assert [g["word"] for g in got] == [w for w, _ in expected]
    np.testing.assert_allclose([g["cosine"] for g in got], [s for _, s in expected], atol=1e-6)

    assert main(["analogy", str(vectors_file), "w1", "w2", "w3", "--method", "3cosmul", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [g["word"] for g in got] == [w for w, _ in kv.most_similar_cosmul(["w2", "w3"], ["w1"])]


def test_cli_unknown_word_and_bad_options(vectors_file, capsys):
    assert main(["similar", str(vectors_file), "w1", "--negative", "xyz"]) == 2
    assert capsys.readouterr().err == "fastw2v: error: word not in vocabulary: xyz\n"
    assert main(["similar", str(vectors_file), "w1", "--limit", "-1"]) == 2
    assert "--limit must be 0 or more" in capsys.readouterr().err
    assert main(["analogy", str(vectors_file), "w1", "w2", "w3", "--method", "x"]) == 2
    assert "unknown analogy method" in capsys.readouterr().err
    assert main(["similar", str(vectors_file), "w400", "--limit", "100"]) == 2
    assert "word not in vocabulary: w400" in capsys.readouterr().err
