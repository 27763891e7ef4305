"""Quality per second: each tool's scores against its wall time, from 1 to N epochs.

A user with a fixed budget of time wants to know what it buys with each tool: a
slower trainer can run fewer epochs in the same time. For each epoch count this
runs ``python -m bench run --epochs E`` on one corpus (the tools interleaved, every
tool's vectors scored), then puts the points side by side::

    python -m bench.time_budget --out /tmp/budget
    python -m bench.time_budget --corpus ../shared/data/corpora/gutenberg_100M.txt.xz \\
        --epochs 1,2,3,4,5 --tools fastw2v,gensim-file,fasttext --threads 2 --out /tmp/budget --save-results

It writes ``OUT/results.md`` (every tool's wall time and scores at each epoch count,
and what each tool reaches within the wall time of each run),
``OUT/results.json`` and ``OUT/quality_per_second.png`` (analogies, WordSim-353
and SimLex-999 against wall time, one line per tool); ``--save-results`` copies
them to ``bench/results/DATE_<corpus>_<model>_time_budget.*``. Each epoch
count's own report stays in ``OUT/e<E>/``. Wall time is the bench's: the median
end-to-end time of the tool's process over the repeats; the scores are those of
the bench report (the last repeat's vectors, or the mean over all repeats with
``--eval-repeats all``).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from .report import fmt_num, fmt_rate
from .sweep import bench_run, machine_line, positive_ints, save_results, write_reports

SCORES = (("analogy", "analogies %"), ("ws353", "WordSim-353"), ("simlex", "SimLex-999"))


def scores_of(tool: dict) -> dict:
    """A bench report's tool entry -> {analogy, syntactic, ws353, simlex} (None when not scored)."""
    q = tool.get("quality") or {}
    analogy = q.get("analogy") or {}
    return {"analogy": analogy.get("total"), "syntactic": analogy.get("syntactic"),
            "ws353": (q.get("ws353") or {}).get("spearman"), "simlex": (q.get("simlex") or {}).get("spearman")}


def point(result: dict, epochs: int) -> dict:
    """One epoch count from a ``bench run`` report: each tool's wall time and scores."""
    return {"epochs": epochs,
            "tools": {name: {"median_wall_s": t.get("median_wall_s"), "words_per_s": t.get("words_per_s"),
                             **scores_of(t)}
                      for name, t in result["tools"].items() if t.get("ok_runs")}}


def curve(points: list[dict], tool: str) -> list[dict]:
    """``tool``'s points in order of epochs: {epochs, wall, scores...}."""
    return [{"epochs": p["epochs"], **p["tools"][tool]} for p in sorted(points, key=lambda p: p["epochs"])
            if tool in p["tools"] and p["tools"][tool]["median_wall_s"]]


def best_within(points: list[dict], tool: str, seconds: float, score: str) -> dict | None:
    """``tool``'s run with the best ``score`` among those that took at most ``seconds``."""
    done = [c for c in curve(points, tool) if c["median_wall_s"] <= seconds and c[score] is not None]
    return max(done, key=lambda c: c[score]) if done else None


def tables(points: list[dict], tools: list[str]) -> list[str]:
    lines = ["| tool | epochs | wall s | words/s | analogies % | syntactic % | WordSim-353 | SimLex-999 |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for tool in tools:
        for c in curve(points, tool):
            lines.append(f"| {tool} | {c['epochs']} | {c['median_wall_s']:.1f} | "
                         f"{fmt_rate(c['words_per_s'])} | {fmt_num(c['analogy'], '.1f')} | "
                         f"{fmt_num(c['syntactic'], '.1f')} | {fmt_num(c['ws353'], '.3f')} | {fmt_num(c['simlex'], '.3f')} |")
    runs = sorted((c["median_wall_s"], c["epochs"], tool) for tool in tools for c in curve(points, tool))
    lines += ["", "Within the wall time of each run: every tool's best analogy score among its runs that "
              "finished in that time, with its epochs (\"-\": none finished).", "",
              "| budget | " + " | ".join(tools) + " |", "|---|" + "--:|" * len(tools)]
    for seconds, epochs, who in runs:
        cells = []
        for tool in tools:
            b = best_within(points, tool, seconds, "analogy")
            cells.append("-" if b is None else f"{b['analogy']:.1f} ({b['epochs']} ep.)")
        lines.append(f"| {seconds:.1f} s ({who}, {epochs} ep.) | " + " | ".join(cells) + " |")
    return lines


def plot(points: list[dict], tools: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, axes = plt.subplots(1, len(SCORES), figsize=(12, 4))
    for ax, (score, label) in zip(axes, SCORES):
        for tool, style in zip(tools, ("-o", "--s", ":^", "-.v", "-D", "--x")):
            c = [p for p in curve(points, tool) if p[score] is not None]
            if not c:
                continue
            ax.plot([p["median_wall_s"] for p in c], [p[score] for p in c], style, label=tool)
            for p in c:
                ax.annotate(str(p["epochs"]), (p["median_wall_s"], p[score]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("wall seconds, end to end (log)")
        ax.set_title(label)
        ax.grid(True, which="both", alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=8)
    fig.suptitle("Quality against training time (numbers: epochs)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def reports(o, tools: list[str], points: list[dict], started: str, command: str,
                  corpus: dict) -> list[Path]:
    from .machine import machine_facts

    m = machine_facts()
    result = {"kind": "time_budget", "date": started, "command": command, "tools": tools, "corpus": corpus,
              "settings": {"model": o.model, "dim": o.dim, "min_count": o.min_count, "threads": o.threads, "repeat": o.repeat,
                           "seed": o.seed, "subwords": o.subwords},
              "machine": m, "points": points}
    return write_reports(o.out, result, lambda path: plot(points, tools, path), "quality_per_second.png", [
        f"# Quality against training time, {corpus['name']}, {o.model}, {started[:10]}",
        "",
        f"Command: `{command}`",
        "",
        f"- Each epoch count E: `python -m bench run --epochs E --repeat {o.repeat}` on the same prepared "
        f"corpus ({corpus['tokens']:,} tokens, {corpus['vocab_size']:,} words), the tools interleaved, "
        f"dim {o.dim}, min-count {o.min_count}, other settings fastw2v's defaults" + (", subwords (minn 3, maxn 6, bucket 2M)"
                                                              if o.subwords else "") + ".",
        "- wall s = median end-to-end wall time of the tool's process; scores from the bench's "
        "evaluator (Google analogies over the 30,000 most frequent words, Spearman's rho).",
        machine_line(m),
        "",
        *tables(points, tools),
        "",
        "![quality against wall time](quality_per_second.png)",
        "",
    ])


def run(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.time_budget", description=__doc__.split("\n")[0])
    p.add_argument("--corpus", type=Path, default=None,
                   help="corpus file [default: the bench's, gutenberg_100M where it exists]")
    p.add_argument("--epochs", type=positive_ints, default=[1, 2, 3, 4, 5],
                   help="epoch counts [default: 1,2,3,4,5]")
    p.add_argument("--tools", default="fastw2v,gensim-file,fasttext",
                   help="tools [default: fastw2v,gensim-file,fasttext]")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--subwords", action="store_true", help="fastText's subword model for every tool")
    p.add_argument("--repeat", type=int, default=1, help="interleaved repeats per epoch count [default: 1]")
    p.add_argument("--eval-repeats", choices=("last", "all"), default="last",
                   help="score the last repeat's vectors, or every repeat's (the mean)")
    p.add_argument("--threads", type=int, default=None, help="threads for every tool [default: all CPUs]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True, help="output folder (runs, reports)")
    p.add_argument("--save-results", action="store_true",
                   help="also copy the reports to bench/results/DATE_<corpus>_<model>_time_budget.*")
    o = p.parse_args(argv)
    if min(o.repeat, o.dim, o.min_count) < 1:
        p.error("--repeat, --dim and --min-count must be positive")
    if o.corpus is not None and not o.corpus.is_file():
        p.error(f"corpus file not found: {o.corpus}")
    tools = [t.strip() for t in o.tools.split(",") if t.strip()]
    o.out.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    command = "python -m bench.time_budget " + " ".join(sys.argv[1:] if argv is None else argv)
    from .__main__ import default_corpus

    corpus = o.corpus or default_corpus()
    points: list[dict] = []
    paths: list[Path] = []
    for epochs in sorted(set(o.epochs)):
        args = ["--tools", ",".join(tools), "--model", o.model, "--dim", str(o.dim), "--min-count", str(o.min_count),
                "--epochs", str(epochs), "--repeat", str(o.repeat), "--seed", str(o.seed),
                "--eval-repeats", o.eval_repeats]
        args += ["--threads", str(o.threads)] if o.threads else []
        args += ["--subwords"] if o.subwords else []
        print(f"time_budget: {epochs} epoch(s)", file=sys.stderr, flush=True)
        result = bench_run(corpus, o.out / f"e{epochs}", args, first=not points, prepared=o.out / "corpus")
        points.append(point(result, epochs))
        c = result["corpus"]
        paths = reports(o, tools, points, started, command,
                        {"name": c["name"], "tokens": c["tokens"], "vocab_size": c["vocab_size"]})
    if o.save_results:
        save_results(paths, started, f"{result['corpus']['name']}_{o.model}"
                     + ("_subwords" if o.subwords else "") + "_time_budget", "time_budget")
    return 0


if __name__ == "__main__":
    sys.exit(run())
