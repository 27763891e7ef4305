"""The training driver: :func:`train`, :func:`resume` and the epoch loop.

:func:`train` reads and encodes the corpus once (:mod:`fastw2v.text.encode`, or the
token cache of :mod:`fastw2v.text.cache`), builds the sampling tables
(:mod:`fastw2v.engine.sampling`), then calls the kernel (:mod:`fastw2v.engine.kernels`) over
runs of chunks from a helper thread, while this thread shows progress, answers
signals and writes checkpoints (:mod:`fastw2v.training.checkpoint`). The options and
the model object are in :mod:`fastw2v.training.model`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
import time
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from ..engine.engine import chunk_layout, first_beyond
from ..engine.losses import output_rows
from ..engine.sampling import learning_rate
from ..errors import FastW2VError, Interrupted
from ..files import check_output_path
from ..progress import Display, elapsed, format_rate
from ..text.cache import CacheDir, DamagedEntry, TokenCache
from ..text.corpus import Corpus, EncodedCorpus
from ..text.encode import vocab_and_corpus
from ..text.vocab import Vocabulary
from .checkpoint import load_checkpoint, save_checkpoint
from .continuation import (
    check_pretrained,
    continued_options,
    continued_start,
    merged_vocabulary,
    place_vectors,
    reencoded,
)
from .log import TrainingLog
from .model import (
    DIVERGED_LIMIT,
    TrainState,
    TrainStats,
    Word2VecModel,
    engine_for,
    initial_vectors,
    input_rows,
    load_model,
)
from .options import TrainOptions

SEGMENT_WORDS = 1 << 22  # words of corpus per kernel call (16 MB of token ids)


class TrainingStopped(Interrupted):
    """Training stopped before the end (an interrupt); a checkpoint holds the state."""


@dataclass
class RunControl:
    """How a run is watched and kept: progress, loss, log, checkpoints, interrupts."""

    display: Display = field(default_factory=lambda: Display(False))
    report_loss: bool = False
    log: "TrainingLog | None" = None
    checkpoint: str | os.PathLike | None = None  # where checkpoints go (None: never written)
    checkpoint_every: float | None = None  # minutes between checkpoints (None: only at epoch ends)
    checkpoint_info: dict = field(default_factory=dict)  # extra facts to keep (e.g. corpus files)
    on_epoch: Callable[[Word2VecModel, dict], None] | None = None  # may add to the log record
    segment_words: int = SEGMENT_WORDS
    last_checkpoint: str | None = None


def train(corpus, *, vocab: Vocabulary | str | os.PathLike | None = None,
          save_vocab: str | os.PathLike | None = None, progress: bool | Display = False,
          cache_dir: str | os.PathLike | None = None, tmp_dir: str | os.PathLike | None = None,
          in_memory: bool = False, control: RunControl | None = None,
          init: Word2VecModel | str | os.PathLike | None = None, vocab_update: bool = True,
          init_vectors: str | os.PathLike | None = None, **options) -> Word2VecModel:
    """Train word vectors on ``corpus`` and return the model.

    ``corpus``: a path, a list of paths (plain, .gz, .bz2, .xz or .zst; ``-`` or a
    pipe for a stream), or an iterable of sentences given as lists of str tokens.
    ``vocab``: a :class:`Vocabulary` or a word2vec.c vocabulary file to use
    instead of counting. ``options``: the fields of :class:`TrainOptions`.
    ``progress``: show progress bars on stderr. ``control``: checkpoints, loss,
    log (see :class:`RunControl`).

    ``init``: a model (or a model file, :func:`fastw2v.load_model`) to continue
    on ``corpus`` (:mod:`fastw2v.training.continuation`): its options are the
    defaults, new words join unless ``vocab_update`` is false. ``init_vectors``:
    a word2vec file whose vectors start the rows of the words it shares with the
    vocabulary.

    Where the encoded corpus of files lives (:mod:`fastw2v.text.cache`): by
    default in a private temporary cache under ``tmp_dir`` (or the system's
    temporary directory), removed when the run ends unless a checkpoint of the
    unfinished run needs it; with ``cache_dir``, in a cache kept there for later
    runs on the same files; with ``in_memory``, in memory, writing nothing.

    Sentences (a list, gensim's ``LineSentence`` or ``PathLineSentences``, a
    generator) are streamed, not copied, and read once, encoded in memory; only
    with ``max_vocab_size`` pruning are they read twice, which a one-shot iterator
    refuses. Tokens must be str (decode bytes first); a sentence is read like a
    line of a file, so a token holding whitespace becomes several words.
    """
    if init is not None and (vocab is not None or init_vectors is not None):
        raise FastW2VError("a continued model brings its vocabulary and vectors: "
                           f"{'a vocabulary' if vocab is not None else 'init_vectors'} cannot be given too")
    if isinstance(init, (str, os.PathLike)):
        init = load_model(init)
    opts = continued_options(init.options, options) if init is not None else TrainOptions(**options).resolved()
    control = _control(control, progress)
    display = control.display
    source = Corpus(corpus)
    if isinstance(vocab, (str, os.PathLike)):
        vocab = Vocabulary.load(vocab, opts.min_count)
    pretrained = _pretrained(init_vectors, opts.dim) if init_vectors is not None else None
    if save_vocab is not None:
        check_output_path(save_vocab)
    store = corpus_store(source, cache_dir, tmp_dir, in_memory)
    with _store_kept_for_checkpoints(store, control):
        t0 = time.perf_counter()
        # A continued model counts every word of the new text: the model's words keep
        # theirs whatever their count there, and min_count picks the new words.
        counting = dataclasses.replace(opts, min_count=1, max_vocab_size=0) if init is not None else opts
        vocab, encoded, how, entry = prepare_corpus(source, counting, vocab, store, display)
        if init is not None:
            counted = vocab
            vocab = merged_vocabulary(init.vocab, counted, opts.min_count, vocab_update)
            encoded = reencoded(encoded, counted, vocab)
        stats = TrainStats(words_per_epoch=encoded.n_words, prepare_seconds=elapsed(t0))
        display.line(f"vocabulary: {len(vocab):,} words, corpus: {encoded.n_words:,} words in "
                     f"{encoded.n_sentences:,} sentences ({how}, {stats.prepare_seconds:.1f} s)")
        if save_vocab is not None:
            vocab.save(save_vocab)

        biases = None
        if init is not None:
            start = continued_start(init, vocab, opts)
            syn0, syn1, biases = start.syn0, start.syn1, start.biases
            display.line(f"continuing a model of {len(init.vocab):,} words: {start.kept_words:,} kept, "
                         f"{start.new_words:,} new" + ("" if start.output_kept else
                                                      "; the Huffman tree changed, so its inner nodes "
                                                      "restart from zero"))
        else:
            syn0, syn1 = initial_vectors(input_rows(opts, len(vocab)), opts.dim, opts.seed,
                                         output_rows(opts.loss, len(vocab)), threads=opts.threads)
        if pretrained is not None:
            matched = place_vectors(syn0, opts.dim, vocab, *pretrained)
            display.line(f"init vectors: {matched:,} of {len(vocab):,} words start from {init_vectors}")
        model = Word2VecModel(vocab, syn0, syn1, opts, stats, biases=biases)
        control.checkpoint_info.setdefault("corpus", source.fingerprint())
        run_epochs(model, encoded, control, TrainState())
        encoded.close()
    _summary(model, entry, control)
    return model


def _pretrained(path: str | os.PathLike, dim: int) -> tuple[list[str], np.ndarray]:
    """The words and vectors of a word2vec file (text or binary, any tool's), checked
    against the model's ``dim`` as soon as they are read (before the corpus is)."""
    from ..vectors.word2vec_format import load_word2vec

    words, vectors = load_word2vec(path)
    check_pretrained(vectors, dim, str(path))
    return words, vectors


def resume(checkpoint: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None,
           tmp_dir: str | os.PathLike | None = None, in_memory: bool = False,
           control: RunControl | None = None, progress: bool | Display = False,
           corpus=None, threads: int | None = None) -> Word2VecModel:
    """Continue the run saved in ``checkpoint`` to its end and return the model.

    The corpus files named in the checkpoint must be unchanged (same sizes and
    modification times); ``corpus`` overrides where they are. The temporary
    cache the interrupted run kept is used (and removed at the end) when it is
    still there; ``cache_dir``, ``tmp_dir`` and ``in_memory`` are as for :func:`train`.
    ``threads``: train with this many threads instead of the checkpoint's.
    """
    model, state, info = load_checkpoint(checkpoint)
    if threads is not None:
        model.options = dataclasses.replace(model.options, threads=threads).resolved()
    control = _control(control, progress)
    control.checkpoint_info = {**info, **control.checkpoint_info}
    if control.checkpoint is None:
        control.checkpoint = checkpoint
    if corpus is None and not info.get("corpus"):
        raise FastW2VError(f"{checkpoint}: the checkpoint names no corpus files; give them again")
    try:  # a stream in the corpus is found again in the token cache, by its recorded name
        source = Corpus(corpus) if corpus is not None else Corpus.recorded(info["corpus"], str(checkpoint))
    except FastW2VError as exc:  # the checkpoint names files that are gone: say which checkpoint
        raise FastW2VError(f"cannot resume from {checkpoint}: {exc}") from None
    if corpus is None and source.fingerprint() != info["corpus"]:
        raise FastW2VError(f"the corpus changed since the checkpoint {checkpoint} was written "
                           "(file sizes or modification times differ); cannot resume exactly")
    kept = info.get("cache") or {}
    store = None
    if cache_dir is None and not in_memory and kept.get("temporary"):
        store = CacheDir.adopt(kept.get("dir", ""))
    elif cache_dir is None and not in_memory and source.streams and kept.get("dir"):
        cache_dir = kept["dir"]  # a stream's entry lives only where its run put it
    store = store or corpus_store(source, cache_dir, tmp_dir, in_memory)
    opts = model.options
    with _store_kept_for_checkpoints(store, control) as kept:
        t0 = time.perf_counter()
        _, encoded, how, entry = prepare_corpus(source, opts, model.vocab, store, control.display)
        if state.chunk_done.shape[0] != chunk_layout(encoded.sentence_ends).shape[0] - 1:
            raise FastW2VError(f"cannot resume from {checkpoint}: its chunk flags do not match "
                               "this corpus (different chunk layout)")
        kept.resumable_from = checkpoint  # it fits its corpus: a failure from here on keeps the cache
        model.stats.words_per_epoch = encoded.n_words
        model.stats.prepare_seconds = elapsed(t0)
        control.display.line(f"resuming epoch {state.epoch + 1} of {opts.epochs} at "
                             f"{state.epoch_words / max(encoded.n_words, 1):.0%} from {checkpoint} "
                             f"(corpus: {how}, {model.stats.prepare_seconds:.1f} s)")
        run_epochs(model, encoded, control, state)
        encoded.close()
    _summary(model, entry, control)
    return model


def _summary(model: Word2VecModel, entry: TokenCache | None, control: RunControl) -> None:
    """The run's last line: words, time, speed, and the token cache entry when one is kept."""
    stats = model.stats
    kept = ""
    for_checkpoint = _from_stream(control) and _checkpoint_there(control)
    if entry is not None and (not entry.temporary or for_checkpoint):
        kept = f"; token cache kept: {entry.path('*')} ({entry.size_bytes() / 1e6:,.1f} MB)"
        if for_checkpoint:
            kept += f" for the checkpoint {control.checkpoint} (the corpus was read from a stream)"
    control.display.line(f"trained {stats.words_trained:,} words in {stats.train_seconds:.1f} s "
                 f"({format_rate(stats.words_per_second)}, {model.options.threads} threads){kept}")


def _control(control: RunControl | None, progress: bool | Display) -> RunControl:
    """``control`` (or a default one) showing progress as ``progress`` asks."""
    control = control or RunControl()
    if not isinstance(progress, bool):
        control.display = progress
    elif progress:
        control.display = Display(True)
    return control


def corpus_store(source: Corpus, cache_dir, tmp_dir, in_memory: bool) -> CacheDir | None:
    """Where the encoded corpus goes: a kept cache, a temporary one, or memory (None)."""
    if in_memory or source.files is None:
        return None
    if cache_dir is not None:
        return CacheDir.kept(cache_dir)
    return CacheDir.temporary(tmp_dir)


@contextlib.contextmanager
def _store_kept_for_checkpoints(store: CacheDir | None, control: RunControl):
    """Remove a temporary cache when the run ends, unless it stops unfinished after a
    checkpoint: the checkpoint names the cache (``info["cache"]``) and resuming uses it.

    A resumed run sets ``resumable_from`` on what this yields once its checkpoint is
    accepted; if it then fails, the cache stays while that checkpoint is on disk (for a
    corpus read from a stream it is the only copy of the text). A refused checkpoint's
    cache is removed.
    """
    if store is not None:
        control.checkpoint_info["cache"] = {"dir": str(store.path), "temporary": store.temporary}
    kept = types.SimpleNamespace(resumable_from=None)
    try:
        yield kept
    except BaseException:
        needed = control.last_checkpoint is not None or (
            kept.resumable_from is not None and os.path.isfile(kept.resumable_from))
        if store is not None and not (store.temporary and needed):
            store.remove()
        raise
    # A finished run's checkpoint (--checkpoint-every keeps it) is of use only with the
    # entry of a corpus read from a stream: the entry stays while the checkpoint does.
    if store is not None and not (_from_stream(control) and _checkpoint_there(control)):
        store.remove()


def _checkpoint_there(control: RunControl) -> bool:
    """Whether the run's checkpoint (written or resumed from) is on disk."""
    return control.checkpoint is not None and os.path.isfile(control.checkpoint)


def remove_kept_cache(info: dict) -> None:
    """Remove the temporary cache a checkpoint's ``info`` names, once the checkpoint is
    used up (the run directory is adopted first: only one of ours is removed)."""
    cache = info.get("cache") or {}
    store = CacheDir.adopt(cache["dir"]) if cache.get("temporary") else None
    if store is not None:
        store.remove()


def _from_stream(control: RunControl) -> bool:
    """Whether the run's corpus holds a stream, which only its token cache entry can replay."""
    return any(f.get("stream") for f in control.checkpoint_info.get("corpus", []))


def prepare_corpus(source: Corpus, opts: TrainOptions, vocab: Vocabulary | None,
                   store: CacheDir | None, display: Display):
    """The vocabulary, the encoded corpus, how it was had (for the ``vocabulary:``
    line) and its cache entry (None in memory): from the token cache, or by reading.

    An entry that cannot be trusted (:class:`fastw2v.text.cache.DamagedEntry`) is
    rebuilt, with one warning line.
    """
    if store is not None:
        # A run that counted its vocabulary cached the corpus under the counting
        # options; a resumed run (same vocabulary) can use that entry too.
        candidates = [TokenCache(store, source, opts, None)]
        if vocab is not None:
            candidates.append(TokenCache(store, source, opts, vocab))
        for cache in candidates:
            try:
                found = cache.open()
            except DamagedEntry as exc:
                display.warning(f"the token cache entry {cache.path('json')} cannot be trusted "
                                f"({exc}); rebuilding it")
                cache.remove()
                continue
            if found is not None and (vocab is None or (found[0].words == vocab.words and
                                                         np.array_equal(found[0].counts, vocab.counts))):
                return vocab or found[0], found[1], f"from cache {cache.name}", cache
        with display.reading("reading", source.expected_bytes) as update:
            vocab, encoded = cache.build(progress=update)
        where = "a temporary cache" if store.temporary else f"cached as {cache.name}"
        return vocab, encoded, where, cache
    with display.reading("reading", source.expected_bytes) as update:
        vocab, encoded = vocab_and_corpus(
            source, min_count=opts.min_count, max_vocab_size=opts.max_vocab_size,
            max_sentence_length=opts.max_sentence_length, vocab=vocab, progress=update)
    return vocab, encoded, "in memory", None


def run_epochs(model: Word2VecModel, encoded: EncodedCorpus, control: RunControl,
               state: TrainState) -> None:
    """Run (or continue, from ``state``) every epoch of training on ``model`` in place.

    Each epoch is a series of kernel calls over runs of chunks (:func:`segments`),
    made from a helper thread while this thread shows progress and answers
    signals. Between calls: the numerics are checked, a checkpoint is written
    when one is due, and an interrupt stops the run with a checkpoint.
    """
    opts, stats, display = model.options, model.stats, control.display
    engine = engine_for(opts, model.syn0, model.syn1, model.biases, model.vocab.counts, encoded,
                        report_loss=control.report_loss, inputs=model.inputs)
    if state.chunk_done is None:
        state.chunk_done = np.zeros(engine.n_chunks, dtype=np.uint8)
    elif state.chunk_done.shape[0] != engine.n_chunks:
        raise FastW2VError("the checkpoint does not match this corpus (different chunk layout)")
    runs = engine.segments(control.segment_words)
    total = encoded.n_words * opts.epochs

    # Compile (first run) or load (later runs) the kernel with a call that trains
    # nothing, so that neither counts as training time.
    engine.warm_up()
    if control.log is not None:
        control.log.write({"event": "start", "options": asdict(opts), "words_per_epoch": encoded.n_words,
                           "vocabulary": len(model.vocab), "epoch": state.epoch + 1,
                           "resumed": state.words_done > 0})
    watch = _Watch(engine.stop, control.checkpoint_every)
    words_at_start, seconds_before = state.words_done, state.train_seconds
    t0 = time.perf_counter()
    with watch, display.phase("training", total) as update:
        def poll():
            epoch_words = state.epoch_words + engine.words()
            done = state.words_done + engine.words()
            seconds = elapsed(t0)
            info = (f"{format_rate((done - words_at_start) / seconds if seconds else 0)}  "
                    f"lr {learning_rate(opts.alpha, opts.min_alpha, done, total):.2e}")
            if control.report_loss and epoch_words:
                info += f"  loss {(state.epoch_loss + engine.loss_sum()) / epoch_words:.4f}"
            update(done, info)
            watch.tick()

        while state.epoch < opts.epochs:
            epoch_t0, epoch_words_before = time.perf_counter(), state.epoch_words
            for lo, hi in runs:
                while not state.chunk_done[lo:hi].all():
                    _call_watched(lambda: engine.run(state.epoch, lo, hi, state.chunk_done), poll)
                    # Fold the call's counters into the state and zero them, so that
                    # poll() never counts a word twice.
                    words, loss = engine.take_counts()
                    state.words_done += words
                    state.epoch_words += words
                    state.epoch_loss += loss
                    state.train_seconds = seconds_before + elapsed(t0)
                    encoded.release()
                    # The output layer after every call; the input layer (800 MB with
                    # subwords: 0.07 s a scan on the 2-core VM of the bench log) at the
                    # epoch's end and before any checkpoint, so that none holds diverged
                    # vectors. Diverging input vectors feed the output layer's updates, so
                    # a blow-up is usually caught at the next call; at the latest, at the
                    # epoch's end.
                    whole = bool(state.chunk_done.all())
                    _check_numerics(model, state, control, whole)
                    if engine.stop[0]:
                        if not whole:
                            _check_numerics(model, state, control)
                        reason, engine.stop[0] = watch.take(), 0
                        _save_checkpoint(model, state, control)
                        if reason == "interrupt":
                            raise TrainingStopped(_stopped_message(model, state, control))
            state.train_seconds = seconds_before + elapsed(t0)
            record = _end_epoch(model, state, encoded.n_words, control.report_loss,
                                state.epoch_words - epoch_words_before, elapsed(epoch_t0))
            if control.report_loss:
                display.line(f"epoch {record['epoch']}/{opts.epochs}: loss per word "
                             f"{record['loss_per_word']:.4f}")
            if control.on_epoch is not None:
                control.on_epoch(model, record)
            if control.log is not None:
                control.log.write(record)
            if control.checkpoint is not None and control.checkpoint_every is not None:
                _save_checkpoint(model, state, control)
                watch.restart_clock()
    stats.epochs = opts.epochs
    stats.train_seconds = state.train_seconds
    model.chunk_alphas = engine.chunk_alphas
    model.epoch_losses = list(state.epoch_losses)
    if control.log is not None:
        control.log.write({"event": "end", "words": state.words_done,
                           "seconds": round(state.train_seconds, 3)})



def _end_epoch(model: Word2VecModel, state: TrainState, corpus_words: int, report_loss: bool,
               words_now: int, seconds_now: float) -> dict:
    """Close the epoch under way in ``state``; return its log record."""
    opts = model.options
    loss = state.epoch_loss / state.epoch_words if state.epoch_words else 0.0
    record = {
        "event": "epoch", "epoch": state.epoch + 1, "epochs": opts.epochs,
        "words": state.words_done, "seconds": round(state.train_seconds, 3),
        "words_per_second": round(words_now / seconds_now, 1) if seconds_now else 0.0,
        "alpha": learning_rate(opts.alpha, opts.min_alpha, state.words_done,
                               corpus_words * opts.epochs),
        "loss_per_word": loss if report_loss else None,
    }
    state.epoch_losses.append(loss if report_loss else float("nan"))
    state.epoch += 1
    state.chunk_done[:] = 0
    state.epoch_words = 0
    state.epoch_loss = 0.0
    return record


def _check_numerics(model: Word2VecModel, state: TrainState, control: RunControl,
                    inputs: bool = True) -> None:
    """Stop with a clear error once the vectors hold NaN, inf or exploding values (the
    input vectors too unless ``inputs`` is false)."""
    layers = [("input", model.syn0), ("output", model.syn1)][0 if inputs else 1:]
    bad = first_beyond([matrix for _, matrix in layers], DIVERGED_LIMIT)
    if bad >= 0:
        where = (f"epoch {state.epoch + 1}, "
                 f"{state.epoch_words / max(model.stats.words_per_epoch, 1):.0%} through")
        last = (f"; the last good checkpoint is {control.last_checkpoint}{_kept_cache_note(control)}"
                if control.last_checkpoint else "")
        raise FastW2VError(
            f"training diverged: the {layers[bad][0]} vectors hold NaN, infinite or huge "
            f"values (beyond {DIVERGED_LIMIT:g}) at {where}; try a smaller {{alpha}} "
            f"(it was {model.options.alpha:g}){last}; no vectors were written", fields=("alpha",))


def _save_checkpoint(model: Word2VecModel, state: TrainState, control: RunControl) -> None:
    if control.checkpoint is None:
        return
    first = control.last_checkpoint is None
    save_checkpoint(control.checkpoint, model, state, control.checkpoint_info)
    control.last_checkpoint = str(control.checkpoint)
    if first and _from_stream(control) and control.checkpoint_every is not None:
        control.display.line(f"checkpoint: {control.checkpoint}{_kept_cache_note(control)}")


def _stopped_message(model: Word2VecModel, state: TrainState, control: RunControl) -> str:
    at = (f"epoch {state.epoch + 1} of {model.options.epochs}, "
          f"{state.epoch_words / max(model.stats.words_per_epoch, 1):.0%} through")
    if control.checkpoint is None and _from_stream(control) and not control.checkpoint_info.get("cache"):
        return (f"interrupted at {at}; no checkpoint: the corpus was read from a stream and held in "
                "memory (--no-cache), so it cannot be read again")
    if control.checkpoint is None:
        return f"interrupted at {at} (no checkpoint was asked for)"
    return (f"interrupted at {at}; checkpoint written to {control.checkpoint}"
            f"{_kept_cache_note(control)}; continue with: fastw2v train --resume {control.checkpoint}")


def _kept_cache_note(control: RunControl) -> str:
    """Where a cache kept for the checkpoint is, for the line that names it."""
    cache = control.checkpoint_info.get("cache") or {}
    if _from_stream(control) and not cache:
        return " (the corpus was read from a stream and held in memory: the checkpoint cannot be resumed)"
    if _from_stream(control):
        return (f" (the corpus was read from a stream: resuming needs its token cache in {cache['dir']}, "
                "kept while the checkpoint is there)")
    if not cache.get("temporary"):
        return ""
    return f" (its encoded corpus is kept in {cache['dir']} until the run is resumed and ends)"


class _Watch:
    """Turns SIGINT/SIGTERM and the checkpoint clock into a stop request for the kernel.

    The kernel checks ``stop[0]`` before each chunk (about 10,000 words), so a
    request takes effect within milliseconds; :meth:`take` says why it was made.
    A second Ctrl-C while stopping aborts at once, as Python normally does.
    """

    def __init__(self, stop: np.ndarray, every_minutes: float | None):
        self.stop = stop
        self.every = every_minutes * 60.0 if every_minutes else None
        self.reason: str | None = None
        self.clock = time.monotonic()
        self._previous: dict = {}

    def __enter__(self) -> "_Watch":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum, frame) -> None:
        if self.reason == "interrupt":  # asked twice: stop now, without a checkpoint
            raise Interrupted("interrupted twice: stopped at once, without writing a checkpoint")
        self.reason = "interrupt"
        self.stop[0] = 1

    def tick(self) -> None:
        if self.every is not None and self.reason is None and time.monotonic() - self.clock >= self.every:
            self.reason = "checkpoint"
            self.stop[0] = 1

    def take(self) -> str | None:
        """Why the workers were stopped. An interrupt stays on record, so that a second
        Ctrl-C while its checkpoint is written aborts at once (:meth:`_on_signal`)."""
        reason = self.reason
        if reason != "interrupt":
            self.reason = None
        return reason

    def restart_clock(self) -> None:
        self.clock = time.monotonic()


def _call_watched(fn: Callable[[], None], poll: Callable[[], None], interval: float = 0.2) -> None:
    """Run ``fn`` (a kernel call that releases the GIL) in a helper thread; meanwhile
    call ``poll`` every ``interval`` seconds here, where signals are delivered."""
    failure: list[BaseException] = []

    def target():
        try:
            fn()
        except BaseException as exc:  # pragma: no cover - the kernels raise nothing
            failure.append(exc)

    worker = threading.Thread(target=target, name="fastw2v-train", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(interval)
        poll()
    if failure:
        raise failure[0]
