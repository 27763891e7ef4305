"""``python -m bench run|scaling|memory``: the benchmark's command line (see bench/README.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import REPO_DIR
from .tools import (
    ALL_TOOLS,
    DEFAULT_TOOLS,
    FASTTEXT_SUBWORDS,
    MODELS,
    SUBWORD_TOOLS,
    Settings,
    parse_tools,
)

DEFAULTS = Settings()  # fastw2v's defaults (fastw2v.TrainOptions)

SHARED_CORPUS = REPO_DIR.parent / "shared" / "data" / "corpora" / "gutenberg_100M.txt.xz"
BUNDLED_CORPUS = REPO_DIR / "data" / "text8_head10M.txt.gz"


def default_corpus() -> Path:
    return SHARED_CORPUS if SHARED_CORPUS.is_file() else BUNDLED_CORPUS


def _threads_list(spec: str) -> list[int]:
    try:
        values = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated thread counts, got {spec!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be positive integers, got {spec!r}")
    return sorted(set(values))


def _default_scaling_threads() -> str:
    n = os.cpu_count() or 1
    ts, t = [], 1
    while t < n:
        ts.append(t)
        t *= 2
    ts.append(n)
    return ",".join(map(str, ts))


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _common(p: argparse.ArgumentParser, default_tools: str, default_epochs: int, default_repeat: int) -> None:
    p.add_argument("--corpus", default=None,
                   help=f"corpus file: plain, .gz, .bz2 or .xz [default: {SHARED_CORPUS} if it exists, "
                        f"else {BUNDLED_CORPUS.relative_to(REPO_DIR)}]")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder for the prepared corpus, vectors, logs and reports "
                        "[default: out/bench/<corpus>_<model>]")
    p.add_argument("--tools", default=None,
                   help=f"comma-separated, from {','.join(ALL_TOOLS)} [default: {default_tools}"
                        + (f"; with --subwords: {SUBWORD_TOOLS}]" if p.prog.endswith(" run") else "]"))
    p.add_argument("--model", choices=MODELS, default=DEFAULTS.model)
    p.add_argument("--epochs", type=_positive(int), default=default_epochs)
    p.add_argument("--repeat", type=_positive(int), default=default_repeat,
                   help=f"interleaved repeats (A B C A B C ...) [default: {default_repeat}]")
    p.add_argument("--dim", type=_positive(int), default=DEFAULTS.dim)
    p.add_argument("--window", type=_positive(int), default=DEFAULTS.window)
    p.add_argument("--negative", type=_positive(int), default=DEFAULTS.negative)
    p.add_argument("--sample", type=float, default=DEFAULTS.sample)
    p.add_argument("--min-count", type=_positive(int), default=DEFAULTS.min_count)
    p.add_argument("--alpha", type=_positive(float), default=None,
                   help="starting learning rate [default: 0.025 for sg, 0.05 for cbow]")
    p.add_argument("--seed", type=int, default=DEFAULTS.seed)
    p.add_argument("--word2vec-c", metavar="PATH", default=None,
                   help="a compiled word2vec.c `word2vec` binary (never shipped or built by the project)")
    p.add_argument("--wrap", type=_positive(int), default=1000,
                   help="maximum tokens per line of the prepared corpus [default: 1000]")
    p.add_argument("--timeout", type=_positive(float), default=None, help="seconds allowed per run")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed fastw2v warm-up run")
    p.add_argument("--numba-cache", choices=("fresh", "default"), default="fresh",
                   help="fresh: fastw2v uses an empty Numba cache in --out, filled by the warm-up "
                        "(whose time then includes compiling); default: Numba's usual cache")
    p.add_argument("--save-results", action="store_true",
                   help="also copy the Markdown and JSON reports to bench/results/DATE_<corpus>_<model>.*")
    p.add_argument("--note", default=None, help="a line of context to put in the reports")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Speed and quality of fastw2v against gensim, fastText and word2vec.c, "
                    "on the same corpus with the same settings.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train every tool, time it, score its vectors, write the report")
    _common(run, DEFAULT_TOOLS, 5, 3)
    sw = run.add_argument_group("subwords (fastText's model: words plus hashed character n-grams)")
    sw.add_argument("--subwords", action="store_true",
                    help=f"compare subword trainers: --tools {SUBWORD_TOOLS} by default, every tool "
                         f"with the same n-gram settings; out/bench/<corpus>_<model>_subwords")
    sw.add_argument("--minn", type=_positive(int), default=None,
                    help=f"shortest character n-gram [default: {FASTTEXT_SUBWORDS['minn']}; only with --subwords]")
    sw.add_argument("--maxn", type=_positive(int), default=None,
                    help=f"longest character n-gram [default: {FASTTEXT_SUBWORDS['maxn']}; only with --subwords]")
    sw.add_argument("--bucket", type=_positive(int), default=None,
                    help=f"hash buckets for the n-grams [default: {FASTTEXT_SUBWORDS['bucket']}; "
                         "only with --subwords]")
    run.add_argument("--threads", type=_positive(int), default=os.cpu_count() or 1,
                     help="threads / workers for every tool [default: all CPUs]")
    run.add_argument("--no-eval", dest="evaluate", action="store_false", help="do not score quality")
    run.add_argument("--eval-repeats", choices=("last", "all"), default="last",
                     help="score the last repeat's vectors, or every repeat's and report the mean")
    sc = sub.add_parser("scaling", help="words/s of each tool against the number of threads")
    _common(sc, DEFAULT_TOOLS, 1, 1)
    sc.add_argument("--threads", type=_threads_list, default=_threads_list(_default_scaling_threads()),
                    help=f"comma-separated thread counts [default: {_default_scaling_threads()}]")
    sc.add_argument("--eval", dest="evaluate", action="store_true",
                    help="also score the vectors trained with each thread count")
    mem = sub.add_parser("memory", help="fastw2v's peak memory on a corpus and on it repeated --factor "
                                         "times, through the token cache and without it")
    mem.add_argument("--corpus", default=None,
                     help=f"corpus file: plain, .gz, .bz2 or .xz [default: {SHARED_CORPUS} if it exists, "
                          f"else {BUNDLED_CORPUS.relative_to(REPO_DIR)}]")
    mem.add_argument("--out", "--work-dir", dest="out", type=Path, default=None,
                     help="work folder: prepared corpora, vocabulary, token cache, logs, reports "
                          "[default: out/bench/<corpus>_memory]")
    mem.add_argument("--factor", type=_positive(int), default=4,
                     help="the large corpus is the prepared corpus repeated this many times [default: 4]")
    mem.add_argument("--threads", type=_positive(int), default=2, help="[default: 2]")
    mem.add_argument("--dim", type=_positive(int), default=DEFAULTS.dim)
    mem.add_argument("--epochs", type=_positive(int), default=1)
    mem.add_argument("--min-count", type=_positive(int), default=DEFAULTS.min_count)
    mem.add_argument("--seed", type=int, default=DEFAULTS.seed)
    mem.add_argument("--wrap", type=_positive(int), default=1000,
                     help="maximum tokens per line of the prepared corpus [default: 1000]")
    mem.add_argument("--timeout", type=_positive(float), default=None, help="seconds allowed per run")
    mem.add_argument("--no-warmup", dest="warmup", action="store_false",
                     help="skip the untimed warm-up run (and the reference run's cache reuse)")
    mem.add_argument("--numba-cache", choices=("fresh", "default"), default="fresh",
                     help="fresh: an empty Numba cache in --out, filled by the warm-up; default: Numba's usual cache")
    mem.add_argument("--no-gensim", dest="gensim", action="store_false",
                     help="skip the gensim reference run (skipped anyway when gensim is not installed)")
    mem.add_argument("--keep-files", action="store_true",
                     help="keep the large corpus and the token cache entries in --out (deleted by default)")
    mem.add_argument("--save-results", action="store_true",
                     help="also copy the Markdown and JSON reports to bench/results/DATE_<corpus>_memory.*")
    mem.add_argument("--note", default=None, help="a line of context to put in the reports")
    return parser


def memory_main(args: argparse.Namespace, argv: list[str]) -> int:
    from .memory import MemoryOptions, run_memory

    corpus = Path(args.corpus) if args.corpus else default_corpus()
    if not corpus.is_file():
        print(f"bench: error: corpus file not found: {corpus}", file=sys.stderr)
        return 2
    if args.factor < 2:
        print("bench: error: --factor must be at least 2", file=sys.stderr)
        return 2
    name = corpus.name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):  # as bench.corpus.corpus_name, without importing numpy
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    opts = MemoryOptions(
        corpus=str(corpus), out=args.out or REPO_DIR / "out" / "bench" / f"{name or 'corpus'}_memory",
        factor=args.factor, threads=args.threads, dim=args.dim, epochs=args.epochs,
        min_count=args.min_count, seed=args.seed, wrap=args.wrap, warmup=args.warmup,
        fresh_numba_cache=args.numba_cache == "fresh", timeout=args.timeout,
        keep_files=args.keep_files, gensim=args.gensim, save_results=args.save_results, note=args.note,
        command=["python", "-m", "bench"] + argv)
    try:
        run_memory(opts)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "memory":  # before importing the harness: it pulls in numpy (a small parent)
        return memory_main(args, argv)
    from .harness import BenchOptions, run_benchmark, run_scaling

    subwords = getattr(args, "subwords", False)
    ngrams = {k: getattr(args, k, None) for k in FASTTEXT_SUBWORDS}
    given = [f"--{k}" for k, v in ngrams.items() if v is not None]
    if given and not subwords:
        print(f"bench: error: {', '.join(given)} only with --subwords", file=sys.stderr)
        return 2
    ngrams = {k: FASTTEXT_SUBWORDS[k] if v is None else v for k, v in ngrams.items()} if subwords else {}
    try:
        tools = parse_tools(args.tools or (SUBWORD_TOOLS if subwords else DEFAULT_TOOLS))
    except ValueError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    corpus = Path(args.corpus) if args.corpus else default_corpus()
    if not corpus.is_file():
        print(f"bench: error: corpus file not found: {corpus}", file=sys.stderr)
        return 2
    from .corpus import corpus_name
    out = args.out or REPO_DIR / "out" / "bench" / (
        f"{corpus_name(corpus)}_{args.model}" + ("_subwords" if subwords else "")
        + ("_scaling" if args.command == "scaling" else ""))
    threads = args.threads if args.command == "run" else max(args.threads)
    settings = Settings(model=args.model, dim=args.dim, window=args.window, negative=args.negative,
                        sample=args.sample, min_count=args.min_count, epochs=args.epochs,
                        alpha=args.alpha, threads=threads, seed=args.seed, **ngrams)
    try:
        settings.resolved()  # e.g. --minn above --maxn: an error before the corpus is prepared
    except ValueError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    opts = BenchOptions(
        corpus=str(corpus), out=out, tools=tools, settings=settings, repeat=args.repeat,
        word2vec_c=args.word2vec_c, wrap=args.wrap, evaluate=args.evaluate,
        eval_repeats=getattr(args, "eval_repeats", "last"), warmup=args.warmup,
        fresh_numba_cache=args.numba_cache == "fresh", timeout=args.timeout,
        save_results=args.save_results, note=args.note,
        threads_list=args.threads if args.command == "scaling" else [],
        command=["python", "-m", "bench"] + argv)
    try:
        if args.command == "run":
            run_benchmark(opts)
        else:
            run_scaling(opts)
    except (ValueError, FileNotFoundError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
