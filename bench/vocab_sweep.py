"""Training speed against vocabulary size: words/s of fastw2v and gensim on Zipf corpora.

Every speed figure on gutenberg_100M comes from one model size (43k words, 35 MB at
dim 100), which nearly fits in the cache. This sweep varies the model size on its
own: for each number of word types it writes a seeded Zipf–Mandelbrot corpus
(:mod:`bench.zipf_corpus`, the same token count for every size), and runs
``python -m bench run`` on it at each dimension with ``--min-count 1`` (every word
seen is in the vocabulary), the tools interleaved, quality not scored (the corpus
has no meaning to score)::

    python -m bench.vocab_sweep --out /tmp/sweep
    python -m bench.vocab_sweep --types 10000,100000,1000000,2000000 --tokens 20000000 \\
        --dims 100,300 --tools fastw2v,gensim-file --repeat 2 --threads 2 --out /tmp/sweep --save-results

It writes ``OUT/results.md`` (one table: types, vocabulary, model size, each
tool's words/s and gensim's time over fastw2v's), ``OUT/results.json`` and
``OUT/words_per_s.png`` (words/s against vocabulary size, log-log, one line per
tool and dimension); ``--save-results`` copies them to
``bench/results/DATE_zipf_vocab_sweep.*``. Each point's own report stays in
``OUT/t<types>_d<dim>/``. words/s is the bench's: in-vocabulary tokens x epochs
over the median end-to-end wall time of the tool's process.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

from . import REPO_DIR
from .sweep import bench_run, machine_line, positive_ints, save_results, write_reports

DEFAULT_TYPES = "10000,100000,500000,1000000,2000000"


def model_mb(vocab: int, dim: int) -> float:
    """Both layers of a skip-gram model with negative sampling, float32, in MB."""
    return 2 * vocab * dim * 4 / 1e6


def point(result: dict, types: int, dim: int) -> dict:
    """One (types, dim) point from a ``bench run`` report: vocabulary and each tool's speed."""
    c = result["corpus"]
    tools = {name: {"words_per_s": t.get("words_per_s"), "median_wall_s": t.get("median_wall_s"),
                    "ratio_to_fastw2v": t.get("ratio_to_fastw2v"), "peak_rss_mb": t.get("peak_rss_mb")}
             for name, t in result["tools"].items()}
    return {"types": types, "dim": dim, "vocab_size": c["vocab_size"], "tokens": c["tokens"],
            "in_vocab_words": c["in_vocab_words"], "model_mb": round(model_mb(c["vocab_size"], dim), 1),
            "tools": tools}


def table(points: list[dict], tools: list[str]) -> list[str]:
    """The Markdown table: one row per point, words/s of each tool, and each peer's time
    ratio to fastw2v (its wall time over fastw2v's, median over the repeats)."""
    peers = [t for t in tools if t != "fastw2v"]
    head = ["dim", "types", "vocabulary", "model MB"] + [f"{t} words/s" for t in tools] \
        + ([f"{t} / fastw2v time" for t in peers] if "fastw2v" in tools else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "--:|" * len(head)]
    for p in sorted(points, key=lambda p: (p["dim"], p["types"])):
        row = [str(p["dim"]), f"{p['types']:,}", f"{p['vocab_size']:,}", f"{p['model_mb']:,.0f}"]
        for t in tools:
            w = p["tools"].get(t, {}).get("words_per_s")
            row.append(f"{w / 1e6:.2f}M" if w else "-")
        if "fastw2v" in tools:
            for t in peers:
                r = p["tools"].get(t, {}).get("ratio_to_fastw2v")
                row.append(f"{r:.2f}" if r else "-")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def plot(points: list[dict], tools: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for dim in sorted({p["dim"] for p in points}):
        for tool, style in zip(tools, ("-o", "--s", ":^", "-.v")):
            pts = sorted((p["vocab_size"], p["tools"][tool]["words_per_s"]) for p in points
                         if p["dim"] == dim and p["tools"].get(tool, {}).get("words_per_s"))
            if pts:
                ax.plot([x for x, _ in pts], [y / 1e6 for _, y in pts], style, label=f"{tool}, dim {dim}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("vocabulary (words, min-count 1)")
    ax.set_ylabel("million words/s, end to end")
    ax.set_title("Skip-gram speed against vocabulary size (Zipf corpora)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.vocab_sweep", description=__doc__.split("\n")[0])
    p.add_argument("--types", type=positive_ints, default=positive_ints(DEFAULT_TYPES),
                   help=f"word types of each corpus [default: {DEFAULT_TYPES}]")
    p.add_argument("--tokens", type=int, default=20_000_000, help="tokens of each corpus [default: 20,000,000]")
    p.add_argument("--dims", type=positive_ints, default=[100, 300], help="dimensions [default: 100,300]")
    p.add_argument("--tools", default="fastw2v,gensim-file", help="tools [default: fastw2v,gensim-file]")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg")
    p.add_argument("--repeat", type=int, default=1, help="interleaved repeats per point [default: 1]")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="threads for every tool [default: all CPUs]")
    p.add_argument("--seed", type=int, default=1, help="seed of the corpora and of the training")
    p.add_argument("--out", type=Path, required=True, help="output folder (corpora, runs, reports)")
    p.add_argument("--save-results", action="store_true",
                   help="also copy the reports to bench/results/DATE_zipf_vocab_sweep.*")
    o = p.parse_args(argv)
    if o.tokens < 1 or o.repeat < 1 or o.epochs < 1:
        p.error("--tokens, --repeat and --epochs must be positive")
    tools = [t.strip() for t in o.tools.split(",") if t.strip()]
    o.out.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    command = "python -m bench.vocab_sweep " + " ".join(sys.argv[1:] if argv is None else argv)
    points: list[dict] = []
    paths: list[Path] = []
    for types in o.types:
        corpus = o.out / "corpora" / f"zipf_{types}_{o.tokens}_s{o.seed}.txt"
        if not corpus.exists():
            corpus.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "bench.zipf_corpus", "--types", str(types), "--tokens",
                            str(o.tokens), "--seed", str(o.seed), "--out", str(corpus)], check=True, cwd=REPO_DIR)
        for dim in o.dims:
            out = o.out / f"t{types}_d{dim}"
            args = ["--tools", ",".join(tools), "--model", o.model, "--dim", str(dim), "--min-count", "1",
                    "--epochs", str(o.epochs), "--repeat", str(o.repeat), "--seed", str(o.seed), "--no-eval"]
            if o.threads:
                args += ["--threads", str(o.threads)]
            print(f"vocab_sweep: {types:,} types, dim {dim}", file=sys.stderr, flush=True)
            result = bench_run(corpus, out, args, first=not points, prepared=o.out / "prepared" / f"t{types}")
            points.append(point(result, types, dim))
            paths = reports(o, tools, points, started, command)  # after every point: a cut-short sweep keeps them
    if o.save_results:
        save_results(paths, started, "zipf_vocab_sweep", "vocab_sweep")
    return 0


def reports(o, tools: list[str], points: list[dict], started: str, command: str) -> list[Path]:
    from .machine import machine_facts

    m = machine_facts()
    result = {"kind": "vocab_sweep", "date": started, "command": command, "tools": tools,
              "settings": {"model": o.model, "epochs": o.epochs, "repeat": o.repeat, "threads": o.threads,
                           "seed": o.seed, "tokens": o.tokens, "min_count": 1},
              "machine": m, "points": points}
    return write_reports(o.out, result, lambda path: plot(points, tools, path), "words_per_s.png", [
        f"# Skip-gram speed against vocabulary size, {started[:10]}" if o.model == "sg"
        else f"# CBOW speed against vocabulary size, {started[:10]}",
        "",
        f"Command: `{command}`",
        "",
        f"- Corpora: `python -m bench.zipf_corpus --types N --tokens {o.tokens} --seed {o.seed}` "
        "(Zipf–Mandelbrot, s 1.07, q 2.7; tokens drawn independently: only speed is meaningful).",
        f"- Each point: `python -m bench run --min-count 1 --no-eval --repeat {o.repeat}` on that corpus, "
        "the tools interleaved; other settings fastw2v's defaults (window 5, negative 5, sample 1e-3), "
        f"{o.epochs} epoch(s). Vocabulary = every word seen; model MB = both layers, float32.",
        "- words/s = in-vocabulary tokens x epochs / median end-to-end wall time of the tool's process.",
        machine_line(m),
        "",
        *table(points, tools),
        "",
        "![words/s against vocabulary size](words_per_s.png)",
        "",
    ])


if __name__ == "__main__":
    sys.exit(run())
