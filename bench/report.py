"""Reports: Markdown table, JSON with every raw figure, PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path


def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def _fmt_s(x):
    if x is None:
        return "-"
    return f"{x:.1f}" if x >= 100 else f"{x:.2f}"


def fmt_num(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


def _q(tool: dict, *keys):
    q = tool.get("quality")
    for k in keys:
        if not isinstance(q, dict):
            return None
        q = q.get(k)
    return q


def command_line(result: dict) -> str:
    cmd = result.get("command") or []
    return " ".join(shlex.quote(c) for c in cmd) if cmd else "(called from Python)"


def _intro(result: dict, title: str) -> list[str]:
    c, s, m = result["corpus"], result["settings"], result["machine"]
    threads = s["threads"] if not isinstance(s["threads"], list) else ",".join(map(str, s["threads"]))
    lines = [f"# {title}: {c['name']} ({s['model']}), {result['date'][:10]}", ""]
    if result.get("note"):
        lines += [f"> {result['note']}", ""]
    lines += [
        f"Command: `{command_line(result)}`",
        "",
        f"- Corpus: `{c['source']}`, prepared once into one plain-text file every tool reads: "
        f"{c['tokens']:,} tokens, {c['distinct']:,} distinct words, {c['lines']:,} lines of at most "
        f"{c['wrap']} tokens. With min_count {c['min_count']}: {c['vocab_size']:,} words in the "
        f"vocabulary, **{c['in_vocab_words']:,} in-vocabulary words** (W)."
        + (f" {c['long_tokens']:,} tokens are longer than word2vec.c's 99-byte word limit."
           if c.get("long_tokens") else ""),
        f"- Settings (all tools): {s['model']}, dim {s['dim']}, window {s['window']}, negative "
        f"{s['negative']}, sample {s['sample']:g}, min_count {s['min_count']}, epochs {s['epochs']}, "
        f"alpha {s['alpha']:g} (min_alpha {s['min_alpha']:g}), threads {threads}, seed {s['seed']}; "
        f"{result['repeat']} repeat(s), tools interleaved within each repeat.",
    ]
    sw = result.get("subwords")
    if sw:
        lines.append(
            f"- Subwords: every word plus its character n-grams of {sw['minn']} to {sw['maxn']} characters "
            f"(of `<word>`), hashed into {sw['bucket']:,} buckets (fastText's -minn {sw['minn']} -maxn "
            f"{sw['maxn']} -bucket {sw['bucket']}), for {', '.join(sw['tools']) or 'no tool'}; a word's "
            "vector in the output is the mean of its own row and its n-gram rows."
            + (f" Without subwords (plain word2vec, for reference): {', '.join(sw['plain_tools'])}."
               if sw.get("plain_tools") else ""))
    lines += [
        f"- Machine: {m['cpu_model']}, {m['cpu_count']} logical CPUs ({m['cpus_usable']} usable), "
        f"{m['memory_gib']} GiB; {m['platform']}; Python {m['python']}. Load average at start "
        f"{m.get('load_average_at_start')}, at end {result.get('load_average_at_end')}.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + ".",
        "",
    ]
    return lines


def run_markdown(result: dict) -> str:
    tools = result["tools"]
    lines = _intro(result, "fastw2v subword benchmark" if result.get("subwords") else "fastw2v benchmark")
    lines += [
        "| tool | wall s | words/s | time ratio to fastw2v | peak RSS MB | analogy % | semantic % "
        "| syntactic % | WS353 ρ | SimLex ρ |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name in result["order"]:
        t = tools[name]
        if not t["ok_runs"]:
            lines.append(f"| {name} | failed | - | - | - | - | - | - | - | - |")
            continue
        ratio = t["ratio_to_fastw2v"]
        lines.append(
            f"| {name} | {_fmt_s(t['median_wall_s'])} | {fmt_rate(t['words_per_s'])} "
            f"| {fmt_num(ratio, '.2f')} | {fmt_num(t['peak_rss_mb'], '.0f')} "
            f"| {fmt_num(_q(t, 'analogy', 'total'))} | {fmt_num(_q(t, 'analogy', 'semantic'))} "
            f"| {fmt_num(_q(t, 'analogy', 'syntactic'))} | {fmt_num(_q(t, 'ws353', 'spearman'), '.3f')} "
            f"| {fmt_num(_q(t, 'simlex', 'spearman'), '.3f')} |")
    for name, reason in result["skipped"].items():
        lines.append(f"| {name} | skipped | - | - | - | - | - | - | - | - |")
    lines += ["", "Notes:", ""]
    lines.append(f"- wall s: median over repeats of the whole process, end to end. "
                 f"{result['throughput_definition']}.")
    lines.append(f"- {result['ratio_definition']}.")
    lines.append("- peak RSS: largest resident set of the tool's process over the repeats "
                 "(`ru_maxrss` from `wait4`).")
    if result.get("evaluator"):
        first = next((tools[n] for n in result["order"] if tools[n].get("quality")), None)
        qa = first["quality"]["analogy"] if first else None
        lines.append(
            "- Quality (" + ("scored on the last repeat's vectors" if not first or
                             first["quality_from"] == "last repeat" else first["quality_from"]) + "): "
            f"{result['evaluator']}. Analogy accuracy is over the questions whose words are all "
            f"among the 30,000 most frequent"
            + (f" (e.g. {qa['answered']:,} of {qa['questions']:,} for {result['order'][0]})" if qa else "")
            + "; ρ is Spearman's. Per-tool coverage is in the JSON.")
    else:
        lines.append(f"- Quality not scored: {result.get('evaluation_skipped')}.")
    w = result.get("warmup")
    if w:
        fw = tools.get("fastw2v", {})
        if w.get("ok"):
            lines.append(
                "- fastw2v warm-up: one untimed run before the timed ones, "
                + ("with an empty Numba cache (what a first-ever run costs, compiling the kernels "
                   "included)" if w.get("cold_cache") else "with the default Numba cache")
                + f": {_fmt_s(w['wall_s'])} s, against a median of {_fmt_s(fw.get('median_wall_s'))} s "
                "once the compiled kernels are cached. The table shows the cached runs.")
        else:
            lines.append(f"- fastw2v warm-up failed: {w.get('error')}.")
    for name, reason in result["skipped"].items():
        lines.append(f"- {name} skipped: {reason}.")
    for name in result["order"]:
        bad = [r for r in tools[name]["runs"] if not r["ok"]]
        if bad:
            lines.append(f"- {name}: {len(bad)} failed run(s): "
                         + "; ".join(f"{r['tag']}: {r.get('error')} (log {r.get('log')})" for r in bad))
    lines += _sections_table(result)
    lines += ["", "Details:", "",
              "| tool | version | wall s per repeat | ratio per repeat | CPU use | phases (last run) "
              "| analogy answered | WS353 / SimLex OOV % |",
              "|---|---|---|---|--:|---|--:|---|"]
    for name in result["order"]:
        t = tools[name]
        walls = ", ".join(_fmt_s(r.get("wall_s")) if r["ok"] else "failed" for r in t["runs"])
        ratios = ", ".join(f"{x:.2f}" for x in t["ratios_to_fastw2v"]) or "-"
        last = next((r for r in reversed(t["runs"]) if r["ok"]), {})
        ph = last.get("phases") or {}
        phases = ", ".join(f"{k[:-2]} {v:.1f}" for k, v in ph.items()
                           if k.endswith("_s") and k != "total_in_process_s") or "-"
        util = t.get("median_cpu_util")
        lines.append(
            f"| {name} | {t.get('version') or '-'} | {walls} | {ratios} "
            f"| {fmt_num(util, '.2f')}{' cores' if util is not None else ''} | {phases} "
            f"| {fmt_num(_q(t, 'analogy', 'answered'), ',')} "
            f"| {fmt_num(_q(t, 'ws353', 'oov_pct'))} / {fmt_num(_q(t, 'simlex', 'oov_pct'))} |")
    lines.append("")
    return "\n".join(lines)


def _sections_table(result: dict) -> list[str]:
    """Subword mode: the nine syntactic (``gram*``) analogy sections, one column each."""
    if not result.get("subwords"):
        return []
    tools = result["tools"]
    names = [n for n in result["order"] if _q(tools[n], "analogy", "sections")]
    if not names:
        return []
    sections = [k for k in _q(tools[names[0]], "analogy", "sections") if k.startswith("gram")]
    if not sections:
        return []
    short = [k.split("-", 1)[1] if "-" in k else k for k in sections]
    lines = ["", ("Syntactic analogy sections, accuracy % (questions answered; the morphology that "
                  "character n-grams can see):"), "",
             "| tool | syntactic % | " + " | ".join(short) + " |",
             "|---|--:|" + "--:|" * len(sections)]
    for n in names:
        cells = []
        for k in sections:
            sec = _q(tools[n], "analogy", "sections", k) or {}
            cells.append(f"{fmt_num(sec.get('accuracy'))} ({fmt_num(sec.get('answered'), ',.0f')})")
        lines.append(f"| {n} | {fmt_num(_q(tools[n], 'analogy', 'syntactic'))} | " + " | ".join(cells) + " |")
    return lines


def _plt():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def _rate_formatter():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _pos: fmt_rate(v) if v > 0 else "0")


def plot_speed_quality(result: dict, path: Path) -> bool:
    plt = _plt()
    if plt is None:
        return False
    tools = result["tools"]
    names = [n for n in result["order"] if tools[n]["words_per_s"]]
    panels = [("analogy", "total", "Google analogy accuracy %"),
              ("ws353", "spearman", "WordSim-353 Spearman ρ"),
              ("simlex", "spearman", "SimLex-999 Spearman ρ")]
    scored = [n for n in names if tools[n].get("quality")]
    s = result["settings"]
    sw = result.get("subwords")
    title = (f"{result['corpus']['name']}, {s['model']}"
             + (f" subwords {sw['minn']}-{sw['maxn']}" if sw else "") + f", {s['epochs']} epoch(s), "
             f"{s['threads']} thread(s) — {result['date'][:10]}")
    if scored:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
        for ax, (key, stat, label) in zip(axes, panels):
            for i, n in enumerate(scored):
                x, y = tools[n]["words_per_s"], _q(tools[n], key, stat)
                if y is None:
                    continue
                ax.scatter([x], [y], s=60, zorder=3, color="C3" if n == "fastw2v" else "C0")
                ax.annotate(n, (x, y), textcoords="offset points", fontsize=9,
                            xytext=(6, 5 if i % 2 == 0 else -12))  # alternate: fewer overlaps
            ax.xaxis.set_major_formatter(_rate_formatter())
            ax.set_xlabel("words/s (end to end; higher is faster)")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            ax.margins(x=0.25, y=0.25)
        fig.suptitle(f"Speed vs quality: {title}")
    else:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.barh(names, [tools[n]["words_per_s"] for n in names], color="C0")
        ax.xaxis.set_major_formatter(_rate_formatter())
        ax.set_xlabel("words/s (end to end)")
        ax.set_title(f"Speed (quality not scored): {title}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_run_report(result: dict, out: Path) -> list[Path]:
    out = Path(out)
    paths = []
    p = out / "results.json"
    p.write_text(json.dumps(result, indent=1, default=str) + "\n")
    paths.append(p)
    p = out / "results.md"
    p.write_text(run_markdown(result))
    paths.append(p)
    p = out / "speed_quality.png"
    if plot_speed_quality(result, p):
        paths.append(p)
    else:
        print("bench: matplotlib is not installed: no PNG plot (pip install matplotlib)", file=sys.stderr)
    return paths


# ----------------------------------------------------------------------------- scaling

def scaling_markdown(result: dict) -> str:
    threads = result["threads"]
    lines = _intro(result, "fastw2v thread scaling")
    lines += ["words/s (speed-up over the smallest thread count) for each number of threads:", "",
              "| tool | " + " | ".join(f"{n} thr" for n in threads) + " |",
              "|---|" + "--:|" * len(threads)]
    for name in result["order"]:
        per = result["tools"][name]["by_threads"]
        cells = []
        for n in threads:
            d = per[str(n)]
            cells.append("failed" if not d["words_per_s"] else
                         f"{fmt_rate(d['words_per_s'])} ({d['speedup']:.2f}x)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in result["skipped"]:
        lines.append(f"| {name} | " + " | ".join("skipped" for _ in threads) + " |")
    lines += ["", "Notes:", "", f"- {result['throughput_definition']}.",
              "- Each cell is the median over repeats; repeats run every thread count and tool "
              "in turn (interleaved)."]
    if any(per[str(n)].get("quality") for t in result["tools"].values()
           for per in [t["by_threads"]] for n in threads):
        lines += ["", "Quality by thread count (last repeat; analogy % / WS353 ρ / SimLex ρ):", "",
                  "| tool | " + " | ".join(f"{n} thr" for n in threads) + " |",
                  "|---|" + "---|" * len(threads)]
        for name in result["order"]:
            per = result["tools"][name]["by_threads"]
            cells = []
            for n in threads:
                q = {"quality": per[str(n)].get("quality")}
                cells.append(f"{fmt_num(_q(q, 'analogy', 'total'))} / {fmt_num(_q(q, 'ws353', 'spearman'), '.3f')}"
                             f" / {fmt_num(_q(q, 'simlex', 'spearman'), '.3f')}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, reason in result["skipped"].items():
        lines.append(f"- {name} skipped: {reason}.")
    w = result.get("warmup")
    if w and w.get("ok"):
        lines.append(f"- fastw2v warm-up (untimed, {'empty' if w.get('cold_cache') else 'default'} "
                     f"Numba cache, {w['threads']} threads): {_fmt_s(w['wall_s'])} s.")
    lines.append("")
    return "\n".join(lines)


def plot_scaling(result: dict, path: Path) -> bool:
    plt = _plt()
    if plt is None:
        return False
    threads = result["threads"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6))
    for i, name in enumerate(result["order"]):
        per = result["tools"][name]["by_threads"]
        xs = [n for n in threads if per[str(n)]["words_per_s"]]
        if not xs:
            continue
        style = dict(marker="o", color=f"C{i}", linewidth=2.5 if name == "fastw2v" else 1.5, label=name)
        ax1.plot(xs, [per[str(n)]["words_per_s"] for n in xs], **style)
        ax2.plot(xs, [per[str(n)]["speedup"] for n in xs], **style)
    lo, hi = min(threads), max(threads)
    ax2.plot([lo, hi], [1, hi / lo], "k--", linewidth=1, label="linear")
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ax.set_xticks(threads)
        ax.set_xticklabels([str(n) for n in threads])
        ax.set_xlabel("threads")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    ax1.yaxis.set_major_formatter(_rate_formatter())
    ax1.set_ylabel("words/s (end to end)")
    ax2.set_ylabel(f"speed-up over {lo} thread(s)")
    s = result["settings"]
    fig.suptitle(f"Thread scaling: {result['corpus']['name']}, {s['model']}, {s['epochs']} epoch(s) — "
                 f"{result['machine']['cpu_model']}, {result['date'][:10]}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_scaling_report(result: dict, out: Path) -> list[Path]:
    out = Path(out)
    paths = []
    for name, text in (("scaling.json", json.dumps(result, indent=1, default=str) + "\n"),
                       ("scaling.md", scaling_markdown(result))):
        (out / name).write_text(text)
        paths.append(out / name)
    if plot_scaling(result, out / "scaling.png"):
        paths.append(out / "scaling.png")
    else:
        print("bench: matplotlib is not installed: no PNG plot (pip install matplotlib)", file=sys.stderr)
    return paths


def save_to_results_dir(result: dict, paths: list[Path], results_dir: Path) -> list[Path]:
    """Copy the Markdown and JSON reports to ``results_dir``.

    Named ``YYYY-MM-DD_<corpus>_<model>[_scaling]``, or ``YYYY-MM-DD_<corpus>_memory``;
    ``_HHMM`` is appended when that name is taken.
    """
    stem = f"{result['date'][:10]}_{result['corpus']['name']}"
    if result["kind"] == "memory":
        stem += "_memory"
    else:
        stem += f"_{result['settings']['model']}" + ("_subwords" if result.get("subwords") else "") \
            + ("_scaling" if result["kind"] == "scaling" else "")
    return copy_reports([p for p in paths if p.suffix in (".md", ".json")], results_dir, stem, result["date"])


def copy_reports(paths: list[Path], results_dir: Path, stem: str, date: str) -> list[Path]:
    """Copy ``paths`` to ``results_dir/STEM.<suffix>``, with ``_HHMM`` (from the ISO
    timestamp ``date``) appended to the stem when one of those names is taken."""
    results_dir.mkdir(parents=True, exist_ok=True)
    if any((results_dir / f"{stem}{p.suffix}").exists() for p in paths):
        stem += "_" + date[11:16].replace(":", "")
    saved = []
    for p in paths:
        dest = results_dir / f"{stem}{p.suffix}"
        shutil.copyfile(p, dest)
        saved.append(dest)
    return saved

