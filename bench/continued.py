"""Continued training, measured: the numbers of docs/continued-training.md in one run.

    python -m bench.continued [--corpus ../shared/data/corpora/gutenberg_100M.txt.xz]
        [--small data/text8_head10M.txt.gz] [--epochs 3] [--threads 2] [--seeds 1,2] [--out DIR]

1. Halves: the corpus cut at the line nearest its middle. A model trained on the
   first half (``--save-model``) is continued on the second (``--continue``), with
   the learning rate restarting at alpha (the default) and at alpha / 2; both are
   compared with one run on the whole corpus, for time and scores.
2. New words: words of the second half's vocabulary that the first half lacks,
   with their nearest neighbours after continuing.
3. Drift: for the 1,000 most frequent words of the first model, the overlap of
   their 10 nearest neighbours before and after continuing.
4. Pretrained vectors: the small corpus trained from scratch, and with
   ``--init-vectors`` from the whole-corpus vectors.

Every run is ``fastw2v train`` in its own process (wall time measured around it);
scores are fastw2v's evaluator with the shipped sets (Google analogies over the
30,000 most frequent words, WordSim-353 and SimLex-999 Spearman).
"""

from __future__ import annotations

import argparse
import json
import lzma
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import REPO_DIR

DEFAULT_CORPUS = REPO_DIR.parent / "shared" / "data" / "corpora" / "gutenberg_100M.txt.xz"


def run(args: list, log: Path) -> float:
    """``fastw2v ARGS`` in its own process; its wall time in seconds."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fastw2v.cli", *map(str, args)], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    log.write_text(log.read_text() + f"$ fastw2v {' '.join(map(str, args))}\n{done.stderr}\n" if log.exists()
                   else f"$ fastw2v {' '.join(map(str, args))}\n{done.stderr}\n")
    if done.returncode != 0:
        raise SystemExit(f"fastw2v {' '.join(map(str, args))} failed:\n{done.stderr}")
    return seconds


def scores(path: Path) -> dict:
    from fastw2v.vectors.evaluate import evaluate

    return evaluate(path).scores()


def neighbours(vectors, words: list[str], topn: int = 10) -> dict[str, list[str]]:
    return {w: [x for x, _ in vectors.most_similar(w, topn=topn)] for w in words}


def split_halves(corpus: Path, out: Path) -> tuple[Path, Path]:
    data = lzma.open(corpus).read() if corpus.suffix == ".xz" else corpus.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    first, second = out / "first.txt", out / "second.txt"
    first.write_bytes(data[:cut])
    second.write_bytes(data[cut:])
    (out / "whole.txt").write_bytes(data)
    return first, second


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--small", type=Path, default=REPO_DIR / "data" / "text8_head10M.txt.gz")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seeds", default="1,2")
    p.add_argument("--out", type=Path, default=REPO_DIR / "out" / "bench" / "continued")
    o = p.parse_args()
    o.out.mkdir(parents=True, exist_ok=True)
    log = o.out / "runs.log"
    log.unlink(missing_ok=True)
    first, second = split_halves(o.corpus, o.out)
    whole = o.out / "whole.txt"
    common = ["--epochs", o.epochs, "--threads", o.threads, "--no-cache", "-q"]
    rows: dict[str, list] = {}
    from fastw2v.vectors.query import load_vectors

    for seed in [int(s) for s in o.seeds.split(",")]:
        d = o.out / f"seed{seed}"
        d.mkdir(exist_ok=True)
        s = ["--seed", seed, *common]
        t_first = run(["train", first, "-o", d / "first.txt", "--save-model", d / "first.bin", *s], log)
        t_cont = run(["train", second, "-o", d / "cont.txt", "--continue", d / "first.bin", *s], log)
        t_half = run(["train", second, "-o", d / "cont_half.txt", "--continue", d / "first.bin",
                      "--alpha", 0.0125, *s], log)
        t_whole = run(["train", whole, "-o", d / "whole.txt", *s], log)
        t_small = run(["train", o.small, "-o", d / "small.txt", *s], log)
        t_init = run(["train", o.small, "-o", d / "small_init.txt", "--init-vectors", d / "whole.txt", *s], log)
        for name, seconds, vec in (
                ("first half only", t_first, "first.txt"),
                ("first half, continued on the second (alpha 0.025)", t_first + t_cont, "cont.txt"),
                ("first half, continued on the second (alpha 0.0125)", t_first + t_half, "cont_half.txt"),
                ("whole corpus", t_whole, "whole.txt"),
                ("small corpus, fresh", t_small, "small.txt"),
                ("small corpus, --init-vectors from the whole corpus", t_init, "small_init.txt")):
            rows.setdefault(name, []).append({"seconds": seconds, **scores(d / vec)})
        if seed == int(o.seeds.split(",")[0]):
            before, after = load_vectors(d / "first.txt"), load_vectors(d / "cont.txt")
            top = before.words[:1000]
            nb, na = neighbours(before, top), neighbours(after, top)
            overlap = [len(set(nb[w]) & set(na[w])) / 10 for w in top]
            new = [w for w in after.words if w not in set(before.words)][:8]
            examples = neighbours(after, new, topn=5)
            with open(d / "drift_and_new.json", "w") as f:
                json.dump({"overlap_mean": statistics.mean(overlap), "overlap_median": statistics.median(overlap),
                           "overlap_quartiles": np.percentile(overlap, [25, 75]).tolist(),
                           "new_words": len([w for w in after.words if w not in set(before.words)]),
                           "examples": examples}, f, indent=1)
    print("| run | wall s | analogy | WS353 | SimLex |\n|---|--:|--:|--:|--:|")
    for name, rs in rows.items():
        mean = {k: statistics.mean(r[k] for r in rs) for k in ("seconds", "analogy", "wordsim353", "simlex999")}
        print(f"| {name} | {mean['seconds']:.1f} | {100 * mean['analogy']:.1f}% | {mean['wordsim353']:.3f} | "
              f"{mean['simlex999']:.3f} |")
    print(json.dumps(rows, indent=1))
    print((o.out / f"seed{o.seeds.split(',')[0]}" / "drift_and_new.json").read_text())


if __name__ == "__main__":
    main()
