"""A/B: the same ``fastw2v train`` command from two checkouts, interleaved.

    python -m bench.ab --a /path/to/old-checkout --b . --repeat 3 -- \\
        train ../shared/data/corpora/gutenberg_100M.txt.xz -o {out} --epochs 1 --threads 2

Each repeat runs A then B (then B then A on the next repeat, so neither always
goes first), each in its own process with the checkout's own package on
``PYTHONPATH``. ``{out}`` in the command becomes a fresh output path per run,
``{cache}`` a fresh directory. Reports, per run, the wall time, the preparing time of the ``vocabulary:`` line
(reading, counting, encoding) and the training words/s of the summary line, then the medians and the ratio B/A within each
repeat (the machine's speed drifts; ratios within a repeat are the figures to
compare). A first untimed run of each side loads (or compiles) its kernels.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREPARED = re.compile(r"^vocabulary: .*, ([\d.]+) s\)$", re.M)
TRAINED = re.compile(r"trained ([\d,]+) words in ([\d.]+) s \(([\d.]+)([kM]) words/s")


def run(checkout: Path, args: list[str], work: Path, tag: str, fresh: bool = False) -> dict:
    out = work / f"{tag}.out"
    cache = work / f"{tag}.cache"
    shutil.rmtree(cache, ignore_errors=True)
    if fresh:  # checkouts before the cache policy kept a default cache beside the output
        shutil.rmtree(work / ".fastw2v-cache", ignore_errors=True)
    argv = [a.replace("{out}", str(out)).replace("{cache}", str(cache)) for a in args]
    env = dict(os.environ, PYTHONPATH=str(checkout))
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fastw2v.cli", *argv], env=env, cwd=checkout,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: exit {done.returncode}\n{done.stderr[-2000:]}")
    m = TRAINED.search(done.stderr)
    rate = float(m.group(3)) * (1e6 if m.group(4) == "M" else 1e3) if m else float("nan")
    prepared = PREPARED.search(done.stderr)
    out.unlink(missing_ok=True)
    shutil.rmtree(cache, ignore_errors=True)
    return {"wall": wall, "train_rate": rate, "train_s": float(m.group(2)) if m else float("nan"),
            "prepare_s": float(prepared.group(1)) if prepared else float("nan")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", type=Path, required=True, help="checkout A (the baseline)")
    p.add_argument("--b", type=Path, required=True, help="checkout B (the change)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--fresh", action="store_true",
                   help="remove a .fastw2v-cache/ beside {out} before each run, so that a checkout "
                        "older than the cache policy builds its default cache every time, as a new one does")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- then fastw2v's arguments")
    o = p.parse_args()
    args = o.command[1:] if o.command[:1] == ["--"] else o.command
    sides = {"A": o.a.resolve(), "B": o.b.resolve()}
    with tempfile.TemporaryDirectory(prefix="fastw2v-ab-") as tmp:
        work = Path(tmp)
        for name, checkout in sides.items():  # load or compile the kernels, untimed
            run(checkout, args, work, f"warm-{name}", o.fresh)
        rows = []
        for r in range(o.repeat):
            order = ("A", "B") if r % 2 == 0 else ("B", "A")
            got = {name: run(sides[name], args, work, f"{name}{r}", o.fresh) for name in order}
            rows.append(got)
            print(f"repeat {r + 1}: " + "  ".join(
                f"{n} wall {got[n]['wall']:.2f} s, prepare {got[n]['prepare_s']:.1f} s, "
                f"train {got[n]['train_rate'] / 1e6:.3f}M words/s"
                for n in ("A", "B")) + f"  B/A wall {got['B']['wall'] / got['A']['wall']:.3f}, "
                f"train rate {got['B']['train_rate'] / got['A']['train_rate']:.3f}", flush=True)
    for n in ("A", "B"):
        walls = [r[n]["wall"] for r in rows]
        rates = [r[n]["train_rate"] for r in rows]
        prep = [r[n]["prepare_s"] for r in rows]
        print(f"{n} ({sides[n]}): median wall {statistics.median(walls):.2f} s, "
              f"median prepare {statistics.median(prep):.2f} s, "
              f"median train {statistics.median(rates) / 1e6:.3f}M words/s")
    print("B/A per repeat, wall: " + ", ".join(f"{r['B']['wall'] / r['A']['wall']:.3f}" for r in rows))
    print("B/A per repeat, training words/s: " +
          ", ".join(f"{r['B']['train_rate'] / r['A']['train_rate']:.3f}" for r in rows))


if __name__ == "__main__":
    main()
