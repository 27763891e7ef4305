"""One scorer for every tool's vectors: gensim's ``KeyedVectors`` evaluation functions.

* Google analogies (``fastw2v/data/questions-words.txt``, shipped in the package):
  ``evaluate_word_analogies(restrict_vocab=30000)``, i.e. 3CosAdd over the 30,000
  most frequent words of each file (files list words most frequent first), case
  insensitive. Accuracy is over the questions whose four words are all among
  those 30,000 ("answered"); the number answered is reported beside it, and so is
  the accuracy over all 19,544 questions (unanswered counted as wrong).
  Semantic = the five non-``gram`` sections, syntactic = the nine ``gram*`` ones;
  each section's accuracy and number answered are kept too (``sections``).
* WordSim-353 (``fastw2v/data/wordsim353.tsv``) and SimLex-999 (``fastw2v/data/simlex999.txt``):
  ``evaluate_word_pairs`` (Spearman's rho over the pairs whose words are both in
  the vocabulary; Pearson and the out-of-vocabulary percentage are kept too).

Usage: ``python -m bench.evaluate VECTORS.txt [...]`` prints the scores as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import REPO_DIR

DATA_DIR = REPO_DIR / "fastw2v" / "data"  # the evaluation sets fastw2v ships
ANALOGIES = DATA_DIR / "questions-words.txt"
WORDSIM353 = DATA_DIR / "wordsim353.tsv"
SIMLEX999 = DATA_DIR / "simlex999.txt"
RESTRICT_VOCAB = 30000
EVALUATOR = ("gensim KeyedVectors.evaluate_word_analogies(restrict_vocab=30000, case_insensitive=True) "
             "and evaluate_word_pairs (Spearman), gensim {version}")


def evaluator_unavailable() -> str | None:
    try:
        import gensim  # noqa: F401
    except ImportError:
        return "gensim is not installed (pip install gensim): quality is not scored"
    for f in (ANALOGIES, WORDSIM353, SIMLEX999):
        if not f.is_file():
            return f"evaluation data missing: {f}"
    return None


def describe_evaluator() -> str:
    try:
        import gensim
        version = gensim.__version__
    except ImportError:
        version = "(not installed)"
    return EVALUATOR.format(version=version)


def _pct(correct: int, total: int) -> float | None:
    return round(100.0 * correct / total, 2) if total else None


def score_analogies(kv, path: Path = ANALOGIES, restrict_vocab: int = RESTRICT_VOCAB) -> dict:
    with open(path, encoding="utf-8") as f:
        n_questions = sum(1 for line in f if line.strip() and not line.startswith(":"))
    _, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
    groups = {"semantic": [0, 0], "syntactic": [0, 0]}
    per_section = {}
    for sec in sections:
        if sec["section"] == "Total accuracy":
            continue
        g = groups["syntactic" if sec["section"].startswith("gram") else "semantic"]
        right, asked = len(sec["correct"]), len(sec["correct"]) + len(sec["incorrect"])
        g[0] += right
        g[1] += asked
        per_section[sec["section"]] = {"accuracy": _pct(right, asked), "correct": right, "answered": asked}
    correct = groups["semantic"][0] + groups["syntactic"][0]
    answered = groups["semantic"][1] + groups["syntactic"][1]
    return {
        "total": _pct(correct, answered),
        "semantic": _pct(*groups["semantic"]),
        "syntactic": _pct(*groups["syntactic"]),
        "correct": correct,
        "answered": answered,
        "questions": n_questions,
        "total_over_all_questions": _pct(correct, n_questions),
        "restrict_vocab": restrict_vocab,
        "sections": per_section,
    }


def score_pairs(kv, path: Path) -> dict:
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path))
    def num(x):
        x = float(x[0])  # (statistic, p-value)
        return None if x != x else round(x, 4)  # NaN (too few pairs) -> None
    return {"spearman": num(spearman), "pearson": num(pearson), "oov_pct": round(float(oov), 2)}


def evaluate_vectors(path: str | Path) -> dict:
    """Score one vectors file (word2vec text format; ``.bin``: word2vec.c binary)."""
    from gensim.models import KeyedVectors

    t0 = time.perf_counter()
    path = Path(path)
    binary = path.suffix == ".bin"  # the harness always writes text
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, unicode_errors="replace")
    load_s = time.perf_counter() - t0
    result = {
        "vocab_size": len(kv),
        "analogy": score_analogies(kv),
        "ws353": score_pairs(kv, WORDSIM353),
        "simlex": score_pairs(kv, SIMLEX999),
        "load_s": round(load_s, 2),
    }
    result["eval_s"] = round(time.perf_counter() - t0, 2)
    return result


# One BLAS thread: scoring is a long series of small matrix-vector products, and a
# multithreaded BLAS that shares the cores with anything else slows down several-fold.
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def evaluate_in_subprocess(path: str | Path, timeout: float | None = None) -> dict:
    """:func:`evaluate_vectors` in a fresh process with one BLAS thread."""
    env = dict(os.environ, **SINGLE_THREAD_ENV)
    out = subprocess.run([sys.executable, "-m", "bench.evaluate", str(path)], cwd=REPO_DIR, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip()
                           else f"exit status {out.returncode}")
    return json.loads(out.stdout)[str(path)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    reason = evaluator_unavailable()
    if reason:
        print(f"bench.evaluate: {reason}", file=sys.stderr)
        return 1
    out = {p: evaluate_vectors(p) for p in argv}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
