"""Planning and running ``fastw2v train``: what is read, what is written where.

The command line only parses: it fills a :class:`RunPlan` with what was asked
(one field per flag of ``fastw2v train`` that is not a training option; those
are the fields of :class:`fastw2v.TrainOptions`) and calls :func:`plan_run`,
which decides everything else before any work is done:

* a resumed run takes its training options and its outputs from the checkpoint,
  and refuses training options given again;
* default paths: the checkpoint (``OUTPUT.checkpoint``), the classes
  (``OUTPUT.classes.txt``); none beside an output that is a device or a pipe;
* every output path is checked, and none may be an input or another output.

:func:`execute` then trains and writes the files, and deletes an interrupt's
checkpoint once the run it belongs to has written its output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FastW2VError
from ..files import check_distinct, check_output_path, companion_path, recorded_path
from ..progress import Display
from ..text.corpus import STDIN, is_stream
from .checkpoint import read_header
from .driver import RunControl, remove_kept_cache, resume, train
from .export import biases_path, check_export, save_output_vectors
from .log import TrainingLog
from .model import Word2VecModel
from .options import TrainOptions

# Flags (beside the training options) that a resumed run takes from its checkpoint.
RUN_INPUTS = ("corpus", "read_vocab", "save_vocab", "continue_from", "no_vocab_update", "init_vectors")
# Flags that --dask does not offer.
NOT_WITH_DASK = ("resume", "checkpoint", "checkpoint_every", "cache_dir", "tmp_dir", "report_loss",
                 "log", "eval_every_epoch", "continue_from", "init_vectors")
# What a checkpoint keeps of its run (``info["cli"]``), and the types each must have.
SAVED_RUN = {"output": (str,), "binary": (bool,), "classes": (int,), "classes_output": (str, type(None)),
             "auto_checkpoint": (bool,), "loss": (str,), "export": (str,), "save_output": (str, type(None)),
             "save_model": (str, type(None))}


@dataclass
class RunPlan:
    """A run of ``fastw2v train``: each field is the flag of the same name."""

    corpus: list[Path] = field(default_factory=list)
    options: dict = field(default_factory=dict)  # fields of TrainOptions
    output: Path | None = None
    binary: bool = False
    export: str = "in"
    save_output: Path | None = None
    save_vocab: Path | None = None
    save_model: Path | None = None
    continue_from: Path | None = None
    vocab_update: bool = True
    init_vectors: Path | None = None
    read_vocab: Path | None = None
    classes: int = 0
    classes_output: Path | None = None
    checkpoint: Path | None = None
    checkpoint_every: float | None = None
    resume: Path | None = None
    report_loss: bool = False
    log: Path | None = None
    eval_every_epoch: bool = False
    analogies: Path | None = None
    similarity: list[Path] = field(default_factory=list)
    cache_dir: Path | None = None
    tmp_dir: Path | None = None
    no_cache: bool = False
    dask: str | None = None
    sync_every: str | None = None
    sync_merge: str = "sum"
    auto_checkpoint: bool = False  # decided by plan_run: the checkpoint path is the default one

    @property
    def loss(self) -> str:
        return self.options.get("loss", TrainOptions.loss)

    @property
    def model_side(self) -> Path | None:
        """Where the side file of --save-model goes."""
        return _side(self.save_model)

    @property
    def biases(self) -> Path | None:
        """Where NCE's biases go beside --save-output."""
        return biases_path(self.save_output) if self.save_output and self.loss == "nce" else None


def plan_run(asked: RunPlan, given: set[str]) -> RunPlan:
    """The run ``asked`` for, with everything decided and checked; ``given``: the names
    (fields of RunPlan or of TrainOptions) the user set, as opposed to defaults."""
    plan = dataclasses.replace(asked, options=dict(asked.options))
    saved: dict = {}
    if plan.resume is not None:
        fixed = [n for n in (*(f.name for f in dataclasses.fields(TrainOptions)), *RUN_INPUTS)
                 if n in given and n != "threads"]
        if fixed:
            raise FastW2VError(f"{{{fixed[0]}}} cannot be changed when resuming: the checkpoint's "
                               "training options are used", fields=(fixed[0],))
        header = read_header(plan.resume)
        info = header["info"]
        saved = _saved_run(header, plan.resume)
        plan.corpus = [Path(f["path"]) for f in info.get("corpus", [])]
        plan.output = plan.output or Path(saved["output"])
        plan.binary = plan.binary or saved.get("binary", False)
        plan.classes = plan.classes or saved.get("classes", 0)
        plan.classes_output = plan.classes_output or _path(saved.get("classes_output"))
        plan.options["loss"] = saved.get("loss", "ns")
        plan.save_output = plan.save_output or _path(saved.get("save_output"))
        plan.save_model = plan.save_model or _path(saved.get("save_model"))
        if "export" not in given:
            plan.export = saved.get("export", "in")
    elif not plan.corpus:
        raise FastW2VError("no corpus file given (or --resume CHECKPOINT)")
    if plan.output is None:
        raise FastW2VError("missing option '--output' / '-o'")
    check_output_path(plan.output)
    plan.auto_checkpoint = plan.checkpoint is None and (plan.resume is None or saved.get("auto_checkpoint", False))
    streams = [c for c in plan.corpus if plan.resume is None and is_stream(c)]
    if streams and plan.dask is not None:
        raise FastW2VError(f"--dask needs corpus files: {_stream_name(streams[0])} can be read only once")
    if streams and plan.no_cache:
        # Only the token cache can replay a stream: a checkpoint without it is of no use.
        if plan.checkpoint is not None or plan.checkpoint_every is not None:
            raise FastW2VError(f"a checkpoint of a run from {_stream_name(streams[0])} needs the token "
                               "cache to resume from: drop --no-cache")
        plan.auto_checkpoint = False
    # None beside a device or pipe: nothing is created beside such an output
    plan.checkpoint = plan.checkpoint or plan.resume or (
        companion_path(plan.output, ".checkpoint") if not (streams and plan.no_cache) else None)
    if plan.checkpoint is not None:
        check_output_path(plan.checkpoint)
    if plan.checkpoint_every is not None and not plan.checkpoint_every > 0:
        raise FastW2VError(f"--checkpoint-every must be a positive number of minutes (got {plan.checkpoint_every})")
    if plan.checkpoint_every is not None and plan.checkpoint is None:
        raise FastW2VError(f"--checkpoint-every needs --checkpoint FILE: --output {plan.output} is not a "
                           "regular file")
    if plan.log is not None:
        check_output_path(plan.log)
    if plan.classes < 0:
        raise FastW2VError(f"--classes must be 0 (off) or positive (got {plan.classes})")
    if plan.classes:
        plan.classes_output = plan.classes_output or companion_path(plan.output, ".classes.txt")
        if plan.classes_output is None:
            raise FastW2VError(f"--classes needs --classes-output FILE: --output {plan.output} is not a "
                               "regular file")
        check_output_path(plan.classes_output)
    if plan.continue_from is not None:
        if plan.read_vocab is not None or plan.init_vectors is not None:
            raise FastW2VError(f"--continue brings the model's vocabulary and vectors: "
                               f"{'--read-vocab' if plan.read_vocab is not None else '--init-vectors'} "
                               "cannot be given with it")
        # The model's options are the defaults: only those given on the command line override them.
        plan.options = {k: v for k, v in plan.options.items() if k in given}
    elif not plan.vocab_update:
        raise FastW2VError("--no-vocab-update goes with --continue MODEL")
    for flag, path in (("--continue", plan.continue_from), ("--init-vectors", plan.init_vectors)):
        if path is not None and not Path(path).is_file():  # before the corpus is read
            raise FastW2VError(f"{flag} {path}: " + ("not a file" if Path(path).exists() else "no such file"))
    check_export(plan.loss, plan.export, plan.save_output)
    for path in (plan.save_output, plan.biases, plan.save_model, plan.model_side):
        if path is not None:
            check_output_path(path)
    check_distinct(
        outputs={"--output": plan.output, "--save-output": plan.save_output,
                 "--save-output's biases file": plan.biases, "--checkpoint": plan.checkpoint,
                 "--save-vocab": plan.save_vocab, "--save-model": plan.save_model,
                 "--save-model's side file": plan.model_side,
                 "--classes-output": plan.classes_output if plan.classes else None, "--log": plan.log},
        inputs={"the corpus file": plan.corpus, "the --read-vocab file": plan.read_vocab,
                "the --analogies file": plan.analogies, "the --similarity file": plan.similarity,
                "the checkpoint being resumed": plan.resume, "the --continue model": plan.continue_from,
                "the --continue model's side file": _side(plan.continue_from),
                "the --init-vectors file": plan.init_vectors},
        updates={"--checkpoint": "the checkpoint being resumed"})
    if plan.dask is not None:
        refused = [n for n in NOT_WITH_DASK if n in given]
        if refused:
            raise FastW2VError(f"{{{refused[0]}}} is not available with --dask", fields=(refused[0],))
    return plan


def _stream_name(path: Path) -> str:
    return "standard input" if str(path) == STDIN else f"the pipe or device {path}"


def _side(model_file: Path | None) -> Path | None:
    return companion_path(model_file, ".fastw2v.json") if model_file is not None else None


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _saved_run(header: dict, path: Path) -> dict:
    """The ``cli`` facts of a checkpoint, checked: it is a file from disk, not trusted."""
    saved = header["info"].get("cli")
    if not isinstance(saved, dict) or not isinstance(saved.get("output"), str):
        raise FastW2VError(f"cannot resume from {path}: the checkpoint names no output file "
                           "(it was not written by the fastw2v command)")
    for name, types in SAVED_RUN.items():
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


def execute(plan: RunPlan, display: Display) -> Word2VecModel:
    """Train as planned, write every output, and return the model."""
    control = RunControl(display=display, report_loss=plan.report_loss, checkpoint=plan.checkpoint,
                         checkpoint_every=plan.checkpoint_every)
    control.checkpoint_info["cli"] = {
        "output": recorded_path(plan.output), "binary": plan.binary, "classes": plan.classes,
        "classes_output": recorded_path(plan.classes_output) if plan.classes_output else None,
        # Only the checkpoint of a run that asked for none is an interrupt's, deleted once used.
        "auto_checkpoint": plan.auto_checkpoint and plan.checkpoint_every is None,
        "loss": plan.loss, "export": plan.export,
        "save_output": recorded_path(plan.save_output) if plan.save_output else None,
        "save_model": recorded_path(plan.save_model) if plan.save_model else None}
    if plan.eval_every_epoch:
        control.on_epoch = epoch_scorer(plan.analogies, plan.similarity, display)
    store = dict(cache_dir=plan.cache_dir, tmp_dir=plan.tmp_dir, in_memory=plan.no_cache)
    if plan.log is not None:
        control.log = TrainingLog(plan.log)
    try:
        if plan.resume is not None:
            model = resume(plan.resume, control=control, threads=plan.options.get("threads"), **store)
        elif plan.dask is not None:
            from .distributed import SYNC_WORDS, train_distributed

            model = train_distributed(plan.corpus, plan.dask, vocab=plan.read_vocab,
                                      save_vocab=plan.save_vocab, progress=display,
                                      sync_words=plan.sync_every or SYNC_WORDS, merge=plan.sync_merge,
                                      **plan.options)
        else:
            model = train(plan.corpus, vocab=plan.read_vocab, save_vocab=plan.save_vocab,
                          control=control, init=plan.continue_from, vocab_update=plan.vocab_update,
                          init_vectors=plan.init_vectors, **store, **plan.options)
    finally:
        if control.log is not None:
            control.log.close()
    write_outputs(model, plan)
    display.line(f"wrote {len(model.words):,} vectors of {model.options.dim} dimensions to {plan.output}")
    # An interrupt's checkpoint is used up once the run it belongs to has written its
    # output; a checkpoint this run neither wrote nor resumed from is not ours to delete.
    if plan.auto_checkpoint and plan.checkpoint_every is None and plan.checkpoint is not None and (
            control.last_checkpoint is not None or plan.resume is not None):
        Path(plan.checkpoint).unlink(missing_ok=True)
        remove_kept_cache(control.checkpoint_info)  # a stream's entry, kept for the checkpoint
    return model


def write_outputs(model: Word2VecModel, plan: RunPlan) -> None:
    """The classes, the vectors and the output vectors the plan asks for."""
    if plan.classes:
        from ..vectors.classes import kmeans_classes, save_classes

        if plan.classes > len(model.words):
            raise FastW2VError(f"--classes {plan.classes} is more than the {len(model.words)} words trained")
        save_classes(plan.classes_output, model.words,
                     kmeans_classes(model.input_vectors, plan.classes, seed=model.options.seed))
    model.save(plan.output, binary=plan.binary, export=plan.export)
    if plan.save_output is not None:
        save_output_vectors(model, plan.save_output, binary=plan.binary)
    if plan.save_model is not None:
        model.save_model(plan.save_model)


def epoch_scorer(analogies: Path | None, similarity: list[Path], display: Display):
    """An ``on_epoch`` callback adding evaluation scores to each epoch's log record."""
    from ..vectors.evaluate import (
        DEFAULT_ANALOGIES,
        DEFAULT_SIMILARITY,
        default_data_file,
        evaluate,
        read_analogies,
        read_word_pairs,
    )
    from ..vectors.query import WordVectors

    if analogies is None and not similarity:
        analogies = default_data_file(DEFAULT_ANALOGIES)
        similarity = [default_data_file(f) for f in DEFAULT_SIMILARITY]
    if analogies is not None:  # a bad file fails now, not after the first epoch
        read_analogies(analogies)
    for path in similarity or []:
        read_word_pairs(path)

    def on_epoch(model, record: dict) -> None:
        report = evaluate(WordVectors(model.words, model.input_vectors), analogies, similarity)
        record["scores"] = report.scores()
        shown = ", ".join(f"{k} {v:.4f}" if v is not None else f"{k} -" for k, v in record["scores"].items())
        display.line(f"epoch {record['epoch']}/{record['epochs']}: {shown}")

    return on_epoch
