"""What the sweeps over ``python -m bench run`` share (:mod:`bench.vocab_sweep`,
:mod:`bench.time_budget`): argument parsing, one bench run per point, and saving
the sweep's reports to ``bench/results/``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from . import REPO_DIR, RESULTS_DIR
from .report import copy_reports


def positive_ints(text: str) -> list[int]:
    """``10000,1e5,2000000`` -> [10000, 100000, 2000000] (argparse type)."""
    try:
        values = [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def bench_run(corpus: Path, out: Path, args: list[str], *, first: bool, prepared: Path) -> dict:
    """One point: ``python -m bench run --corpus CORPUS --out OUT ARGS`` in its own
    process, with Numba's usual cache (the sweep's first point warms it up and
    compiles; the others skip the warm-up). ``OUT/corpus`` is a link to ``prepared``,
    so the points that share a corpus prepare it once. Returns the point's ``results.json``."""
    prepared.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "corpus").exists():
        (out / "corpus").symlink_to(prepared.resolve(), target_is_directory=True)
    cmd = [sys.executable, "-m", "bench", "run", "--corpus", str(corpus), "--out", str(out), *args,
           "--numba-cache", "default"]
    if not first:
        cmd.append("--no-warmup")
    subprocess.run(cmd, check=True, cwd=REPO_DIR)
    return json.loads((out / "results.json").read_text())


def save_results(paths: list[Path], date: str, name: str, who: str) -> list[Path]:
    """Copy ``paths`` to ``bench/results/DATE_NAME.<suffix>`` (``_HHMM`` appended when
    that name is taken); ``date`` is an ISO timestamp."""
    saved = copy_reports(paths, RESULTS_DIR, f"{date[:10]}_{name}", date)
    for dest in saved:
        print(f"{who}: wrote {dest}", file=sys.stderr)
    return saved


def write_reports(out: Path, result: dict, plot, png_name: str, markdown: list[str]) -> list[Path]:
    """A sweep's three reports in ``out``: ``results.json`` (``result``), the plot
    (``plot(path)``, to ``png_name``) and ``results.md`` (the lines ``markdown``)."""
    js = out / "results.json"
    js.write_text(json.dumps(result, indent=1) + "\n")
    png = out / png_name
    plot(png)
    md = out / "results.md"
    md.write_text("\n".join(markdown))
    return [md, js, png]


def machine_line(m: dict) -> str:
    """The report's machine line, from :func:`bench.machine.machine_facts`."""
    return (f"- Machine: {m['cpu_model']}, {m['cpu_count']} logical CPUs ({m['cpus_usable']} usable), "
            f"{m['memory_gib']} GiB; {m['platform']}; Python {m['python']}; fastw2v {m['packages'].get('fastw2v')}, "
            f"gensim {m['packages'].get('gensim')}, numba {m['packages'].get('numba')}.")
