"""Word classes: spherical k-means of the vectors (word2vec.c's -classes)."""

from __future__ import annotations

import numpy as np
import pytest

from fastw2v.cli import main
from fastw2v.errors import FastW2VError
from fastw2v.vectors.classes import kmeans_classes, save_classes, word_classes
from fastw2v.vectors.query import WordVectors


def _clusters(k=8, per=50, dim=20, noise=0.05, seed=0):
    """Well-separated directions (random unit centres), with varying lengths."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(k), per)
    rng.shuffle(truth)
    x = centres[truth] + noise * rng.standard_normal((k * per, dim))
    x *= rng.uniform(0.2, 5.0, size=(k * per, 1))  # cosine: lengths do not matter
    return x.astype(np.float32), truth


def _same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _write_vectors(path, words, x):
    with open(path, "w") as f:
        f.write(f"{len(words)} {x.shape[1]}\n")
        for w, row in zip(words, x):
            f.write(w + " " + " ".join(f"{v:.6f}" for v in row) + "\n")


def test_every_word_gets_one_class():
    x = np.random.default_rng(3).standard_normal((1000, 16)).astype(np.float32)
    labels = kmeans_classes(x, 37, seed=5)
    assert labels.shape == (1000,) and labels.dtype == np.int32
    assert labels.min() >= 0 and labels.max() < 37
    assert len(np.unique(labels)) == 37  # no class left empty here


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_separated_clusters_recovered(seed):
    x, truth = _clusters(seed=seed)
    labels = kmeans_classes(x, 8, seed=seed)
    assert _same_partition(labels, truth)


def test_reproducible_with_seed():
    x = np.random.default_rng(0).standard_normal((3000, 24)).astype(np.float32)
    a = kmeans_classes(x, 50, seed=7, iterations=5)
    b = kmeans_classes(x, 50, seed=7, iterations=5)
    c = kmeans_classes(x, 50, seed=8, iterations=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cosine_not_euclidean():
    # two directions; lengths differ wildly within each
    x = np.array([[1, 0.01], [100, 0.5], [0.01, 1], [0.3, 50]], dtype=np.float32)
    labels = kmeans_classes(x, 2, seed=1)
    assert labels[0] == labels[1] != labels[2] == labels[3]


def test_k_one_and_k_all():
    x = np.random.default_rng(1).standard_normal((20, 4)).astype(np.float32)
    assert (kmeans_classes(x, 1) == 0).all()
    assert sorted(kmeans_classes(x, 20).tolist()) == list(range(20))


def test_errors():
    x = np.ones((5, 3), dtype=np.float32)
    for k, message in ((0, "^k must be 1 or more"), (-1, "^k must be 1 or more"),
                       (6, r"^k 6 is more than the number of words \(5\)")):
        with pytest.raises(FastW2VError, match=message):
            kmeans_classes(x, k)
    with pytest.raises(FastW2VError, match="^iterations must be 1 or more"):
        kmeans_classes(x, 2, iterations=0)
    with pytest.raises(FastW2VError):
        save_classes("/nonexistent-dir/c.txt", ["a"], [0])


def test_save_and_word_classes(tmp_path):
    x, truth = _clusters(k=3, per=10, dim=6)
    words = [f"w{i}" for i in range(len(x))]
    path = tmp_path / "vec.txt"
    _write_vectors(path, words, x)
    got = word_classes(str(path), 3, seed=2)
    assert list(got) == words
    assert _same_partition(np.array(list(got.values())), truth)
    assert word_classes(WordVectors(words, x), 3, seed=2) == got
    out = tmp_path / "classes.txt"
    save_classes(out, words, list(got.values()))
    assert out.read_text().splitlines()[0] == f"w0 {got['w0']}"


def test_cli_classes(tmp_path, capsys):
    x, truth = _clusters(k=4, per=25, dim=10)
    words = [f"w{i}" for i in range(len(x))]
    vec = tmp_path / "vec.txt"
    _write_vectors(vec, words, x)
    out = tmp_path / "classes.txt"
    assert main(["classes", str(vec), "-k", "4", "-o", str(out), "--seed", "3", "--iterations", "20"]) == 0
    rows = [line.split() for line in out.read_text().splitlines()]
    assert [r[0] for r in rows] == words
    assert _same_partition(np.array([int(r[1]) for r in rows]), truth)
    assert "100 words in 4 classes" in capsys.readouterr().err
    again = tmp_path / "again.txt"
    assert main(["classes", str(vec), "-k", "4", "-o", str(again), "--seed", "3", "--iterations", "20",
                 "--quiet"]) == 0
    assert again.read_text() == out.read_text()
    limited = tmp_path / "limited.txt"
    assert main(["classes", str(vec), "-k", "2", "-o", str(limited), "--limit", "10", "--quiet"]) == 0
    assert len(limited.read_text().splitlines()) == 10
    bad = tmp_path / "bad.txt"
    assert main(["classes", str(vec), "-k", "0", "-o", str(bad)]) == 2
    assert main(["classes", str(vec), "-k", "101", "-o", str(bad)]) == 2
    assert main(["classes", str(vec), "-k", "2", "-o", str(bad), "--iterations", "0"]) == 2
    assert main(["classes", str(tmp_path / "missing.txt"), "-k", "2", "-o", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("fastw2v: error:") == 4 and "Traceback" not in err
    assert "fastw2v: error: -k must be 1 or more (got 0)" in err
    assert "fastw2v: error: -k 101 is more than the number of words (100)" in err
    assert "fastw2v: error: --iterations must be 1 or more (got 0)" in err
    assert not bad.exists()


def test_train_with_classes_writes_vectors_and_classes(tmp_path, capsys):
    # Two word groups that never share a sentence: their classes must differ.
    animals, numbers = ["cat", "dog", "cow", "pig"], ["one", "two", "six", "ten"]
    rng = np.random.default_rng(0)
    lines = [" ".join(rng.choice(group, 12)) for _ in range(300) for group in (animals, numbers)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(lines) + "\n")
    out = tmp_path / "v.txt"
    code = main(["train", str(corpus), "-o", str(out), "--min-count", "1", "--dim", "16",
                 "--epochs", "5", "--threads", "1", "--classes", "2", "--quiet"])
    assert code == 0
    assert out.exists()
    rows = dict(line.split() for line in (tmp_path / "v.txt.classes.txt").read_text().splitlines())
    assert sorted(rows) == sorted(animals + numbers)
    assert len({rows[w] for w in animals}) == 1 and len({rows[w] for w in numbers}) == 1
    assert rows["cat"] != rows["one"]


def test_train_classes_errors(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    for value in ("-1", "99"):
        code = main(["train", str(corpus), "-o", str(tmp_path / "v.txt"), "--min-count", "1",
                     "--epochs", "1", "--classes", value, "--quiet"])
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("fastw2v: error:") and "--classes" in err[0]
        assert not (tmp_path / "v.txt").exists()
