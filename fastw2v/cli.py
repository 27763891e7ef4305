"""The ``fastw2v`` command line: a thin layer over the Python API.

Every problem the user can fix is reported as one line, ``fastw2v: error: ...``,
with exit status 2 and no traceback; no output file is written in that case.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import FastW2VError

try:  # typer >= 0.2x carries its own copy of click
    from typer import TyperException as _UsageProblem
except ImportError:  # older typer: click's exceptions
    from click import ClickException as _UsageProblem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train word2vec embeddings (skip-gram and CBOW) fast on multicore CPUs.",
)


@app.callback()
def _root() -> None:
    """Train word2vec embeddings (skip-gram and CBOW) fast on multicore CPUs."""


@app.command(no_args_is_help=True)
def train(
    corpus: List[Path] = typer.Argument(..., help="Corpus files: plain text, .gz, .bz2 or .xz; "
                                        "whitespace-separated tokens, one sentence per line."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the vectors (word2vec format)."),
    model: str = typer.Option("sg", "--model", help="sg (skip-gram) or cbow."),
    cbow: Optional[int] = typer.Option(None, "--cbow", help="word2vec.c style: 1 for CBOW, 0 for skip-gram; "
                                       "overrides --model."),
    dim: int = typer.Option(100, "--dim", "--size", help="Vector dimensions."),
    window: int = typer.Option(5, "--window", help="Maximum distance to a context word "
                               "(each centre word draws its window uniformly from 1..window)."),
    negative: int = typer.Option(5, "--negative", help="Negative samples per centre word."),
    sample: float = typer.Option(1e-3, "--sample", help="Subsampling threshold for frequent words (0: off)."),
    min_count: int = typer.Option(5, "--min-count", help="Ignore words seen fewer times than this."),
    max_vocab_size: int = typer.Option(0, "--max-vocab-size", help="Prune the rarest words while counting "
                                       "whenever more than this many are held (0: no limit)."),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="Starting learning rate "
                                          "\\[default: 0.025 for sg, 0.05 for cbow]."),
    min_alpha: Optional[float] = typer.Option(None, "--min-alpha", help="Final learning rate "
                                              "\\[default: 0.0001 x alpha]."),
    epochs: int = typer.Option(5, "--epochs", "--iter", help="Passes over the corpus."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Worker threads \\[default: all cores]."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed and --threads 1: same vectors)."),
    ns_exponent: float = typer.Option(0.75, "--ns-exponent", help="Exponent of the unigram "
                                      "distribution negatives are drawn from."),
    max_sentence_length: int = typer.Option(10000, "--max-sentence-length", help="Cut longer lines "
                                            "into sentences of at most this many tokens."),
    batching: str = typer.Option("shared-negatives", "--batching", help="Skip-gram update rule: "
                                 "shared-negatives (one negative set per centre word) or none "
                                 "(word2vec.c's per-pair rule)."),
    binary: bool = typer.Option(False, "--binary", help="Write word2vec.c's binary format instead of text."),
    save_vocab: Optional[Path] = typer.Option(None, "--save-vocab", help="Also write the vocabulary "
                                              "('word count' per line)."),
    read_vocab: Optional[Path] = typer.Option(None, "--read-vocab", help="Use this vocabulary file "
                                              "instead of counting the corpus."),
    classes: int = typer.Option(0, "--classes", help="Also cluster the vectors into this many word "
                                "classes (spherical k-means, as word2vec.c's -classes) and write "
                                "'word class' lines to --classes-output (0: off)."),
    classes_output: Optional[Path] = typer.Option(None, "--classes-output", help="Where --classes "
                                                  "writes \\[default: OUTPUT.classes.txt]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Train word vectors on CORPUS and write them to --output."""
    from .training import train as train_model
    from .vectors import check_output_path

    check_output_path(output)
    if classes < 0:
        raise FastW2VError(f"--classes must be 0 (off) or positive (got {classes})")
    if classes:
        classes_output = classes_output or output.with_name(output.name + ".classes.txt")
        check_output_path(classes_output)
    if cbow is not None:
        if cbow not in (0, 1):
            raise FastW2VError(f"--cbow must be 0 or 1 (got {cbow})")
        model = "cbow" if cbow else "sg"
    trained = train_model(
        [str(p) for p in corpus], vocab=read_vocab, save_vocab=save_vocab, progress=not quiet,
        model=model, dim=dim, window=window, negative=negative, sample=sample,
        min_count=min_count, max_vocab_size=max_vocab_size, alpha=alpha, min_alpha=min_alpha,
        epochs=epochs, threads=threads, seed=seed, ns_exponent=ns_exponent,
        max_sentence_length=max_sentence_length, batching=batching)
    if classes:
        from .classes import kmeans_classes, save_classes

        if classes > len(trained.words):
            raise FastW2VError(f"--classes {classes} is more than the {len(trained.words)} words trained")
        save_classes(classes_output, trained.words,
                     kmeans_classes(trained.input_vectors, classes, seed=seed))
    trained.save(output, binary=binary)
    if not quiet:
        print(f"wrote {len(trained.words):,} vectors of {trained.options.dim} dimensions to {output}",
              file=sys.stderr)


_LIMIT_HELP = "Read only the first N vectors of the file."


@app.command("eval", no_args_is_help=True)
def eval_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary; .gz/.bz2/.xz too)."),
    analogies: Optional[Path] = typer.Option(None, "--analogies", help="Analogy questions "
                                             "(questions-words.txt format); by default data/questions-words.txt "
                                             "when neither --analogies nor --similarity is given."),
    similarity: Optional[List[Path]] = typer.Option(None, "--similarity", help="Word-pair file "
                                                    "('word1 word2 score'), repeatable; by default "
                                                    "data/wordsim353.tsv and data/simlex999.txt when neither "
                                                    "--analogies nor --similarity is given."),
    restrict_vocab: int = typer.Option(30000, "--restrict-vocab", help="Analogies: only the first N "
                                       "words are candidates; questions with other words are skipped "
                                       "(0: all words)."),
    case_insensitive: bool = typer.Option(True, "--case-insensitive/--case-sensitive", help="Compare "
                                          "words upper-cased, as gensim and word2vec.c do."),
    method: str = typer.Option("3cosadd", "--method", help="Analogy rule: 3cosadd or 3cosmul."),
    limit: Optional[int] = typer.Option(None, "--limit", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Judge VECTORS: analogy accuracy and word-pair similarity correlations."""
    from .evaluate import evaluate

    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    report = evaluate(str(vectors), analogies, similarity, restrict_vocab=restrict_vocab,
                      case_insensitive=case_insensitive, method=method, limit=limit)
    print(report.to_json() if as_json else report.format())


@app.command(no_args_is_help=True)
def similar(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    words: List[str] = typer.Argument(..., help="Words to look near (their mean)."),
    negative: Optional[List[str]] = typer.Option(None, "--negative", help="Word to look away from; "
                                                 "repeatable."),
    topn: int = typer.Option(10, "-n", "--topn", help="How many neighbours to show."),
    restrict_vocab: int = typer.Option(0, "--restrict-vocab", help="Search only the first N words "
                                       "(0: all)."),
    limit: Optional[int] = typer.Option(None, "--limit", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Nearest neighbours of WORDS (minus --negative words) by cosine similarity."""
    from .query import load_vectors

    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    wv = load_vectors(vectors, limit=limit)
    found = wv.most_similar(words, negative or [], topn=topn, restrict_vocab=restrict_vocab)
    _print_neighbours(found, "cosine", as_json)


@app.command(no_args_is_help=True)
def analogy(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    a: str = typer.Argument(..., help="A, as in: A is to B as C is to ?"),
    b: str = typer.Argument(..., help="B"),
    c: str = typer.Argument(..., help="C"),
    topn: int = typer.Option(10, "-n", "--topn", help="How many answers to show."),
    method: str = typer.Option("3cosadd", "--method", help="3cosadd (cosine with B - A + C) or 3cosmul."),
    restrict_vocab: int = typer.Option(0, "--restrict-vocab", help="Search only the first N words "
                                       "(0: all)."),
    limit: Optional[int] = typer.Option(None, "--limit", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """A is to B as C is to ?  (e.g. man king woman -> queen)"""
    from .query import check_method, load_vectors

    method = check_method(method)
    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    wv = load_vectors(vectors, limit=limit)
    found = wv.analogy(a, b, c, topn=topn, method=method, restrict_vocab=restrict_vocab)
    _print_neighbours(found, "cosine" if method == "3cosadd" else "3cosmul", as_json)


@app.command(no_args_is_help=True)
def phrases(
    corpus: List[Path] = typer.Argument(..., help="Corpus files: plain text, .gz, .bz2 or .xz; "
                                        "whitespace-separated tokens, one sentence per line."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the phrased corpus "
                                "(compressed when the name ends in .gz, .bz2 or .xz)."),
    threshold: Optional[List[float]] = typer.Option(None, "--threshold", help="Join a pair whose "
                                                    "score is above this; one value for every pass "
                                                    "or one per pass (repeat the option) "
                                                    "\\[default: 100]."),
    min_count: int = typer.Option(5, "--min-count", help="Ignore words and pairs seen fewer times than this."),
    passes: int = typer.Option(2, "--passes", help="Passes; each can extend phrases by one more word."),
    delimiter: str = typer.Option("_", "--delimiter", help="Put between the words of a phrase."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Join frequent collocations (new york -> new_york), as word2vec.c's word2phrase.

    Score of a pair: (count(a b) - min_count) / count(a) / count(b) * total_words.
    """
    from .corpus import Corpus
    from .phrases import phrase_corpus
    from .progress import Display, format_rate

    display = Display(not quiet)
    summaries = phrase_corpus(Corpus(corpus), output, passes=passes, threshold=threshold or [100.0],
                              min_count=min_count, delimiter=delimiter, progress=display)
    words = sum(s["words"] for s in summaries)
    seconds = sum(s["seconds"] for s in summaries)
    display.line(f"wrote {output}: {sum(s['joined'] for s in summaries):,} joins in {len(summaries)} "
                 f"pass{'es' if len(summaries) != 1 else ''}, {seconds:.1f} s "
                 f"({format_rate(words / max(seconds, 1e-9))})")


@app.command(no_args_is_help=True)
def classes(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    k: int = typer.Option(..., "-k", "--classes", help="Number of classes."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write 'word class_id' per line."),
    iterations: int = typer.Option(10, "--iterations", help="Most k-means rounds (as word2vec.c: 10)."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed: same classes)."),
    limit: Optional[int] = typer.Option(None, "--limit", help=_LIMIT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Cluster the words of VECTORS into K classes (spherical k-means, as word2vec.c -classes)."""
    import time

    from .classes import kmeans_classes, save_classes
    from .progress import Display
    from .query import load_vectors
    from .vectors import check_output_path

    _check_counts(limit=limit)
    check_output_path(output)
    start = time.perf_counter()
    wv = load_vectors(vectors, limit=limit)
    labels = kmeans_classes(wv.vectors, k, iterations=iterations, seed=seed)
    save_classes(output, wv.words, labels)
    Display(not quiet).line(f"wrote {output}: {len(wv.words):,} words in {k:,} classes, "
                            f"{time.perf_counter() - start:.1f} s")


def _check_counts(**counts: Optional[int]) -> None:
    for name, value in counts.items():
        if value is not None and value < 0:
            raise FastW2VError(f"--{name.replace('_', '-')} must be 0 or more (got {value})")


def _print_neighbours(found: list, score_name: str, as_json: bool) -> None:
    if as_json:
        import json

        print(json.dumps([{"word": w, score_name: s} for w, s in found], ensure_ascii=False))
        return
    width = max([len("word")] + [len(w) for w, _ in found])
    print(f"{'word':<{width}}  {score_name:>8}")
    print("-" * (width + 10))
    for word, score in found:
        print(f"{word:<{width}}  {score:>8.4f}")

def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastw2v`` script."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="fastw2v", standalone_mode=False)
    except FastW2VError as exc:
        print(f"fastw2v: error: {exc}", file=sys.stderr)
        return _exit(2)
    except _UsageProblem as exc:
        print(f"fastw2v: error: {exc.format_message()}", file=sys.stderr)
        return _exit(getattr(exc, "exit_code", 2) or 2)
    except (typer.Abort, KeyboardInterrupt):
        print("fastw2v: interrupted", file=sys.stderr)
        return _exit(130)
    return _exit(result if isinstance(result, int) else 0)


def _exit(code: int) -> int:
    if __name__ == "__main__" or sys.argv and Path(sys.argv[0]).name == "fastw2v":
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
