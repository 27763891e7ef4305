"""The ``fastw2v`` command line: a thin layer over the Python API.

Every problem the user can fix is reported as one line, ``fastw2v: error: ...``,
with exit status 2 and no traceback; no output file is written in that case.
"""

from __future__ import annotations

import ctypes
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
    ctx: typer.Context,
    corpus: Optional[List[Path]] = typer.Argument(None, help="Corpus files: plain text, .gz, .bz2 or .xz; "
                                                  "whitespace-separated tokens, one sentence per line."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write the vectors "
                                          "(word2vec format). Required, except with --resume."),
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
    loss: str = typer.Option("ns", "--loss", help="Output layer: ns (negative sampling), nce "
                             "(noise-contrastive estimation with a bias per word, as "
                             "tf.nn.nce_loss) or hs (hierarchical softmax, as word2vec.c -hs 1)."),
    hs: Optional[int] = typer.Option(None, "--hs", help="word2vec.c style: 1 for --loss hs "
                                     "(hierarchical softmax alone; --negative is then unused)."),
    save_output: Optional[Path] = typer.Option(None, "--save-output", help="Also write the output "
                                               "vectors (word2vec format); with --loss nce also "
                                               "'word bias' lines to FILE.biases.txt."),
    export: str = typer.Option("in", "--export", help="What --output holds: in (input vectors), "
                               "out (output vectors) or in+out (their sum); hs has only in."),
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
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Keep the encoded corpus in "
                                             "this directory (created private) as a token cache that "
                                             "later runs on the same files reuse \\[default: a private "
                                             "temporary cache, removed when the run ends]."),
    tmp_dir: Optional[Path] = typer.Option(None, "--tmp-dir", help="Where the temporary cache goes "
                                           "\\[default: the system's temporary directory, $TMPDIR]."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Hold the encoded corpus in memory and "
                                  "write no cache."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Where checkpoints are "
                                              "written \\[default: OUTPUT.checkpoint]."),
    checkpoint_every: Optional[float] = typer.Option(None, "--checkpoint-every", help="Write a "
                                                     "checkpoint every this many minutes and at each "
                                                     "epoch end (without it: only on an interrupt)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue the run saved in this "
                                          "checkpoint (its corpus, options and output are used)."),
    report_loss: bool = typer.Option(False, "--report-loss", help="Compute the training loss: shown "
                                     "while training, printed per epoch, written to --log."),
    log: Optional[Path] = typer.Option(None, "--log", help="Append a JSON-lines training log here "
                                       "(one record per epoch)."),
    eval_every_epoch: bool = typer.Option(False, "--eval-every-epoch", help="Score the vectors after "
                                          "each epoch (--analogies/--similarity, or the shipped sets)."),
    analogies: Optional[Path] = typer.Option(None, "--analogies", help="With --eval-every-epoch: "
                                             "analogy questions file."),
    similarity: Optional[List[Path]] = typer.Option(None, "--similarity", help="With "
                                                    "--eval-every-epoch: word-pair file; repeatable."),
    dask: Optional[str] = typer.Option(None, "--dask", help="Train on a Dask cluster, one shard of "
                                       "the corpus per worker: the scheduler's address "
                                       "(tcp://host:8786) or local:N (N local worker processes, "
                                       "--threads each, default 1). See docs/distributed.md."),
    sync_every: Optional[str] = typer.Option(None, "--sync-every", help="With --dask: corpus words "
                                             "each worker trains between syncs of the replicas, or "
                                             "'epoch' (once per epoch, as Spark MLlib) \\[default: 100000]."),
    sync_merge: str = typer.Option("sum", "--sync-merge", help="With --dask: merge the workers' "
                                   "changes by their sum, or their average (Spark MLlib's rule)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Train word vectors on CORPUS and write them to --output.

    Ctrl-C (or SIGTERM) stops within seconds and writes a checkpoint; continue
    with --resume CHECKPOINT.
    """
    from .files import check_output_path
    from .training.driver import RunControl
    from .training.driver import resume as resume_run
    from .training.driver import train as train_model
    from .training.export import biases_path, check_export, save_output_vectors
    from .training.log import TrainingLog

    if resume is not None:
        from .training.checkpoint import read_header

        fixed = [p for p in _TRAINING_OPTIONS if ctx.get_parameter_source(p).name != "DEFAULT"]
        if fixed:
            raise FastW2VError(f"--{fixed[0].replace('_', '-')} cannot be changed when resuming: "
                               "the checkpoint's training options are used")
        saved = _saved_run(read_header(resume), resume)
        output = output or Path(saved["output"])
        binary = binary or saved.get("binary", False)
        classes = classes or saved.get("classes", 0)
        classes_output = classes_output or (Path(saved["classes_output"])
                                            if saved.get("classes_output") else None)
    elif not corpus:
        raise FastW2VError("no corpus file given (or --resume CHECKPOINT)")
    if output is None:
        raise FastW2VError("missing option '--output' / '-o'")
    check_output_path(output)
    auto_checkpoint = checkpoint is None and (resume is None or saved.get("auto_checkpoint", False))
    checkpoint = checkpoint or resume or output.with_name(output.name + ".checkpoint")
    check_output_path(checkpoint)
    if checkpoint_every is not None and not checkpoint_every > 0:
        raise FastW2VError(f"--checkpoint-every must be a positive number of minutes (got {checkpoint_every})")
    if log is not None:
        check_output_path(log)
    if classes < 0:
        raise FastW2VError(f"--classes must be 0 (off) or positive (got {classes})")
    if classes:
        classes_output = classes_output or output.with_name(output.name + ".classes.txt")
        check_output_path(classes_output)
    if cbow is not None:
        if cbow not in (0, 1):
            raise FastW2VError(f"--cbow must be 0 or 1 (got {cbow})")
        model = "cbow" if cbow else "sg"
    if resume is not None:
        loss = saved.get("loss", "ns")
        save_output = save_output or (Path(saved["save_output"]) if saved.get("save_output") else None)
        export = export if ctx.get_parameter_source("export").name != "DEFAULT" else saved.get("export", "in")
    loss = _loss_option(loss, hs)
    check_export(loss, export, save_output)
    if save_output is not None:
        check_output_path(save_output)
        if save_output.resolve() == output.resolve():
            raise FastW2VError(f"--save-output {save_output} is the same file as --output")
        if loss == "nce":
            check_output_path(biases_path(save_output))
    if dask is not None:
        _check_dask_options(ctx)
    control = RunControl(report_loss=report_loss, checkpoint=checkpoint,
                         checkpoint_every=checkpoint_every)
    control.checkpoint_info["cli"] = {
        "output": str(output.resolve()), "binary": binary, "classes": classes,
        "classes_output": str(classes_output.resolve()) if classes_output else None,
        "auto_checkpoint": auto_checkpoint, "loss": loss, "export": export,
        "save_output": str(save_output.resolve()) if save_output else None}
    if eval_every_epoch:
        control.on_epoch = _epoch_scorer(analogies, similarity, quiet)
    if log is not None:
        control.log = TrainingLog(log)
    try:
        if resume is not None:
            trained = resume_run(resume, cache_dir=cache_dir, tmp_dir=tmp_dir, in_memory=no_cache,
                                 control=control, progress=not quiet)
        elif dask is not None:
            from .training.distributed import SYNC_WORDS, train_distributed

            trained = train_distributed(
                [str(p) for p in corpus], dask, vocab=read_vocab, save_vocab=save_vocab,
                progress=not quiet, sync_words=sync_every or SYNC_WORDS, merge=sync_merge,
                model=model, dim=dim, window=window, negative=negative, sample=sample,
                min_count=min_count, max_vocab_size=max_vocab_size, alpha=alpha,
                min_alpha=min_alpha, epochs=epochs, threads=threads, seed=seed,
                ns_exponent=ns_exponent, max_sentence_length=max_sentence_length,
                batching=batching, loss=loss)
        else:
            trained = train_model(
                [str(p) for p in corpus], vocab=read_vocab, save_vocab=save_vocab,
                progress=not quiet, cache_dir=cache_dir, tmp_dir=tmp_dir, in_memory=no_cache,
                control=control,
                model=model, dim=dim, window=window, negative=negative, sample=sample,
                min_count=min_count, max_vocab_size=max_vocab_size, alpha=alpha,
                min_alpha=min_alpha, epochs=epochs, threads=threads, seed=seed,
                ns_exponent=ns_exponent, max_sentence_length=max_sentence_length,
                batching=batching, loss=loss)
    finally:
        if control.log is not None:
            control.log.close()
    if classes:
        from .vectors.classes import kmeans_classes, save_classes

        if classes > len(trained.words):
            raise FastW2VError(f"--classes {classes} is more than the {len(trained.words)} words trained")
        save_classes(classes_output, trained.words,
                     kmeans_classes(trained.input_vectors, classes, seed=seed))
    trained.save(output, binary=binary, export=export)
    if save_output is not None:
        save_output_vectors(trained, save_output, binary=binary)
    if not quiet:
        print(f"wrote {len(trained.words):,} vectors of {trained.options.dim} dimensions to {output}",
              file=sys.stderr)
    if auto_checkpoint and checkpoint_every is None:
        Path(checkpoint).unlink(missing_ok=True)  # an interrupt's checkpoint, now used up


# What a checkpoint written by the CLI keeps of its run, and the types each must have.
_SAVED_RUN = {"output": (str,), "binary": (bool,), "classes": (int,), "classes_output": (str, type(None)),
              "auto_checkpoint": (bool,), "loss": (str,), "export": (str,), "save_output": (str, type(None))}


def _saved_run(header: dict, path: Path) -> dict:
    """The ``cli`` facts of a checkpoint, checked: it is a file from disk, not trusted."""
    from .training.export import check_export

    saved = header["info"].get("cli")
    if not isinstance(saved, dict) or not isinstance(saved.get("output"), str):
        raise FastW2VError(f"cannot resume from {path}: the checkpoint names no output file "
                           "(it was not written by the fastw2v command)")
    for name, types in _SAVED_RUN.items():
        if name in saved and not (isinstance(saved[name], types) and not
                                  (isinstance(saved[name], bool) and bool not in types)):
            raise FastW2VError(f"cannot read checkpoint {path}: its saved {name} is {saved[name]!r}")
    for name in ("output", "classes_output", "save_output"):
        if "\0" in (saved.get(name) or ""):
            raise FastW2VError(f"cannot read checkpoint {path}: its saved {name} holds a NUL byte")
    trained = header["options"].get("loss", "ns")
    if saved.get("loss", "ns") != trained:
        raise FastW2VError(f"cannot read checkpoint {path}: its saved loss {saved.get('loss', 'ns')!r} "
                           f"is not its training loss {trained!r}")
    if saved.get("classes", 0) < 0:
        raise FastW2VError(f"cannot read checkpoint {path}: its saved classes is {saved['classes']}")
    try:
        check_export(trained, saved.get("export", "in"), saved.get("save_output"))
    except FastW2VError as exc:
        raise FastW2VError(f"cannot read checkpoint {path}: its saved output settings: {exc}") from None
    return saved


# Options that shape training; a resumed run takes them from its checkpoint.
_TRAINING_OPTIONS = ("corpus", "model", "cbow", "dim", "window", "negative", "sample", "min_count",
                     "max_vocab_size", "alpha", "min_alpha", "epochs", "seed", "ns_exponent",
                     "max_sentence_length", "batching", "read_vocab", "save_vocab", "loss", "hs")


def _check_dask_options(ctx: typer.Context) -> None:
    """Options of a single-machine run that --dask does not offer."""
    for name in ("resume", "checkpoint", "checkpoint_every", "cache_dir", "tmp_dir", "report_loss", "log",
                 "eval_every_epoch"):
        if ctx.get_parameter_source(name).name != "DEFAULT":
            raise FastW2VError(f"--{name.replace('_', '-')} is not available with --dask")


def _loss_option(loss: str, hs: Optional[int]) -> str:
    """--loss, with word2vec.c's --hs 1 as an alias for --loss hs."""
    from .engine.losses import LOSSES

    if hs is not None:
        if hs not in (0, 1):
            raise FastW2VError(f"--hs must be 0 or 1 (got {hs})")
        if hs == 1 and loss not in ("ns", "hs"):
            raise FastW2VError(f"--hs 1 means --loss hs; it conflicts with --loss {loss}")
        if hs == 1:
            loss = "hs"
    if loss not in LOSSES:
        raise FastW2VError(f"unknown --loss {loss!r} (choose ns, nce or hs)")
    return loss


def _epoch_scorer(analogies: Optional[Path], similarity: Optional[List[Path]], quiet: bool):
    """An ``on_epoch`` callback adding evaluation scores to each epoch's log record."""
    from .progress import Display
    from .vectors.evaluate import (
        DEFAULT_ANALOGIES,
        DEFAULT_SIMILARITY,
        default_data_file,
        evaluate,
        read_analogies,
        read_word_pairs,
    )
    from .vectors.query import WordVectors

    if analogies is None and not similarity:
        analogies = default_data_file(DEFAULT_ANALOGIES)
        similarity = [default_data_file(f) for f in DEFAULT_SIMILARITY]
    if analogies is not None:  # a bad file fails now, not after the first epoch
        read_analogies(analogies)
    for path in similarity or []:
        read_word_pairs(path)
    display = Display(not quiet)

    def on_epoch(model, record: dict) -> None:
        report = evaluate(WordVectors(model.words, model.input_vectors), analogies, similarity)
        record["scores"] = report.scores()
        shown = ", ".join(f"{k} {v:.4f}" if v is not None else f"{k} -" for k, v in record["scores"].items())
        display.line(f"epoch {record['epoch']}/{record['epochs']}: {shown}")

    return on_epoch


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
    from .vectors.evaluate import evaluate

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
    from .vectors.query import load_vectors

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
    from .vectors.query import check_method, load_vectors

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
    from .progress import Display, format_rate
    from .text.corpus import Corpus
    from .text.phrases import phrase_corpus

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

    from .files import check_output_path
    from .progress import Display
    from .vectors.classes import kmeans_classes, save_classes
    from .vectors.query import load_vectors

    _check_counts(limit=limit)
    check_output_path(output)
    start = time.perf_counter()
    wv = load_vectors(vectors, limit=limit)
    labels = kmeans_classes(wv.vectors, k, iterations=iterations, seed=seed)
    save_classes(output, wv.words, labels)
    Display(not quiet).line(f"wrote {output}: {len(wv.words):,} words in {k:,} classes, "
                            f"{time.perf_counter() - start:.1f} s")


@app.command("plot", no_args_is_help=True)
def plot_command(
    log: Path = typer.Argument(..., help="Training log (JSON lines, one object per epoch)."),
    output: Path = typer.Option(..., "--output", "-o", help="Image to write (.png, .svg or .pdf)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Draw loss per word and evaluation scores per epoch from a training LOG."""
    from .pictures.plots import check_figure_path, plot_training_log
    from .progress import Display

    check_figure_path(output)
    drawn = plot_training_log(log, output)
    last = drawn.epochs[-1]
    scores = last.get("scores") if isinstance(last.get("scores"), dict) else {}
    shown = "".join(f", {k} {v:.3f}" for k, v in scores.items() if isinstance(v, (int, float)))
    loss = last.get("loss_per_word")
    Display(not quiet).line(f"wrote {output}: {len(drawn.epochs)} epochs"
                            + (f", loss per word {loss:.4f}" if isinstance(loss, (int, float)) else "")
                            + shown)


@app.command("map", no_args_is_help=True)
def map_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    output: Path = typer.Option(..., "--output", "-o", help="Image to write (.png, .svg or .pdf)."),
    words: Optional[str] = typer.Option(None, "--words", help="Words to draw, separated by commas "
                                        "(or spaces); words not in the vectors are skipped with a "
                                        "warning."),
    top: Optional[int] = typer.Option(None, "--top", help="Draw the N first (most frequent) words "
                                      "\\[default: 100 when --words is not given]."),
    method: str = typer.Option("pca", "--method", help="pca or tsne."),
    perplexity: float = typer.Option(30.0, "--perplexity", help="t-SNE: neighbours each point "
                                     "weighs (at most (words - 1) / 3)."),
    seed: int = typer.Option(1, "--seed", help="t-SNE: random seed (same seed: same map)."),
    limit: Optional[int] = typer.Option(None, "--limit", help=_LIMIT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Draw a labelled 2-D map of words of VECTORS (PCA or t-SNE)."""
    import time

    from .pictures.plots import (
        DEFAULT_TOP,
        MAP_MAX_WORDS,
        check_figure_path,
        parse_words,
        plot_word_map,
    )
    from .pictures.projection import check_method
    from .progress import Display
    from .vectors.query import load_vectors

    _check_counts(limit=limit, seed=seed)
    method = check_method(method)
    check_figure_path(output)
    chosen = parse_words(words) if words is not None else None
    if chosen is not None and top is not None:
        raise FastW2VError("give either --words or --top, not both")
    if chosen is None and top is not None and not 2 <= top <= MAP_MAX_WORDS:
        raise FastW2VError(f"--top must be from 2 to {MAP_MAX_WORDS} (got {top}); "
                           f"export-projector suits more words")
    start = time.perf_counter()
    if chosen is None:  # only the first --top words are needed
        top = top or DEFAULT_TOP
        limit = top if limit is None else min(limit, top)
    wv = load_vectors(vectors, limit=limit)
    drawn = plot_word_map(wv, output, chosen, top, method, perplexity=perplexity, seed=seed,
                          source=vectors.name)
    if drawn.missing:
        print(f"fastw2v: warning: not in the vectors, skipped: {', '.join(drawn.missing)}", file=sys.stderr)
    Display(not quiet).line(f"wrote {output}: {len(drawn.words)} words by "
                            f"{'PCA' if method == 'pca' else 't-SNE'}, {time.perf_counter() - start:.1f} s")


@app.command("export-projector", no_args_is_help=True)
def export_projector_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    directory: Path = typer.Argument(..., help="Directory for vectors.tsv and metadata.tsv "
                                     "(created if missing)."),
    top: Optional[int] = typer.Option(None, "--top", help="Export only the N first (most frequent) "
                                      "words \\[default: all]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Write VECTORS as the TensorFlow Embedding Projector's vectors.tsv and metadata.tsv."""
    from .pictures.projector import check_projector_dir, export_projector
    from .progress import Display
    from .vectors.query import load_vectors

    if top is not None and top < 1:
        raise FastW2VError(f"--top must be 1 or more (got {top})")
    check_projector_dir(directory)
    wv = load_vectors(vectors, limit=top)
    vectors_path, metadata_path = export_projector(wv.words, wv.vectors, directory)
    Display(not quiet).line(f"wrote {vectors_path} and {metadata_path.name}: {len(wv.words):,} words, "
                            f"{wv.dim} dimensions (load both at https://projector.tensorflow.org)")


@app.command("cache")
def cache_command(
    directories: Optional[List[Path]] = typer.Argument(None, help="Cache directories (given to "
                                                      "train --cache-dir) \\[default: the temporary "
                                                      "caches kept for checkpoints or left by killed runs]."),
    clear: bool = typer.Option(False, "--clear", help="Remove the entries listed."),
    older_than: Optional[str] = typer.Option(None, "--older-than", help="Only entries last used "
                                             "longer ago than this: a number with s, m, h or d "
                                             "(plain number: days), e.g. 7d or 12h."),
    tmp_dir: Optional[Path] = typer.Option(None, "--tmp-dir", help="Where temporary caches are "
                                           "looked for \\[default: the system's temporary directory]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No table; with --clear, no summary."),
) -> None:
    """List the token caches (encoded corpora) fastw2v keeps on disk, or remove them.

    Only entries of the user running the command are listed and removed.
    """
    from .progress import Display
    from .text.cache import age_seconds, list_entries, remove_entry, run_directories

    min_age = _parse_age(older_than) if older_than is not None else 0.0
    entries = []
    if directories:
        for d in directories:
            if not d.is_dir():
                raise FastW2VError(f"cache directory not found: {d}")
            entries += list_entries(d)
    else:
        for d in run_directories(tmp_dir):
            entries += list_entries(d, run_directory=True)
    entries = [e for e in entries if age_seconds(e) >= min_age]
    display = Display(not quiet)
    if not quiet:
        _print_cache_table(entries)
    if clear:
        for e in entries:
            remove_entry(e)
        display.line(f"removed {len(entries)} entr{'ies' if len(entries) != 1 else 'y'} "
                     f"({sum(e.bytes for e in entries) / 1e6:,.1f} MB)")


def _parse_age(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "d")
    try:
        age = float(value) * units[unit]
    except ValueError:
        age = -1.0
    if not age >= 0 or age == float("inf"):
        raise FastW2VError(f"--older-than must be a number of days, or a number with s, m, h or d "
                           f"(got {text!r})")
    return age


def _print_cache_table(entries: list) -> None:
    from .text.cache import age_seconds

    def age(seconds: float) -> str:
        for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
            if seconds >= size:
                return f"{seconds / size:.0f} {unit} ago"
        return "just now"

    if not entries:
        print("no token cache entries")
        return
    rows = [(str(e.directory / e.name), f"{e.words:,}" if e.words is not None else "incomplete",
             f"{e.bytes / 1e6:,.1f} MB", age(age_seconds(e)),
             (e.corpus[0] + (f" (+{len(e.corpus) - 1} more)" if len(e.corpus) > 1 else "")) if e.corpus else "?")
            for e in entries]
    head = ("entry", "words", "size", "last used", "corpus")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]
    for row in [head] + rows:
        print("  ".join(c.ljust(w) if i in (0, 3, 4) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    print(f"{len(entries)} entr{'ies' if len(entries) != 1 else 'y'}, "
          f"{sum(e.bytes for e in entries) / 1e6:,.1f} MB")


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
    _fixed_mmap_threshold()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="fastw2v", standalone_mode=False)
    except FastW2VError as exc:
        code = getattr(exc, "exit_code", 2)
        # One line, whatever the message holds: a file name read from a file may break lines.
        message = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        print(f"fastw2v: {'error: ' if code == 2 else ''}{message}", file=sys.stderr)
        return _exit(code)
    except _UsageProblem as exc:
        print(f"fastw2v: error: {exc.format_message()}", file=sys.stderr)
        return _exit(getattr(exc, "exit_code", 2) or 2)
    except (typer.Abort, KeyboardInterrupt):
        print("fastw2v: interrupted", file=sys.stderr)
        return _exit(130)
    return _exit(result if isinstance(result, int) else 0)


# glibc's mallopt parameter number for the mmap threshold.
_M_MMAP_THRESHOLD = -3


def _fixed_mmap_threshold() -> None:
    """Keep glibc's mmap threshold at its default of 128 KiB.

    By default glibc raises the threshold to the size of each large block it
    frees, so later blocks of that size come from the heap and stay in the
    process after they are freed. Reading and counting gutenberg_100M left 38 MB
    behind that way, and the peak grew with it. With a fixed threshold, blocks of
    128 KiB and more are mapped and unmapped on their own. This only affects
    glibc; elsewhere it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        pass


def _exit(code: int) -> int:
    if __name__ == "__main__" or sys.argv and Path(sys.argv[0]).name == "fastw2v":
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
