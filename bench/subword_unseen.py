"""Vectors for words never seen in training: fastw2v against fastText, the same setup.

    python -m bench.subword_unseen [--corpus ../shared/data/corpora/gutenberg_100M.txt.xz]
        [--hold-out 0.2] [--seed 1] [--threads 2] [--epochs 1] [--out DIR] [--tools fastw2v,fasttext]

A share (``--hold-out``) of the words of the Google analogy questions is drawn
(seeded) and deleted from the corpus, so that no tool ever sees them; each tool
then trains its subword model (minn 3, maxn 6, bucket 2,000,000, dim 100, sg,
negative 5, window 5, sample 1e-3, min-count 5) on that corpus and saves its
``.bin``. Both models are scored by the same evaluator (``fastw2v eval
MODEL.bin``, which builds a vector for an unseen word from its n-grams): on the
questions with at least one held-out word, and on all questions.
"""

from __future__ import annotations

import argparse
import json
import lzma
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from . import REPO_DIR

DEFAULT_CORPUS = REPO_DIR.parent / "shared" / "data" / "corpora" / "gutenberg_100M.txt.xz"


def analogy_words(path: Path) -> list[str]:
    words = set()
    for line in path.read_text().splitlines():
        if line and not line.startswith(":"):
            words.update(w.lower() for w in line.split())
    return sorted(words)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--hold-out", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--tools", default="fastw2v,fasttext")
    p.add_argument("--out", type=Path, default=REPO_DIR / "out" / "bench" / "subword_unseen")
    o = p.parse_args()
    o.out.mkdir(parents=True, exist_ok=True)
    from fastw2v.vectors.evaluate import DEFAULT_ANALOGIES, default_data_file

    questions = default_data_file(DEFAULT_ANALOGIES)
    words = analogy_words(questions)
    held = sorted(random.Random(o.seed).sample(words, int(len(words) * o.hold_out)))
    (o.out / "held_out.txt").write_text("\n".join(held) + "\n")
    data = lzma.open(o.corpus).read().decode("utf-8") if o.corpus.suffix == ".xz" else o.corpus.read_text()
    pattern = re.compile(r"(?<!\S)(?:" + "|".join(map(re.escape, held)) + r")(?!\S)", re.IGNORECASE)
    corpus = o.out / "corpus.txt"
    corpus.write_text(pattern.sub("", data))
    # The questions that hold a held-out word, in the analogy file's format.
    lines, section = [], None
    for line in questions.read_text().splitlines():
        if line.startswith(":"):
            section = line
            continue
        if any(w.lower() in set(held) for w in line.split()):
            if section is not None:
                lines.append(section)
                section = None
            lines.append(line)
    (o.out / "questions_unseen.txt").write_text("\n".join(lines) + "\n")
    settings = dict(dim=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=o.epochs, seed=o.seed)
    results = {"held_out_words": len(held), "questions_with_held_out": sum(1 for x in lines if not x.startswith(":")),
               "settings": settings}
    for tool in o.tools.split(","):
        model = o.out / f"{tool}.bin"
        t0 = time.perf_counter()
        if tool == "fastw2v":
            cmd = [sys.executable, "-m", "fastw2v.cli", "train", str(corpus), "-o", str(o.out / "fastw2v.vec"),
                   "--save-model", str(model), "--minn", "3", "--maxn", "6", "--bucket", "2000000",
                   "--dim", "100", "--window", "5", "--negative", "5", "--sample", "0.001", "--min-count", "5",
                   "--epochs", str(o.epochs), "--threads", str(o.threads), "--seed", str(o.seed), "-q"]
            subprocess.run(cmd, check=True)
        else:
            code = ("import fasttext,sys; m=fasttext.train_unsupervised(sys.argv[1], model='skipgram', dim=100, ws=5, "
                    f"neg=5, t=1e-3, minCount=5, epoch={o.epochs}, minn=3, maxn=6, bucket=2000000, "
                    f"thread={o.threads}, lr=0.025, verbose=0); m.save_model(sys.argv[2])")
            subprocess.run([sys.executable, "-c", code, str(corpus), str(model)], check=True)
        seconds = time.perf_counter() - t0
        scores = {}
        for name, path in (("unseen", o.out / "questions_unseen.txt"), ("all", questions)):
            done = subprocess.run([sys.executable, "-m", "fastw2v.cli", "eval", str(model), "--analogies", str(path),
                                   "--json"], capture_output=True, text=True, check=True)
            scores[name] = json.loads(done.stdout)
        results[tool] = {"seconds": seconds, "scores": scores}
        print(tool, f"{seconds:.1f} s", json.dumps({k: v.get("analogies", v) for k, v in scores.items()})[:600],
              flush=True)
    (o.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
