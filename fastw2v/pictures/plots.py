"""Pictures of training and of vectors: learning curves from a training log, word maps.

- :func:`read_training_log` reads the JSON-lines log the trainer writes: one
  object per line; lines with ``"event": "epoch"`` carry ``epoch`` (1-based),
  ``epochs`` (planned), ``words``, ``seconds``, ``words_per_second``,
  ``alpha``, ``loss_per_word`` (or null) and optionally ``scores`` (name ->
  value). Other events are skipped (``"start"`` lends its ``options`` to the
  title). A log that holds several runs, one appended after another, is
  drawn for its last run: a run starts at a ``start`` line, unless that line
  says ``"resumed": true`` (then the run goes on from the line's ``epoch``,
  replacing epochs logged from there on), or where the epoch number goes back.
- :func:`plot_training_log` draws loss per word and the scores per epoch, side
  by side; a panel with nothing to draw says so.
- :func:`plot_word_map` draws chosen words (``words``, or the ``top`` first
  words of the file, i.e. the most frequent) projected to 2-D by PCA or t-SNE
  (:mod:`fastw2v.pictures.projection`), each point labelled. Words of ``words`` that are
  not in the vectors are skipped and returned in ``missing``; fewer than two
  known words is an error.

matplotlib is imported only here, inside the functions, and is used through its
object interface with the Agg canvas (no pyplot, no global backend switch, no
display needed). Figures are written atomically: PNG, SVG or PDF, by the
output's suffix.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import FastW2VError, OptionError
from ..files import atomic_write, check_output_path
from .projection import check_projection_method, pca, tsne

FORMATS = ("png", "svg", "pdf")
CURVES_SIZE = (11.0, 4.5)   # inches, two panels side by side
CURVES_DPI = 100            # so a PNG is 1100 x 450 pixels
MAP_SIZE = (11.0, 9.0)
MAP_DPI = 120               # 1320 x 1080 pixels
DEFAULT_TOP = 100
MAP_MAX_WORDS = 5000        # beyond this a labelled map is unreadable (and t-SNE too slow)


# ---------------------------------------------------------------- figures in general
def _matplotlib():
    """(Figure, FigureCanvasAgg, MaxNLocator), or a FastW2VError saying how to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise FastW2VError("drawing needs matplotlib: pip install 'fastw2v[plot]'") from None
    return Figure, FigureCanvasAgg, MaxNLocator


def new_figure(size: tuple[float, float], dpi: int, ncols: int = 1):
    """A figure on an Agg canvas and its ``ncols`` axes (constrained layout)."""
    Figure, FigureCanvasAgg, _ = _matplotlib()
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def check_figure_path(path: str | os.PathLike) -> Path:
    """The output path, checked: a writable place and a .png, .svg or .pdf name."""
    path = check_output_path(path)
    if path.suffix.lower().lstrip(".") not in FORMATS:
        raise FastW2VError(f"cannot tell the image format from {path.name!r}: "
                           f"name it .png, .svg or .pdf")
    return path


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names."""
    path = check_figure_path(path)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format=path.suffix.lower().lstrip("."), dpi=fig.dpi)
    return path


def _say_empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            fontsize=11, color="0.4", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("0.85")


# ---------------------------------------------------------------- training curves
@dataclass
class LoggedRun:
    """What a training log (JSON lines, see fastw2v.training.log) holds about its last run."""

    path: Path
    epochs: list[dict] = field(default_factory=list)  # the epoch lines of the last run, in order
    options: dict = field(default_factory=dict)       # the last run's start options, if logged
    runs: int = 1                                      # runs found in the file

    @property
    def planned(self) -> int | None:
        planned = self.epochs[-1].get("epochs") if self.epochs else None
        return planned if isinstance(planned, int) and planned > 0 else None

    def losses(self) -> tuple[list[int], list[float]]:
        pairs = [(e["epoch"], e.get("loss_per_word")) for e in self.epochs]
        pairs = [(x, float(v)) for x, v in pairs if _is_number(v)]
        return [x for x, _ in pairs], [v for _, v in pairs]

    def scores(self) -> dict[str, tuple[list[int], list[float]]]:
        """Per score name, the epochs that report it and its values, in first-seen order."""
        out: dict[str, tuple[list[int], list[float]]] = {}
        for e in self.epochs:
            scores = e.get("scores")
            if not isinstance(scores, dict):
                continue
            for name, value in scores.items():
                if _is_number(value):
                    xs, ys = out.setdefault(str(name), ([], []))
                    xs.append(e["epoch"])
                    ys.append(float(value))
        return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_training_log(path: str | os.PathLike) -> LoggedRun:
    """The epoch lines (of the last run) of a JSON-lines training log."""
    path = Path(path)
    if not path.exists():
        raise FastW2VError(f"training log not found: {path}")
    if path.is_dir():
        raise FastW2VError(f"training log path is a directory: {path}")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as exc:
        raise FastW2VError(f"cannot read training log {path}: {exc.strerror or exc}") from None
    log = LoggedRun(path)
    runs: list[tuple[dict, list[dict]]] = [({}, [])]
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise FastW2VError(f"{path}:{lineno}: not JSON; a training log has one JSON object "
                               f"per line") from None
        if not isinstance(record, dict):
            raise FastW2VError(f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}")
        event = record.get("event")
        options, epochs = runs[-1]
        if event == "start":
            options = record.get("options") if isinstance(record.get("options"), dict) else {}
            first = record.get("epoch")
            if record.get("resumed") is True and isinstance(first, int):
                # The same run goes on from epoch ``first``: drop any epochs logged
                # from there on (a resume from an earlier checkpoint redoes them).
                runs[-1] = (options, [e for e in epochs if e["epoch"] < first])
            else:
                runs.append((options, []))
        elif event == "epoch":
            epoch = record.get("epoch")
            if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
                raise FastW2VError(f"{path}:{lineno}: epoch line without a positive integer 'epoch'")
            if epochs and epoch <= epochs[-1]["epoch"]:  # a new run without a start line
                runs.append(({}, []))
            runs[-1][1].append(record)
    runs = [run for run in runs if run[1]]
    if not runs:
        raise FastW2VError(f"{path}: no epoch lines (\"event\": \"epoch\") in this training log")
    log.options, log.epochs = runs[-1]
    log.runs = len(runs)
    return log


def draw_training_log(log: LoggedRun):
    """A figure: loss per word by epoch (left) and every score by epoch (right)."""
    _, _, MaxNLocator = _matplotlib()
    fig, (loss_ax, score_ax) = new_figure(CURVES_SIZE, CURVES_DPI, ncols=2)
    last = log.epochs[-1]["epoch"]
    right = max(last, log.planned or last)
    xs, losses = log.losses()
    if xs:
        loss_ax.plot(xs, losses, "o-", color="tab:red", linewidth=2, markersize=5)
        loss_ax.set_ylabel("loss per word")
    else:
        _say_empty(loss_ax, "no loss in this log\n(loss_per_word is null or missing)")
    scores = log.scores()
    if scores:
        for name, (sx, sy) in scores.items():
            score_ax.plot(sx, sy, "o-", linewidth=2, markersize=5, label=name)
        score_ax.set_ylabel("score")
        score_ax.legend(loc="best", fontsize=9, frameon=False)
    else:
        _say_empty(score_ax, "no evaluation scores in this log")
    for ax, title, has_data in ((loss_ax, "training loss", bool(xs)), (score_ax, "evaluation", bool(scores))):
        ax.set_title(title, fontsize=11)
        if has_data:
            ax.set_xlabel("epoch")
            ax.set_xlim(0.7, right + 0.3)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(True, alpha=0.3)
    fig.suptitle(_curves_title(log), fontsize=12)
    return fig


def _curves_title(log: LoggedRun) -> str:
    last = log.epochs[-1]
    done = f"{last['epoch']} of {log.planned} epochs" if log.planned else f"{last['epoch']} epochs"
    parts = [f"{log.path.name}: {done}"]
    if _is_number(last.get("words")):
        parts.append(f"{last['words']:,.0f} words")
    if _is_number(last.get("seconds")):
        parts.append(f"{last['seconds']:.1f} s")
    described = [f"{k} {log.options[k]}" for k in ("model", "dim", "window", "negative")
                 if isinstance(log.options.get(k), (str, int, float))]
    if described:
        parts.append(", ".join(described))
    return "  |  ".join(parts)


def plot_training_log(log_path: str | os.PathLike, output: str | os.PathLike) -> LoggedRun:
    """Read the training log at ``log_path`` and draw its curves to ``output``."""
    check_figure_path(output)
    log = read_training_log(log_path)
    save_figure(draw_training_log(log), output)
    return log


# ---------------------------------------------------------------- word maps
@dataclass
class WordMap:
    words: list[str]        # the words drawn, in the order chosen
    coords: np.ndarray      # (n, 2) their positions
    method: str             # "pca" or "tsne"
    missing: list[str]      # words asked for that are not in the vectors (skipped)
    explained: np.ndarray | None = None  # PCA: fraction of the variance on each axis


def parse_words(text: str) -> list[str]:
    """Words from ``"a,b c"`` (commas and/or whitespace), without repeats, in order."""
    return list(dict.fromkeys(w for w in text.replace(",", " ").split() if w))


def select_words(wv, words: Sequence[str] | None = None,
                 top: int | None = None) -> tuple[list[str], list[str]]:
    """``(known, missing)``: the words of ``words`` found in ``wv`` and the others, or the
    ``top`` first words of ``wv`` (default :data:`DEFAULT_TOP`)."""
    if words is not None:
        if top is not None:
            raise FastW2VError("give either {words} or {top}, not both", fields=("words", "top"))
        words = list(dict.fromkeys(words))
        if not words:
            raise OptionError("words", "lists no words")
        known = [w for w in words if w in wv]
        missing = [w for w in words if w not in wv]
        if len(known) > MAP_MAX_WORDS:
            raise FastW2VError(f"a map shows at most {MAP_MAX_WORDS} words (got {len(known)}); "
                               f"export-projector suits more")
        if len(known) < 2:
            shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
            raise FastW2VError(f"a map needs at least 2 words in the vectors; "
                               f"{len(known)} of {len(words)} found (not found: {shown})")
        return known, missing
    top = DEFAULT_TOP if top is None else top
    if not 2 <= top <= MAP_MAX_WORDS:
        raise OptionError("top", f"must be from 2 to {MAP_MAX_WORDS} (got {top}); "
                          "export-projector suits more words")
    if len(wv.words) < 2:
        raise FastW2VError(f"a map needs at least 2 words; the vectors hold {len(wv.words)}")
    return list(wv.words[:top]), []


def word_map(wv, words: Sequence[str] | None = None, top: int | None = None, method: str = "pca",
             *, perplexity: float = 30.0, seed: int = 1) -> WordMap:
    """Choose words from ``wv`` (a :class:`fastw2v.vectors.query.WordVectors`) and project them to 2-D."""
    method = check_projection_method(method)
    known, missing = select_words(wv, words, top)
    x = wv.vectors[[wv.index[w] for w in known]]
    if method == "pca":
        result = pca(x)
        return WordMap(known, result.coords, method, missing, result.explained)
    return WordMap(known, tsne(x, perplexity=perplexity, seed=seed), method, missing)


def draw_word_map(wmap: WordMap, title: str):
    """A labelled scatter of a :class:`WordMap`; font size shrinks as words grow many."""
    fig, (ax,) = new_figure(MAP_SIZE, MAP_DPI)
    n = len(wmap.words)
    x, y = wmap.coords[:, 0], wmap.coords[:, 1]
    ax.scatter(x, y, s=16 if n <= 200 else 8, color="tab:blue", alpha=0.8, linewidths=0, zorder=2)
    fontsize = 11 if n <= 40 else 9 if n <= 120 else 7 if n <= 300 else 5
    # Room around the outermost points for their labels.
    xr = (x.max() - x.min()) or 1.0
    yr = (y.max() - y.min()) or 1.0
    ax.set_xlim(x.min() - 0.1 * xr, x.max() + 0.1 * xr)
    ax.set_ylim(y.min() - 0.05 * yr, y.max() + 0.05 * yr)
    if wmap.method == "pca" and wmap.explained is not None:
        ax.set_xlabel(f"PC1 ({100 * wmap.explained[0]:.1f}% of variance)")
        ax.set_ylabel(f"PC2 ({100 * wmap.explained[1]:.1f}% of variance)")
        ax.grid(True, alpha=0.25)
    else:  # t-SNE axes have no meaning, only neighbourhoods do
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_title(title, fontsize=12)
    fig.canvas.draw()  # run the layout, so that data-to-pixel positions are final
    _label_points(ax, wmap.words, wmap.coords, fontsize)
    return fig


_PLACED_LABELS_MAX = 2000
# Label positions tried, in order: (dx, dy) in points from the point, and the alignment.
_LABEL_SPOTS = ((4, 3, "left", "bottom"), (-4, 3, "right", "bottom"), (4, -3, "left", "top"),
                (-4, -3, "right", "top"), (5, 0, "left", "center"), (-5, 0, "right", "center"),
                (0, 6, "center", "bottom"), (0, -6, "center", "top"))


def _label_points(ax, words: Sequence[str], coords: np.ndarray, fontsize: float) -> None:
    """Label each point beside it, at the first of a few spots where the label covers no
    other label and no point and stays in the axes (or, failing that, the spot that
    covers least).

    Label sizes are estimated from the font size (0.6 em per character), which is
    close enough for Latin text and costs no rendering. The search costs n^2; past
    :data:`_PLACED_LABELS_MAX` words (unreadable anyway) every label goes up and right.
    """
    scale = ax.figure.dpi / 72  # pixels per point
    pixels = ax.transData.transform(coords)
    r = 2.5 * scale  # half the side of the square a point occupies
    points = np.column_stack([pixels - r, pixels + r])  # x0, y0, x1, y1
    boxes = np.empty((len(words), 4))
    height = 1.15 * fontsize * scale
    frame = ax.bbox.extents  # the axes in pixels: a label should stay inside
    search = len(words) <= _PLACED_LABELS_MAX
    for i, (word, (px, py), xy) in enumerate(zip(words, pixels, coords)):
        width = 0.6 * fontsize * len(word) * scale
        best, best_cost = _LABEL_SPOTS[0], np.inf
        for spot in _LABEL_SPOTS if search else ():
            dx, dy, ha, va = spot
            x0 = px + dx * scale - {"left": 0, "right": width, "center": width / 2}[ha]
            y0 = py + dy * scale - {"bottom": 0, "top": height, "center": height / 2}[va]
            box = np.array([x0, y0, x0 + width, y0 + height])
            outside = width * height - _overlap(box, frame[None, :])
            cost = _overlap(box, boxes[:i]) + _overlap(box, points) + outside
            if cost < best_cost:
                best, best_cost, best_box = spot, cost, box
            if cost < 1e-6:  # free (up to rounding)
                break
        if search:
            boxes[i] = best_box
        dx, dy, ha, va = best
        ax.annotate(word, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=fontsize, color="0.1",
                    zorder=3, annotation_clip=False).set_in_layout(False)


def _overlap(box: np.ndarray, others: np.ndarray) -> float:
    """Total area of ``box`` covered by the ``others`` boxes (x0, y0, x1, y1 rows)."""
    if not len(others):
        return 0.0
    w = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    h = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))


def plot_word_map(wv, output: str | os.PathLike, words: Sequence[str] | None = None,
                  top: int | None = None, method: str = "pca", *, perplexity: float = 30.0,
                  seed: int = 1, source: str | None = None) -> WordMap:
    """Project words of ``wv`` with ``method`` and draw them to ``output``; ``source`` names
    the vectors in the title."""
    check_figure_path(output)
    wmap = word_map(wv, words, top, method, perplexity=perplexity, seed=seed)
    if wmap.method == "pca":
        name = "PCA"
    else:
        used = min(perplexity, (len(wmap.words) - 1) / 3)  # as tsne() clamps it
        name = f"t-SNE (perplexity {used:.3g}, seed {seed})"
    title = f"{name} of {len(wmap.words)} words" + (f" from {source}" if source else "")
    save_figure(draw_word_map(wmap, title), output)
    return wmap
