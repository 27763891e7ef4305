"""The ``fastw2v`` command line: a thin layer over the Python API.

Every problem the user can fix is reported as one line, ``fastw2v: error: ...``,
with exit status 2 and no traceback; no output file is written in that case.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import inspect
import signal
import sys
import threading
import typing
from pathlib import Path
from typing import List, Optional

import typer

from .errors import FastW2VError, Interrupted
from .training.options import CHOICES, TrainOptions

try:  # typer >= 0.2x carries its own copy of click
    from typer import TyperException as _UsageProblem
except ImportError:  # older typer: click's exceptions
    from click import ClickException as _UsageProblem


# ---------------------------------------------------------------- help
# How --help names the value an option takes. Recent typer names it by its Python
# type (<int>, <list[Path]>, and <bool> even for a flag, which takes none); this
# command line names it as common ones do: INTEGER, FLOAT, TEXT, FILE, DIR, or the
# word or choices its declaration gives (metavar="N", "sg|cbow"), nothing for a flag.
_VALUE_NAMES = {int: "INTEGER", float: "FLOAT", str: "TEXT", Path: "FILE"}
_DIRECTORIES = {"cache_dir", "tmp_dir", "directory", "directories"}  # the parameters naming directories


def _value_name(param) -> str:
    if param.name in _DIRECTORIES:
        return "DIR"
    described = getattr(param, "type_descriptor", None)  # recent typer: the annotation
    if described is not None:
        kind = typing.get_args(described.annotation)[0] if described.is_list else described.annotation
    else:  # older typer: a click type
        kind = {"integer": int, "float": float, "path": Path}.get(getattr(param.type, "name", ""), str)
    return _VALUE_NAMES.get(kind, "TEXT")


def _name_values(params: list) -> None:
    """Give each parameter a readable metavar (once: a given one is kept). An argument
    is shown by its name in capitals (CORPUS), with the kind of value beside it."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif isinstance(param, typer.core.TyperArgument):
            # Recent typer only (older typer already shows CORPUS... and PATH): the name,
            # and the kind of value in the column where typer puts its type.
            if param.metavar is None and hasattr(param, "display_type_rich"):
                kind = _value_name(param) + ("..." if param.nargs != 1 else "")
                param.metavar = param.name.upper()
                param.display_type_rich = lambda ctx, kind=kind: kind
        elif param.metavar is None:
            param.metavar = _value_name(param)


class _ReadableHelp:
    """For typer's command classes: readable value names in --help (see above)."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _name_values(params)
        return params


class _Command(_ReadableHelp, typer.core.TyperCommand):
    pass


class _Group(_ReadableHelp, typer.core.TyperGroup):
    pass


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train word2vec embeddings (skip-gram and CBOW) fast on multicore CPUs.",
)


@app.callback()
def _root() -> None:
    """Train word2vec embeddings (skip-gram and CBOW) fast on multicore CPUs."""


# Parameters (of the library's functions) whose flag is not their name with dashes.
_FLAGS = {
    "continue_from": "--continue",
    "k": "-k",  # classes: kmeans_classes(vectors, k)
    "sync_words": "--sync-every",  # train_distributed(..., sync_words=)
    "client": "--dask",  # train_distributed(corpus, client)
}


def flag_of(field: str) -> str:
    """The command line's flag for a field named in a :class:`FastW2VError`: a field of
    :class:`fastw2v.TrainOptions`, of ``train``, or a library function's parameter
    (``min_count``: ``--min-count``, ``k``: ``-k``)."""
    return _FLAGS.get(field) or "--" + field.replace("_", "-")


def train(
    ctx: typer.Context,
    corpus: Optional[List[Path]] = typer.Argument(None, help="Corpus files: plain text, .gz, .bz2, .xz or "
                                                  ".zst; - for standard input, or a pipe (read once, "
                                                  "compression told by its first bytes). "
                                                  "Whitespace-separated tokens, one sentence per line."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write the vectors "
                                          "(word2vec format). Required, except with --resume."),
    cbow: Optional[int] = typer.Option(None, "--cbow", metavar="0|1", help="word2vec.c style: 1 for CBOW, "
                                       "0 for skip-gram; overrides --model."),
    hs: Optional[int] = typer.Option(None, "--hs", metavar="0|1", help="word2vec.c style: 1 for --loss hs "
                                     "(hierarchical softmax alone; --negative is then unused)."),
    save_output: Optional[Path] = typer.Option(None, "--save-output", help="Also write the output "
                                               "vectors (word2vec format); with --loss nce also "
                                               "'word bias' lines to FILE.biases.txt."),
    export: str = typer.Option("in", "--export", metavar="in|out|in+out", help="What --output holds: in "
                               "(input vectors), out (output vectors) or in+out (their sum); hs has "
                               "only in."),
    binary: bool = typer.Option(False, "--binary", help="Write word2vec.c's binary format instead of text."),
    save_vocab: Optional[Path] = typer.Option(None, "--save-vocab", help="Also write the vocabulary "
                                              "('word count' per line)."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Also write the whole model "
                                              "(vocabulary and counts, both layers, options) in "
                                              "fastText's .bin format, plus FILE.fastw2v.json: "
                                              "--continue trains it further; fastText and gensim "
                                              "load it."),
    continue_from: Optional[Path] = typer.Option(None, "--continue", help="Train this saved model "
                                                 "(--save-model) further on CORPUS: its words keep "
                                                 "their vectors, counts are added, its options are "
                                                 "the defaults; --dim and --loss cannot change."),
    no_vocab_update: bool = typer.Option(False, "--no-vocab-update", help="With --continue: keep "
                                         "the model's vocabulary (no new words join)."),
    init_vectors: Optional[Path] = typer.Option(None, "--init-vectors", help="Start the words found "
                                                "in this word2vec file (text or binary, any tool's) "
                                                "from its vectors; dimensions must match --dim."),
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
    checkpoint_every: Optional[float] = typer.Option(None, "--checkpoint-every", metavar="MINUTES",
                                                     help="Write a checkpoint every this many minutes "
                                                     "and at each epoch end (without it: only on an "
                                                     "interrupt)."),
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
    dask: Optional[str] = typer.Option(None, "--dask", metavar="ADDRESS", help="Train on a Dask cluster, "
                                       "one shard of the corpus per worker: the scheduler's address "
                                       "(tcp://host:8786) or local:N (N local worker processes, "
                                       "--threads each, default 1). See docs/distributed.md."),
    sync_every: Optional[str] = typer.Option(None, "--sync-every", metavar="N|epoch", help="With --dask: "
                                             "corpus words each worker trains between syncs of the "
                                             "replicas, or 'epoch' (once per epoch, as Spark MLlib) "
                                             "\\[default: 100000]."),
    sync_merge: str = typer.Option("sum", "--sync-merge", metavar="sum|average", help="With --dask: merge "
                                   "the workers' changes by their sum, or their average (Spark MLlib's "
                                   "rule)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
    **options,
) -> None:
    """Train word vectors on CORPUS and write them to --output.

    Ctrl-C (or SIGTERM) stops within seconds and writes a checkpoint; continue
    with --resume CHECKPOINT.
    """
    from .progress import Display
    from .training.plan import RunPlan, execute, plan_run

    given = {name for name in ctx.params if ctx.get_parameter_source(name).name != "DEFAULT"}
    if cbow is not None:  # word2vec.c's names for --model and --loss
        if cbow not in (0, 1):
            raise FastW2VError(f"--cbow must be 0 or 1 (got {cbow})")
        options["model"] = "cbow" if cbow else "sg"
        given.add("model")
    if hs is not None:
        if hs not in (0, 1):
            raise FastW2VError(f"--hs must be 0 or 1 (got {hs})")
        if hs == 1 and options["loss"] not in ("ns", "hs"):
            raise FastW2VError(f"--hs 1 means --loss hs; it conflicts with --loss {options['loss']}")
        options["loss"] = "hs" if hs == 1 else options["loss"]
        given.add("loss")
    asked = RunPlan(corpus=list(corpus or []), options=options, output=output, binary=binary, export=export,
                    save_output=save_output, save_vocab=save_vocab, save_model=save_model,
                    continue_from=continue_from, vocab_update=not no_vocab_update,
                    init_vectors=init_vectors, read_vocab=read_vocab, classes=classes,
                    classes_output=classes_output, checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                    resume=resume, report_loss=report_loss, log=log, eval_every_epoch=eval_every_epoch,
                    analogies=analogies, similarity=list(similarity or []), cache_dir=cache_dir,
                    tmp_dir=tmp_dir, no_cache=no_cache, dask=dask, sync_every=sync_every,
                    sync_merge=sync_merge)
    # A bad option fails before any file is looked at; a resumed run's options come from its
    # checkpoint, and a continued model's are the defaults of the options given, which are
    # checked against them (before the corpus is read) once the model is loaded.
    if resume is None and continue_from is None:
        TrainOptions(**options).resolved()
    execute(plan_run(asked, given), Display(not quiet))


def _with_training_options(command):
    """``command`` with one flag per field of :class:`fastw2v.TrainOptions` (its default,
    help and flags), received in ``**options``: the training options are defined once."""
    signature = inspect.signature(command)
    params = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    at = [p.name for p in params].index("output") + 1
    derived = []
    for f in dataclasses.fields(TrainOptions):
        kind = {"str": str, "int": int, "float": float, "int | None": Optional[int],
                "float | None": Optional[float]}[f.type]
        flags = f.metadata["flags"] or (flag_of(f.name),)
        choices = "|".join(CHOICES[f.name]) if f.name in CHOICES else None  # sg|cbow, not TEXT
        derived.append(inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
            default=typer.Option(f.default, *flags, metavar=choices,
                                 help=f.metadata["help"].replace("[", "\\["))))
    rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params[at:]]

    @functools.wraps(command)
    def with_options(**kwargs):
        return command(**kwargs)

    del with_options.__wrapped__  # typer must read the signature below, not the template's
    with_options.__signature__ = signature.replace(parameters=params[:at] + derived + rest)
    with_options.__annotations__ = {**typing.get_type_hints(command),
                                    **{p.name: p.annotation for p in derived}}
    return with_options


app.command("train", cls=_Command, no_args_is_help=True)(_with_training_options(train))


_LIMIT_HELP = "Read only the first N vectors of the file."


@app.command("eval", no_args_is_help=True, cls=_Command)
def eval_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary; .gz/.bz2/.xz too) or a fastText .bin model "
                                 "(words out of its vocabulary answered from their n-grams)."),
    analogies: Optional[Path] = typer.Option(None, "--analogies", help="Analogy questions "
                                             "(questions-words.txt format); by default the shipped "
                                             "questions-words.txt when neither --analogies nor "
                                             "--similarity is given."),
    similarity: Optional[List[Path]] = typer.Option(None, "--similarity", help="Word-pair file "
                                                    "('word1 word2 score'), repeatable; by default the "
                                                    "shipped wordsim353.tsv and simlex999.txt when "
                                                    "neither --analogies nor --similarity is given."),
    restrict_vocab: int = typer.Option(30000, "--restrict-vocab", metavar="N", help="Analogies: only the "
                                       "first N words are candidates; questions with other words are skipped "
                                       "(a fastText .bin: only when the answer is another word) "
                                       "(0: all words)."),
    case_insensitive: bool = typer.Option(True, "--case-insensitive/--case-sensitive", help="Compare "
                                          "words upper-cased, as gensim and word2vec.c do."),
    method: str = typer.Option("3cosadd", "--method", metavar="3cosadd|3cosmul",
                               help="Analogy rule: 3cosadd or 3cosmul."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Judge VECTORS: analogy accuracy and word-pair similarity correlations."""
    from .vectors.evaluate import evaluate

    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    report = evaluate(str(vectors), analogies, similarity, restrict_vocab=restrict_vocab,
                      case_insensitive=case_insensitive, method=method, limit=limit)
    print(report.to_json() if as_json else report.format())


@app.command(no_args_is_help=True, cls=_Command)
def similar(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary) or a fastText .bin "
                                   "model (unseen words from their n-grams)."),
    words: List[str] = typer.Argument(..., help="Words to look near (their mean)."),
    negative: Optional[List[str]] = typer.Option(None, "--negative", metavar="WORD", help="Word to look "
                                                 "away from; repeatable."),
    topn: int = typer.Option(10, "-n", "--topn", metavar="N", help="How many neighbours to show."),
    restrict_vocab: int = typer.Option(0, "--restrict-vocab", metavar="N", help="Search only the first N words "
                                       "(0: all)."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Nearest neighbours of WORDS (minus --negative words) by cosine similarity."""
    from .vectors.query import load_vectors

    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    wv = load_vectors(vectors, limit=limit)
    found = wv.most_similar(words, negative or [], topn=topn, restrict_vocab=restrict_vocab)
    _print_neighbours(found, "cosine", as_json)


@app.command(no_args_is_help=True, cls=_Command)
def analogy(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary) or a fastText .bin "
                                   "model (unseen words from their n-grams)."),
    a: str = typer.Argument(..., help="A, as in: A is to B as C is to ?"),
    b: str = typer.Argument(..., help="B"),
    c: str = typer.Argument(..., help="C"),
    topn: int = typer.Option(10, "-n", "--topn", metavar="N", help="How many answers to show."),
    method: str = typer.Option("3cosadd", "--method", metavar="3cosadd|3cosmul",
                               help="3cosadd (cosine with B - A + C) or 3cosmul."),
    restrict_vocab: int = typer.Option(0, "--restrict-vocab", metavar="N", help="Search only the first N words "
                                       "(0: all)."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help=_LIMIT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """A is to B as C is to ?  (e.g. man king woman -> queen)"""
    from .vectors.query import check_analogy_method, load_vectors

    method = check_analogy_method(method)
    _check_counts(limit=limit, restrict_vocab=restrict_vocab)
    wv = load_vectors(vectors, limit=limit)
    found = wv.analogy(a, b, c, topn=topn, method=method, restrict_vocab=restrict_vocab)
    _print_neighbours(found, "cosine" if method == "3cosadd" else "3cosmul", as_json)


@app.command(no_args_is_help=True, cls=_Command)
def phrases(
    corpus: List[Path] = typer.Argument(..., help="Corpus files: plain text, .gz, .bz2, .xz or .zst; "
                                        "- for standard input, or a pipe. Whitespace-separated "
                                        "tokens, one sentence per line."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the phrased corpus "
                                "(compressed when the name ends in .gz, .bz2, .xz or .zst)."),
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
    from .files import check_distinct
    from .progress import Display, format_rate
    from .text.corpus import Corpus
    from .text.phrases import phrase_corpus

    check_distinct({"--output": output}, {"the corpus file": corpus})
    display = Display(not quiet)
    summaries = phrase_corpus(Corpus(corpus), output, passes=passes, threshold=threshold or [100.0],
                              min_count=min_count, delimiter=delimiter, progress=display)
    words = sum(s["words"] for s in summaries)
    seconds = sum(s["seconds"] for s in summaries)
    display.line(f"wrote {output}: {sum(s['joined'] for s in summaries):,} joins in {len(summaries)} "
                 f"pass{'es' if len(summaries) != 1 else ''}, {seconds:.1f} s "
                 f"({format_rate(words / max(seconds, 1e-9))})")


@app.command(no_args_is_help=True, cls=_Command)
def classes(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    k: int = typer.Option(..., "-k", "--classes", metavar="K", help="Number of classes."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write 'word class_id' per line."),
    iterations: int = typer.Option(10, "--iterations", help="Most k-means rounds (as word2vec.c: 10)."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed: same classes)."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help=_LIMIT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Cluster the words of VECTORS into K classes (spherical k-means, as word2vec.c -classes)."""
    import time

    from .files import check_distinct, check_output_path
    from .progress import Display
    from .vectors.classes import kmeans_classes, save_classes
    from .vectors.query import load_vectors

    _check_counts(limit=limit)
    check_output_path(output)
    check_distinct({"--output": output}, {"the vectors file": vectors})
    start = time.perf_counter()
    wv = load_vectors(vectors, limit=limit)
    labels = kmeans_classes(wv.vectors, k, iterations=iterations, seed=seed)
    save_classes(output, wv.words, labels)
    Display(not quiet).line(f"wrote {output}: {len(wv.words):,} words in {k:,} classes, "
                            f"{time.perf_counter() - start:.1f} s")


@app.command("plot", no_args_is_help=True, cls=_Command)
def plot_command(
    log: Path = typer.Argument(..., help="Training log (JSON lines, one object per epoch)."),
    output: Path = typer.Option(..., "--output", "-o", help="Image to write (.png, .svg or .pdf)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Draw loss per word and evaluation scores per epoch from a training LOG."""
    from .files import check_distinct
    from .pictures.plots import check_figure_path, plot_training_log
    from .progress import Display

    check_figure_path(output)
    check_distinct({"--output": output}, {"the training log": log})
    drawn = plot_training_log(log, output)
    last = drawn.epochs[-1]
    scores = last.get("scores") if isinstance(last.get("scores"), dict) else {}
    shown = "".join(f", {k} {v:.3f}" for k, v in scores.items() if isinstance(v, (int, float)))
    loss = last.get("loss_per_word")
    Display(not quiet).line(f"wrote {output}: {len(drawn.epochs)} epochs"
                            + (f", loss per word {loss:.4f}" if isinstance(loss, (int, float)) else "")
                            + shown)


@app.command("map", no_args_is_help=True, cls=_Command)
def map_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    output: Path = typer.Option(..., "--output", "-o", help="Image to write (.png, .svg or .pdf)."),
    words: Optional[str] = typer.Option(None, "--words", metavar="WORDS", help="Words to draw, separated "
                                        "by commas (or spaces); words not in the vectors are skipped with a "
                                        "warning."),
    top: Optional[int] = typer.Option(None, "--top", metavar="N", help="Draw the N first (most frequent) words "
                                      "\\[default: 100 when --words is not given]."),
    method: str = typer.Option("pca", "--method", metavar="pca|tsne", help="pca or tsne."),
    perplexity: float = typer.Option(30.0, "--perplexity", help="t-SNE: neighbours each point "
                                     "weighs (at most (words - 1) / 3)."),
    seed: int = typer.Option(1, "--seed", help="t-SNE: random seed (same seed: same map)."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help=_LIMIT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Draw a labelled 2-D map of words of VECTORS (PCA or t-SNE)."""
    import time

    from .files import check_distinct
    from .pictures.plots import (
        DEFAULT_TOP,
        MAP_MAX_WORDS,
        check_figure_path,
        parse_words,
        plot_word_map,
    )
    from .pictures.projection import check_projection_method
    from .progress import Display
    from .vectors.query import load_vectors

    _check_counts(limit=limit, seed=seed)
    method = check_projection_method(method)
    check_figure_path(output)
    check_distinct({"--output": output}, {"the vectors file": vectors})
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


@app.command("export-projector", no_args_is_help=True, cls=_Command)
def export_projector_command(
    vectors: Path = typer.Argument(..., help="Vectors file (word2vec text or binary)."),
    directory: Path = typer.Argument(..., help="Directory for vectors.tsv and metadata.tsv "
                                     "(created if missing)."),
    top: Optional[int] = typer.Option(None, "--top", metavar="N", help="Export only the N first (most "
                                      "frequent) words \\[default: all]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Write VECTORS as the TensorFlow Embedding Projector's vectors.tsv and metadata.tsv."""
    from .files import check_distinct
    from .pictures.projector import (
        METADATA_FILE,
        VECTORS_FILE,
        check_projector_dir,
        export_projector,
    )
    from .progress import Display
    from .vectors.query import load_vectors

    if top is not None and top < 1:
        raise FastW2VError(f"--top must be 1 or more (got {top})")
    check_projector_dir(directory)
    check_distinct({"the projector file": [directory / VECTORS_FILE, directory / METADATA_FILE]},
                   {"the vectors file": vectors})
    wv = load_vectors(vectors, limit=top)
    vectors_path, metadata_path = export_projector(wv.words, wv.vectors, directory)
    Display(not quiet).line(f"wrote {vectors_path} and {metadata_path.name}: {len(wv.words):,} words, "
                            f"{wv.dim} dimensions (load both at https://projector.tensorflow.org)")


@app.command("cache", cls=_Command)
def cache_command(
    directories: Optional[List[Path]] = typer.Argument(None, help="Cache directories (given to "
                                                      "train --cache-dir) \\[default: the temporary "
                                                      "caches kept for checkpoints or left by killed runs]."),
    clear: bool = typer.Option(False, "--clear", help="Remove the entries listed."),
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="AGE", help="Only entries last used "
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
        with _terminate_as_interrupt():
            result = command.main(args=argv, prog_name="fastw2v", standalone_mode=False)
    except FastW2VError as exc:
        code = getattr(exc, "exit_code", 2)
        # One line, whatever the message holds: a file name read from a file may break lines.
        message = exc.render(flag_of).replace("\r", "\\r").replace("\n", "\\n")
        print(f"fastw2v: {'error: ' if code == 2 else ''}{message}", file=sys.stderr)
        return _exit(code)
    except _UsageProblem as exc:
        print(f"fastw2v: error: {exc.format_message()}", file=sys.stderr)
        return _exit(getattr(exc, "exit_code", 2) or 2)
    except (typer.Abort, KeyboardInterrupt):
        print("fastw2v: interrupted", file=sys.stderr)
        return _exit(130)
    return _exit(result if isinstance(result, int) else 0)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """Ctrl-C and SIGTERM (a job scheduler's stop, ``kill``) unwind the command with
    :class:`Interrupted`, so that cleanups run (a temporary token cache is removed, no
    temporary output file is left) and one line says so. While it trains, the driver
    answers both signals itself, with a checkpoint."""
    def interrupt(signum, frame):
        raise Interrupted("interrupted")

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
