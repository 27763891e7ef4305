"""Watching training and seeing vectors (issue 10): ``fastw2v plot``, ``fastw2v map``,
``fastw2v export-projector``, and the PCA and t-SNE behind the maps.

Commands run in-process through ``fastw2v.cli.main``; images are checked by their
PNG header (signature, IHDR size), projector files by reading them back.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from fastw2v import FastW2VError, save_word2vec
from fastw2v.cli import main
from fastw2v.pictures.plots import (
    CURVES_DPI,
    CURVES_SIZE,
    MAP_DPI,
    MAP_SIZE,
    draw_training_log,
    parse_words,
    read_training_log,
    word_map,
)
from fastw2v.pictures.projection import (
    _kl_gradient,
    check_projection_method,
    conditional_probabilities,
    pca,
    squared_distances,
    tsne,
)
from fastw2v.pictures.projector import export_projector
from fastw2v.vectors.query import WordVectors


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file is a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR", "the first chunk is not IHDR"
    assert data[-8:-4] == b"IEND", "the PNG does not end with IEND"
    return struct.unpack(">II", data[16:24])


def expected_pixels(size: tuple[float, float], dpi: int) -> tuple[int, int]:
    return round(size[0] * dpi), round(size[1] * dpi)


def epoch_line(epoch: int, epochs: int = 3, loss: float | None = 2.0, scores: dict | None = None) -> dict:
    line = {"event": "epoch", "epoch": epoch, "epochs": epochs, "words": 1000 * epoch,
            "seconds": 0.5 * epoch, "words_per_second": 2000.0, "alpha": 0.025 / epoch,
            "loss_per_word": loss}
    if scores is not None:
        line["scores"] = scores
    return line


def write_log(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


GOOD_LOG = [
    {"event": "start", "options": {"model": "sg", "dim": 50}},
    epoch_line(1, loss=3.0, scores={"analogy": 0.02, "wordsim353": 0.30, "simlex999": 0.10}),
    epoch_line(2, loss=2.5, scores={"analogy": 0.05, "wordsim353": 0.40, "simlex999": 0.15}),
    epoch_line(3, loss=2.2, scores={"analogy": 0.07, "wordsim353": 0.45, "simlex999": 0.21}),
    {"event": "end", "seconds": 1.5},
]


def two_clusters(n_per: int = 20, dim: int = 16, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Words a0.. near one direction and b0.. near an orthogonal one."""
    rng = np.random.default_rng(seed)
    centre_a = np.zeros(dim)
    centre_a[0] = 1
    centre_b = np.zeros(dim)
    centre_b[1] = 1
    a = centre_a + 0.1 * rng.standard_normal((n_per, dim))
    b = centre_b + 0.1 * rng.standard_normal((n_per, dim))
    words = [f"a{i}" for i in range(n_per)] + [f"b{i}" for i in range(n_per)]
    return words, np.vstack([a, b]).astype(np.float32)


@pytest.fixture()
def vectors_file(tmp_path) -> Path:
    words, vectors = two_clusters()
    path = tmp_path / "vectors.txt"
    save_word2vec(path, words, vectors)
    return path


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("fastw2v: error: "), err
    return err[0]


# ---------------------------------------------------------------- fastw2v plot
def test_plot_writes_png_of_the_figure_size(tmp_path, capsys):
    log = write_log(tmp_path / "train.jsonl", GOOD_LOG)
    out = tmp_path / "curves.png"
    assert main(["plot", str(log), "-o", str(out)]) == 0
    assert png_size(out) == expected_pixels(CURVES_SIZE, CURVES_DPI)
    summary = capsys.readouterr().err
    assert "3 epochs" in summary and "analogy 0.070" in summary
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_plot_svg_and_pdf_by_suffix(tmp_path):
    log = write_log(tmp_path / "train.jsonl", GOOD_LOG)
    assert main(["plot", str(log), "-o", str(tmp_path / "c.svg"), "-q"]) == 0
    assert main(["plot", str(log), "-o", str(tmp_path / "c.pdf"), "-q"]) == 0
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:2000]
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")


def test_log_reading_skips_other_events_and_keeps_the_last_run(tmp_path):
    first_run = [{"event": "start", "options": {"model": "cbow"}}, epoch_line(1), epoch_line(2)]
    second_run = [{"event": "start", "options": {"model": "sg"}},
                  epoch_line(1, loss=None, scores={"analogy": 0.1}), {"event": "progress"},
                  epoch_line(2, loss=1.5, scores={"analogy": 0.2, "simlex999": 0.3})]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in first_run + second_run) + "\n\n")
    log = read_training_log(path)
    assert log.runs == 2
    assert log.options == {"model": "sg"}
    assert [e["epoch"] for e in log.epochs] == [1, 2]
    assert log.losses() == ([2], [1.5])  # the null loss is left out
    assert log.scores() == {"analogy": ([1, 2], [0.1, 0.2]), "simlex999": ([2], [0.3])}
    # A restart without a start line (the epoch number goes back) is a new run too.
    write_log(path, [epoch_line(1), epoch_line(2), epoch_line(1, loss=9.0)])
    restarted = read_training_log(path)
    assert restarted.runs == 2 and restarted.losses() == ([1], [9.0])


def test_a_resumed_run_is_one_run(tmp_path):
    """The trainer logs a start line with "resumed": true and the epoch it goes on from."""
    records = [{"event": "start", "options": {"model": "sg"}, "epoch": 1, "resumed": False},
               epoch_line(1, epochs=4, loss=3.0), epoch_line(2, epochs=4, loss=2.8),
               epoch_line(3, epochs=4, loss=2.7),
               # resumed from a checkpoint written at the end of epoch 2: epoch 3 is redone
               {"event": "start", "options": {"model": "sg"}, "epoch": 3, "resumed": True},
               epoch_line(3, epochs=4, loss=2.6), epoch_line(4, epochs=4, loss=2.5),
               {"event": "end"}]
    log = read_training_log(write_log(tmp_path / "log.jsonl", records))
    assert log.runs == 1
    assert log.losses() == ([1, 2, 3, 4], [3.0, 2.8, 2.6, 2.5])
    # A start line that is not a resume begins a new run.
    records += [{"event": "start", "options": {"model": "cbow"}, "epoch": 1, "resumed": False},
                epoch_line(1, epochs=2, loss=5.0)]
    log = read_training_log(write_log(tmp_path / "log.jsonl", records))
    assert log.runs == 2 and log.losses() == ([1], [5.0]) and log.options == {"model": "cbow"}


def test_panels_without_data_say_so(tmp_path):
    path = write_log(tmp_path / "log.jsonl", [epoch_line(1, loss=None), epoch_line(2, loss=None)])
    fig = draw_training_log(read_training_log(path))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no loss" in t for t in texts)
    assert any("no evaluation scores" in t for t in texts)
    out = tmp_path / "empty.png"
    assert main(["plot", str(path), "-o", str(out), "-q"]) == 0
    assert png_size(out) == expected_pixels(CURVES_SIZE, CURVES_DPI)


BAD_LOGS = {
    "missing": None,
    "not_json": "this is not json\n",
    "half_json": json.dumps(epoch_line(1)) + "\n{\"event\": \"epoch\", \"epo\n",
    "no_epochs": "\n".join(json.dumps(r) for r in (GOOD_LOG[0], GOOD_LOG[-1])) + "\n",
    "empty": "",
    "array_line": "[1, 2, 3]\n",
    "bad_epoch": json.dumps({"event": "epoch", "epoch": "one"}) + "\n",
}


@pytest.mark.parametrize("case", sorted(BAD_LOGS))
def test_bad_logs_are_one_error_line_and_no_image(tmp_path, capsys, case):
    log = tmp_path / "log.jsonl"
    if BAD_LOGS[case] is not None:
        log.write_text(BAD_LOGS[case])
    out = tmp_path / "curves.png"
    assert main(["plot", str(log), "-o", str(out)]) == 2
    line = one_error_line(capsys)
    assert str(log.name) in line
    assert not out.exists()
    with pytest.raises(FastW2VError):
        read_training_log(log)


def test_plot_checks_the_output_before_reading(tmp_path, capsys):
    log = write_log(tmp_path / "log.jsonl", GOOD_LOG)
    assert main(["plot", str(log), "-o", str(tmp_path / "curves.gif")]) == 2
    assert ".png, .svg or .pdf" in one_error_line(capsys)
    assert main(["plot", str(log), "-o", str(tmp_path / "missing" / "c.png")]) == 2
    assert "does not exist" in one_error_line(capsys)


def test_missing_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg",
                 "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)  # "import" now raises ImportError
    log = write_log(tmp_path / "log.jsonl", GOOD_LOG)
    with pytest.raises(FastW2VError, match=r"pip install 'fastw2v\[plot\]'"):
        draw_training_log(read_training_log(log))


# ---------------------------------------------------------------- fastw2v map
@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_map_writes_png(tmp_path, vectors_file, capsys, monkeypatch, method):
    """The map of the first 30 words: one label per word, at the point the projection
    gives it (PCA's coordinates, or t-SNE's with the same seed), and no two labels cover
    each other, as drawn (the two tight clusters make naive placement collide)."""
    from matplotlib.text import Annotation

    from fastw2v.pictures import plots

    drawn = []
    real_save = plots.save_figure

    def keep_figure(fig, path):
        drawn.append(fig)
        return real_save(fig, path)

    monkeypatch.setattr(plots, "save_figure", keep_figure)
    out = tmp_path / f"map_{method}.png"
    assert main(["map", str(vectors_file), "-o", str(out), "--method", method, "--top", "30",
                 "--perplexity", "5"]) == 0
    assert png_size(out) == expected_pixels(MAP_SIZE, MAP_DPI)
    assert "30 words by" in capsys.readouterr().err

    words, vectors = two_clusters()
    (fig,) = drawn
    (ax,) = fig.axes
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    assert [t.get_text() for t in labels] == words[:30]
    expected = pca(vectors[:30]).coords if method == "pca" else tsne(vectors[:30], perplexity=5, seed=1)
    np.testing.assert_allclose(np.array([t.xy for t in labels]), expected, rtol=1e-6, atol=1e-9)
    assert np.array_equal(ax.collections[0].get_offsets(), expected)  # the points, too
    renderer = fig.canvas.get_renderer()
    boxes = np.array([t.get_window_extent(renderer).extents for t in labels])  # x0, y0, x1, y1
    for i in range(len(boxes)):
        w = np.minimum(boxes[i, 2], boxes[i + 1:, 2]) - np.maximum(boxes[i, 0], boxes[i + 1:, 0])
        h = np.minimum(boxes[i, 3], boxes[i + 1:, 3]) - np.maximum(boxes[i, 1], boxes[i + 1:, 1])
        overlapping = np.flatnonzero((w > 0) & (h > 0))
        assert not len(overlapping), (words[i], [words[i + 1 + j] for j in overlapping])


def test_map_of_chosen_words_skips_unknown_ones_with_a_warning(tmp_path, vectors_file, capsys):
    out = tmp_path / "map.png"
    assert main(["map", str(vectors_file), "-o", str(out), "--words", "a0,a1, b0 b1,nope,a0", "-q"]) == 0
    png_size(out)
    assert capsys.readouterr().err.strip() == "fastw2v: warning: not in the vectors, skipped: nope"
    wv = WordVectors(*two_clusters())
    drawn = word_map(wv, parse_words("a0,a1, b0 b1,nope,a0"))
    assert drawn.words == ["a0", "a1", "b0", "b1"] and drawn.missing == ["nope"]
    assert drawn.coords.shape == (4, 2)


@pytest.mark.parametrize("args, message", [
    (["--words", "a0,nope,nada"], "not found: nope, nada"),
    (["--words", "a0", "--top", "5"], "not both"),
    (["--top", "1"], "--top must be from 2 to 5000"),
    (["--top", "5001"], "export-projector suits more"),
    (["--words", " , "], "--words lists no words"),
    (["--method", "tsne", "--seed", "-1"], "seed must be 0 or more"),
    (["--method", "umap"], "use pca or tsne"),
    (["--method", "tsne", "--words", "a0,a1,b0"], "t-SNE needs at least 5 words"),
])
def test_map_bad_requests_are_one_error_line(tmp_path, vectors_file, capsys, args, message):
    out = tmp_path / "map.png"
    assert main(["map", str(vectors_file), "-o", str(out), *args]) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


def test_pca_recovers_a_dominant_direction():
    rng = np.random.default_rng(1)
    direction = rng.standard_normal(30)
    direction /= np.linalg.norm(direction)
    t = rng.uniform(-5, 5, size=200)
    x = 3.0 + t[:, None] * direction + 0.05 * rng.standard_normal((200, 30))
    result = pca(x, normalise=False)
    assert abs(result.components[0] @ direction) > 0.999
    assert result.explained[0] > 0.95
    assert abs(np.corrcoef(result.coords[:, 0], t)[0, 1]) > 0.999
    np.testing.assert_allclose(np.linalg.norm(result.components, axis=1), 1.0, rtol=1e-9)
    # With unit rows (the default): two groups pointing at +d and -d differ along PC1 only.
    groups = np.vstack([direction + 0.05 * rng.standard_normal((50, 30)),
                        -direction + 0.05 * rng.standard_normal((50, 30))])
    unit = pca(groups)
    assert abs(unit.components[0] @ direction) > 0.99
    assert np.all(np.sign(unit.coords[:50, 0]) == -np.sign(unit.coords[50:, 0]))
    # The sign of each axis is fixed: scaling rows does not flip the picture.
    np.testing.assert_allclose(pca(groups * 7).coords, unit.coords, atol=1e-9)


def test_tsne_keeps_two_clusters_apart():
    words, x = two_clusters(n_per=25, dim=20, seed=3)
    y = tsne(x, perplexity=10, seed=7)
    assert y.shape == (50, 2) and np.all(np.isfinite(y))
    a, b = y[:25], y[25:]
    d = np.linalg.norm(y[:, None] - y[None, :], axis=2)
    within = max(d[:25, :25].max(), d[25:, 25:].max())
    between = d[:25, 25:].min()
    assert between > within, (between, within)
    assert np.linalg.norm(a.mean(0) - b.mean(0)) > 2 * max(a.std(0).max(), b.std(0).max())
    np.testing.assert_array_equal(tsne(x, perplexity=10, seed=7), y)  # the seed fixes the map


def test_tsne_affinities_have_the_perplexity_asked_for():
    x = np.random.default_rng(5).standard_normal((60, 8))
    p = conditional_probabilities(squared_distances(x), 12.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.all(np.diag(p) == 0)
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), axis=1)
    np.testing.assert_allclose(np.exp(entropy), 12.0, rtol=1e-3)


def test_tsne_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    n = 8
    p = rng.uniform(0.1, 1, size=(n, n))
    p = p + p.T
    np.fill_diagonal(p, 0)
    p /= p.sum()
    y = rng.standard_normal((n, 2))

    def kl(y):
        k = 1 / (1 + squared_distances(y))
        np.fill_diagonal(k, 0)
        q = k / k.sum()
        off = ~np.eye(n, dtype=bool)
        return float(np.sum(p[off] * np.log(p[off] / q[off])))

    numeric = np.zeros_like(y)
    h = 1e-6
    for i in range(n):
        for c in range(2):
            step = np.zeros_like(y)
            step[i, c] = h
            numeric[i, c] = (kl(y + step) - kl(y - step)) / (2 * h)
    np.testing.assert_allclose(_kl_gradient(p, y), numeric, atol=1e-7)


def test_method_names():
    assert check_projection_method("PCA") == "pca" and check_projection_method("t-SNE") == "tsne"
    with pytest.raises(FastW2VError):
        check_projection_method("umap")


# ---------------------------------------------------------------- fastw2v export-projector
def read_projector(directory: Path) -> tuple[list[str], list[list[str]]]:
    vectors_text = (directory / "vectors.tsv").read_text(encoding="utf-8")
    metadata_text = (directory / "metadata.tsv").read_text(encoding="utf-8")
    assert vectors_text.endswith("\n") and metadata_text.endswith("\n")
    return metadata_text.split("\n")[:-1], [line.split("\t") for line in vectors_text.split("\n")[:-1]]


def test_export_projector_files(tmp_path, capsys):
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(50)] + ["naïve", "x-y"]
    vectors = (rng.standard_normal((52, 7)) * 10.0 ** rng.integers(-6, 4, size=(52, 7))).astype(np.float32)
    vectors[0, 0] = 0.0
    vectors[1, 1] = -1e-30
    source = tmp_path / "v.txt"
    save_word2vec(source, words, vectors)
    out = tmp_path / "new" / "projector"  # created, parents too
    assert main(["export-projector", str(source), str(out)]) == 0
    assert "52 words, 7 dimensions" in capsys.readouterr().err
    names, rows = read_projector(out)
    assert names == words  # one word per line, no header
    assert len(rows) == len(names)
    assert all(len(row) == 7 for row in rows)
    back = np.array([[float(v) for v in row] for row in rows], dtype=np.float32)
    np.testing.assert_array_equal(back, vectors)  # float32 round trip, bit for bit
    assert sorted(p.name for p in out.iterdir()) == ["metadata.tsv", "vectors.tsv"]

    assert main(["export-projector", str(source), str(out), "--top", "10", "-q"]) == 0
    names, rows = read_projector(out)
    assert names == words[:10] and len(rows) == 10
    np.testing.assert_array_equal(np.array(rows, dtype=np.float64).astype(np.float32), vectors[:10])


def test_export_projector_guards_words_and_arguments(tmp_path, capsys):
    words = ["plain", "tab\there", "new\nline", "cr\rword"]
    vectors = np.arange(8, dtype=np.float32).reshape(4, 2)
    vectors_path, metadata_path = export_projector(words, vectors, tmp_path / "p")
    assert metadata_path.read_text().split("\n")[:-1] == ["plain", "tab here", "new line", "cr word"]
    assert vectors_path.read_text() == "0\t1\n2\t3\n4\t5\n6\t7\n"
    # DIR is a file, --top 0, a missing vectors file: one error line, nothing written.
    source = tmp_path / "v.txt"
    save_word2vec(source, ["a", "b"], vectors[:2])
    a_file = tmp_path / "file"
    a_file.write_text("keep")
    assert main(["export-projector", str(source), str(a_file)]) == 2
    assert "not a directory" in one_error_line(capsys)
    assert a_file.read_text() == "keep"
    assert main(["export-projector", str(source), str(tmp_path / "q"), "--top", "0"]) == 2
    assert "--top must be 1 or more" in one_error_line(capsys)
    assert main(["export-projector", str(tmp_path / "none.txt"), str(tmp_path / "r")]) == 2
    assert "not found" in one_error_line(capsys)
    assert not (tmp_path / "q").exists() and not (tmp_path / "r").exists()
