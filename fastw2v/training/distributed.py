"""Data-parallel training on a Dask cluster: one shard of the corpus and one model replica per worker.

The driver (the process that calls :func:`train_distributed`, or ``fastw2v train
--dask``) runs no training itself:

1. It plans one shard per worker (:func:`fastw2v.text.shards.plan_shards`: whole
   files, or byte ranges cut at line starts) and starts one :class:`ShardTrainer`
   Dask Actor on each worker. Files are read by the workers, so their paths must
   be valid there.
2. Each actor counts its shard with the Numba tokenizer and returns word ->
   count; the driver adds them up and applies ``min_count`` and the canonical
   order (:func:`fastw2v.text.shards.merge_counts`). Each actor then encodes its shard
   against that vocabulary and keeps the token ids in its worker's memory.
3. Every actor starts from the same replica (same seed) and trains its shard
   with the same kernel as :func:`fastw2v.train`, in rounds of ``sync_words``
   corpus words of its shard. The learning rate follows the position within the
   shard, so shards decay in step. After each round the replicas are synced
   (below); after the last round of every epoch all rows are synced, so at the
   end every replica is the same model.

Syncing follows Intel's distributed pWord2Vec (Ji et al., 2016): the
vocabulary is sorted by frequency, and sync k (1, 2, 3, ...) covers the first
``sync_rows * 2**z`` rows of both matrices, z the number of trailing zero bits
of k: the 1,024 most frequent words every round, the next 1,024 every second
round, the next 2,048 every fourth, and so on. Each worker sends, for those
rows, what it changed since the last sync of each row (its *delta*: replica
minus the last synced value, which it keeps as ``base``); the driver merges the
deltas and sends the result back, and every worker adds it to ``base`` and
resets those rows of its replica to it.

Merging (``merge``): ``"sum"`` adds the workers' deltas. That is model
averaging with the step scaled by the number of workers W (the sum is W times
the mean), so every word of every shard moves the model by one step, as every
word does with Hogwild threads on one machine; with frequent syncs it is close
to single-machine training. ``"average"`` takes, for each row, the mean of the
deltas of the workers that changed it (Spark MLlib's rule since 3.0): a word
seen by every worker moves by 1/W step per occurrence. ``sync_words="epoch"``
syncs everything once per epoch, as Spark MLlib does; it is there to be
measured against the scheme above (docs/distributed.md has numbers).

Failures: an unreachable scheduler is a one-line :class:`FastW2VError` after
``connect_timeout`` seconds. A lost worker (its process died or its machine went
away) is replaced: a new actor on another live worker reads and encodes the
lost shard again, takes the last synced model from a surviving worker and
retrains the lost round. Only what the lost worker had trained but not yet synced
(rare words' updates since their last sync) is lost; the model is never mixed
with half a round. With no live worker left, or after ``retries`` replacements,
training stops with a one-line error.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..engine.engine import first_beyond
from ..engine.losses import output_rows
from ..engine.sampling import learning_rate
from ..errors import FastW2VError, OptionError
from ..files import check_output_path
from ..progress import Display, elapsed, format_rate
from ..text.shards import Shard, ShardData, file_sizes, merge_counts, plan_shards
from ..text.vocab import Vocabulary
from .model import (
    DIVERGED_LIMIT,
    TrainStats,
    Word2VecModel,
    aligned_zeros,
    engine_for,
    initial_vectors,
)
from .options import TrainOptions

SYNC_WORDS = 100_000  # corpus words of each shard between syncs
SYNC_ROWS = 1024  # rows synced every round (pWord2Vec's min_sync_words)
MERGES = ("sum", "average")
CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler
WORKER_WAIT = 30.0  # seconds to wait for a live worker to replace a lost one
IDLE_WAIT = 5.0  # seconds to wait for a worker holding no shard (a restarted one) to join
LIVENESS_SECONDS = 1.0  # while waiting for a worker, check this often that it is still there
RETRIES = 3  # lost workers replaced per run before giving up
SEED_STRIDE = 1_000_003  # shard s draws its random numbers from seed + s * SEED_STRIDE


# ---------------------------------------------------------------- the schedule
def sync_rows_at(k: int, vocab_size: int, rows: int = SYNC_ROWS) -> int:
    """Rows synced at sync ``k`` (1-based): ``rows * 2**z``, z the trailing zeros of k."""
    z = (k & -k).bit_length() - 1
    return min(vocab_size, rows << min(z, 62))


def merge_deltas(deltas: list[np.ndarray], how: str) -> np.ndarray:
    """Merge the workers' deltas of the same rows: their sum, or per row the mean over
    the workers whose delta is not zero there."""
    total = deltas[0].copy()
    for d in deltas[1:]:
        total += d
    if how == "average" and len(deltas) > 1:
        touched = np.zeros(total.shape[0], dtype=np.float32)
        for d in deltas:
            touched += (d != 0) if d.ndim == 1 else np.any(d != 0, axis=1)
        scale = 1 / np.maximum(touched, 1)
        total *= scale if total.ndim == 1 else scale[:, None]
    return total


def pack_words(words: list[str]) -> str:
    """Words as one string for the network: Dask serialises a list item by item (2.6 s for
    86,000 words); a word never holds a newline (the tokenizer splits at ASCII whitespace)."""
    return "\n".join(words)


def unpack_words(packed: str) -> list[str]:
    return packed.split("\n") if packed else []


# ---------------------------------------------------------------- the worker side
class ShardStateLost(RuntimeError):
    """An actor was asked for state it does not hold (it was re-created after a failure)."""


class ShardTrainer:
    """One shard and one model replica, held in a Dask worker (a Dask Actor).

    Usable without Dask too: the driver only calls its methods. The replica is
    ``params``: syn0, syn1 and, for NCE, the biases; ``bases`` holds the last
    synced value of every row of each. Which rows a sync of ``rows`` covers:
    the first ``rows`` words' rows, and for hierarchical softmax the last
    ``rows`` inner nodes of syn1 (Huffman nodes are numbered by increasing count,
    so the root, on every path, is the last).
    """

    def __init__(self, shard: Shard, max_sentence_length: int, max_vocab_size: int = 0):
        self.shard = shard
        self.data = ShardData(shard, max_sentence_length, max_vocab_size)
        self.ready = False

    def where(self) -> tuple[str, int]:
        return _hostname(), os.getpid()

    def count(self) -> tuple[str, np.ndarray]:
        """The shard's words (joined by newlines, see :func:`pack_words`) and their counts."""
        words, counts = self.data.count()
        return pack_words(words), counts

    def encode(self, words: str, counts: np.ndarray) -> tuple[int, int]:
        encoded = self.data.encode(Vocabulary(unpack_words(words), np.asarray(counts, dtype=np.int64)))
        return encoded.n_words, encoded.n_sentences

    def prepare(self, options: dict, counts: np.ndarray, threads: int | None, rounds: int) -> int:
        """Build the replica and its engine (the same as a single process's, with this
        shard's seed); load the kernel. Returns the threads used."""
        import numba

        encoded = self.data.encoded
        if encoded is None:
            raise ShardStateLost(f"{self.shard.describe()} is not encoded on this worker")
        opts = TrainOptions(**options)
        opts.threads = threads or numba.config.NUMBA_NUM_THREADS
        self.opts = opts
        counts = np.asarray(counts, dtype=np.int64)
        n = len(counts)
        syn0, syn1 = initial_vectors(n, opts.dim, opts.seed, output_rows(opts.loss, n), threads=opts.threads)
        bias = np.zeros(n, dtype=np.float32) if opts.loss == "nce" else None
        self.engine = engine_for(opts, syn0, syn1, bias, counts, encoded,
                                 seed=opts.seed + SEED_STRIDE * self.shard.index)
        self.params = self.engine.params
        self.bases = [p.copy() for p in self.params]
        self.bounds = self.engine.rounds(rounds)
        self.chunk_done = np.zeros(self.engine.n_chunks, dtype=np.uint8)
        self.ready = True
        self.engine.warm_up()  # load (or compile) the kernel before the clock starts
        return opts.threads

    def _slices(self, rows: int) -> list[slice]:
        """The rows of each of ``params`` that a sync of ``rows`` covers."""
        out = []
        for i, p in enumerate(self.params):
            n = p.shape[0]
            k = min(rows, n)
            out.append(slice(n - k, n) if i == 1 and self.opts.loss == "hs" else slice(0, k))
        return out

    def _real(self, a: np.ndarray) -> np.ndarray:
        return a if a.ndim == 1 else a[:, :self.opts.dim]

    def step(self, merged: tuple | None, epoch: int, rnd: int, rows: int) -> tuple[int, list, float]:
        """Apply the last merge (if any), train round ``rnd`` of ``epoch``, and return
        (corpus words trained, the deltas of the rows a sync of ``rows`` covers, seconds
        in the kernel)."""
        if not self.ready:
            raise ShardStateLost(f"{self.shard.describe()} has no replica on this worker")
        if merged is not None:
            self.apply(*merged)
        lo, hi = int(self.bounds[rnd]), int(self.bounds[rnd + 1])
        self.chunk_done[lo:hi] = 0
        self.engine.take_counts()
        t0 = time.perf_counter()
        if hi > lo:
            self.engine.run(epoch, lo, hi, self.chunk_done)
        seconds = time.perf_counter() - t0
        slices = self._slices(rows)
        if first_beyond([p[s] for p, s in zip(self.params, slices)], DIVERGED_LIMIT) >= 0:
            raise FastW2VError(
                f"training diverged on {self.shard.describe()}: the vectors hold NaN, infinite or "
                f"huge values (beyond {DIVERGED_LIMIT:g}) in epoch {epoch + 1}; try a smaller "
                f"{{alpha}} (it was {self.opts.alpha:g}); no vectors were written", fields=("alpha",))
        deltas = [self._real(p[s]) - self._real(b[s]) for p, b, s in zip(self.params, self.bases, slices)]
        return self.engine.words(), deltas, seconds

    def apply(self, rows: int, merged: list[np.ndarray]) -> None:
        """Add the merged deltas to the synced rows; the replica takes the result."""
        for p, b, s, m in zip(self.params, self.bases, self._slices(rows), merged):
            self._real(b[s])[...] += m
            p[s] = b[s]

    def model(self) -> list[np.ndarray]:
        """The last synced model: syn0 and syn1 without padding (and the NCE biases)."""
        if not self.ready:
            raise ShardStateLost(f"{self.shard.describe()} has no replica on this worker")
        return [np.ascontiguousarray(self._real(b)) for b in self.bases]

    def replica(self) -> list[np.ndarray]:
        """This worker's replica as it stands (syn0 and syn1 without padding, and the NCE
        biases): after the last sync of a run, every worker's is the same model."""
        if not self.ready:
            raise ShardStateLost(f"{self.shard.describe()} has no replica on this worker")
        return [np.ascontiguousarray(self._real(p)) for p in self.params]

    def set_model(self, values: list[np.ndarray]) -> None:
        """Start from the synced model of the other workers (a replacement worker)."""
        for p, b, v in zip(self.params, self.bases, values):
            self._real(b)[...] = v
            p[...] = b


def _hostname() -> str:
    import socket

    return socket.gethostname()


# ---------------------------------------------------------------- the driver
@dataclass
class SyncStats:
    """What the replicas exchanged through the driver."""

    workers: int = 0
    merge: str = "sum"
    sync_words: int | None = None  # None: once per epoch
    rounds_per_epoch: int = 0
    syncs: int = 0
    rows_synced: int = 0  # summed over syncs (rows of each matrix)
    bytes_to_driver: int = 0
    bytes_from_driver: int = 0
    replaced_workers: int = 0
    losses: list = field(default_factory=list)  # one line per lost worker: where, when, why
    kernel_seconds: float = 0.0  # summed over rounds: the slowest worker's time in the kernel

    @property
    def bytes_total(self) -> int:
        return self.bytes_to_driver + self.bytes_from_driver

    @property
    def bytes_per_sync(self) -> float:
        return self.bytes_total / self.syncs if self.syncs else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "bytes_total": self.bytes_total, "bytes_per_sync": self.bytes_per_sync}


class _Lost(Exception):
    """A worker holding an actor went away."""


_LOST_TYPES = ("CommClosedError", "StreamClosedError", "KilledWorker", "FutureCancelledError")


def _is_lost(exc: BaseException) -> bool:
    """Whether ``exc``, raised by an actor call, says that the actor's worker went away."""
    if isinstance(exc, (_Lost, ShardStateLost)):
        return True
    if isinstance(exc, FastW2VError):
        return False
    text = str(exc)
    return (type(exc).__name__ in _LOST_TYPES
            or isinstance(exc, RuntimeError) and "Actor was lost" in text
            or isinstance(exc, OSError) and "contact Actor's worker" in text)


class _Fleet:
    """The driver's handle on the actors: calls on all of them, replacing lost ones."""

    def __init__(self, client, shards: list[Shard], workers: list[str], options: TrainOptions,
                 retries: int):
        self.client = client
        self.shards = shards
        self.options = options
        self.retries = retries
        self.replaced = 0
        self.losses: list[str] = []  # why each lost worker was taken for lost
        # What a replacement actor must redo to catch up: set once every actor has done it.
        self.vocab: Vocabulary | None = None  # encoded against this
        self.prepare_args: tuple | None = None  # prepared with these (and holds the model)
        self.workers = list(workers)
        self.actors = []
        for shard, worker in zip(shards, workers):
            try:
                self.actors.append(self._start(shard, worker))
            except Exception as exc:  # noqa: BLE001
                message = " ".join(str(exc).split()) or type(exc).__name__
                raise FastW2VError(f"cannot start training on worker {worker}: {message}") from None

    def _start(self, shard: Shard, worker: str):
        future = self.client.submit(ShardTrainer, shard, self.options.max_sentence_length,
                                    self.options.max_vocab_size, actor=True, workers=[worker],
                                    allow_other_workers=False, pure=False)
        try:
            return future.result(timeout=WORKER_WAIT)
        except TimeoutError:
            if future.done():
                return future.result()
            raise _Lost(f"worker {worker} did not start the actor within {WORKER_WAIT:.0f} s") from None

    def call(self, method: str, args: list[tuple] | tuple = (), retry_args=None,
             on_result=None) -> list:
        """``method(*args[i])`` on every actor i, in parallel; lost actors are replaced and
        their call made again, with ``retry_args(i)`` when given (None: not again)."""
        per = args if isinstance(args, list) else [args] * len(self.actors)
        futures = [getattr(a, method)(*per[i]) for i, a in enumerate(self.actors)]
        results: list = [None] * len(self.actors)
        lost = []
        for i, f in enumerate(futures):
            try:
                results[i] = self._wait(i, f)
            except Exception as exc:  # noqa: BLE001 - sorted below
                if not self._lost(i, exc):
                    raise self._failure(i, exc) from None
                self._note_loss(i, method, exc)
                lost.append(i)
                continue
            if on_result is not None:
                on_result(i, results[i])
        survivors = [i for i in range(len(self.actors)) if i not in lost]
        for i in lost:
            self._replace(i, survivors)
            again = retry_args(i) if retry_args is not None else per[i]
            if again is not None:  # None: the replacement is already where the call would bring it
                results[i] = self._call_one(i, method, again)
            if on_result is not None:
                on_result(i, results[i])
            survivors.append(i)
        return results

    def call_one(self, method: str, args: tuple = ()):
        """``method(*args)`` on one actor (the first that answers)."""
        return self._call_one(0, method, args)

    def _call_one(self, i: int, method: str, args: tuple):
        while True:
            try:
                return self._wait(i, getattr(self.actors[i], method)(*args))
            except Exception as exc:  # noqa: BLE001
                if not self._lost(i, exc):
                    raise self._failure(i, exc) from None
                self._note_loss(i, method, exc)
                self._replace(i, [j for j in range(len(self.actors)) if j != i])

    def _wait(self, i: int, future):
        """The result of actor i's call; raises :class:`_Lost` once its worker has left.

        A call to a worker that has just died can take Dask's connect timeout (30 s)
        to fail, so the scheduler's list of workers is checked every second meanwhile.
        """
        while True:
            try:
                return future.result(timeout=LIVENESS_SECONDS)
            except TimeoutError:
                if future.done():
                    return future.result()
            if not self._alive(i):
                raise _Lost(f"worker {self.workers[i]} left the cluster")

    def _lost(self, i: int, exc: BaseException) -> bool:
        """Whether actor i's call failed because its worker went away (or is going)."""
        if _is_lost(exc):
            return True
        if isinstance(exc, FastW2VError):
            return False
        deadline = time.monotonic() + 3 * LIVENESS_SECONDS  # the scheduler may not know yet
        while time.monotonic() < deadline:
            if not self._alive(i):
                return True
            time.sleep(0.25)
        return False

    def _alive(self, i: int) -> bool:
        ref = getattr(self.actors[i], "_future", None)
        if ref is not None and getattr(ref, "status", "finished") in ("error", "lost", "cancelled"):
            return False
        return self.workers[i] in self.client.scheduler_info()["workers"]

    def _note_loss(self, i: int, method: str, exc: BaseException) -> None:
        message = " ".join(str(exc).split()) or type(exc).__name__
        self.losses.append(f"{self.workers[i]} in {method}: {type(exc).__name__}: {message}")

    def _failure(self, i: int, exc: BaseException) -> FastW2VError:
        if isinstance(exc, FastW2VError):
            return exc
        message = " ".join(str(exc).split()) or type(exc).__name__
        return FastW2VError(f"worker {self.workers[i]} failed on {self.shards[i].describe()}: "
                            f"{type(exc).__name__}: {message}")

    def _replace(self, i: int, survivors: list[int]) -> None:
        """Start a new actor for shard i on a live worker and bring it to where the others are."""
        self.replaced += 1
        lost_at = self.workers[i]
        if self.replaced > self.retries:
            why = (f"{self.retries} lost worker{'s were' if self.retries != 1 else ' was'} already "
                   "replaced" if self.retries else "replacing lost workers is off")
            raise FastW2VError(f"worker {lost_at} holding {self.shards[i].describe()} was lost; "
                               f"training stopped ({why})")
        model = None
        if self.prepare_args is not None:
            for j in survivors:
                try:
                    model = self._wait(j, self.actors[j].model())
                    break
                except Exception as exc:  # noqa: BLE001
                    if not self._lost(j, exc):
                        raise self._failure(j, exc) from None
            if model is None:
                raise FastW2VError(f"worker {lost_at} holding {self.shards[i].describe()} was lost and "
                                   "no other worker holds the model; training stopped")
        worker = self._live_worker(exclude=lost_at)
        if worker is None:
            raise FastW2VError(f"worker {lost_at} holding {self.shards[i].describe()} was lost and "
                               f"no other worker joined within {WORKER_WAIT:.0f} s; training stopped")
        self.workers[i] = worker
        try:
            self.actors[i] = self._start(self.shards[i], worker)
            if self.vocab is not None:
                self._wait(i, self.actors[i].encode(pack_words(self.vocab.words), self.vocab.counts))
            if self.prepare_args is not None:
                options, counts, threads, rounds = self.prepare_args
                self._wait(i, self.actors[i].prepare(options, counts, threads or self.threads_of(i),
                                                     rounds))
            if model is not None:
                self._wait(i, self.actors[i].set_model(model))
        except Exception as exc:  # noqa: BLE001 - the replacement's worker went too
            if not self._lost(i, exc):
                raise self._failure(i, exc) from None
            self._note_loss(i, "catching up", exc)
            self._replace(i, survivors)

    def threads_of(self, i: int) -> int:
        """The thread count of actor i's Dask worker."""
        info = self.client.scheduler_info()["workers"].get(self.workers[i], {})
        return int(info.get("nthreads") or 1)

    def _live_worker(self, exclude: str) -> str | None:
        """A worker for a replacement actor: one holding no shard if one is there or joins
        within IDLE_WAIT seconds (a restarted worker), else the least loaded live one."""
        start = time.monotonic()
        while True:
            live = [w for w in self.client.scheduler_info()["workers"] if w != exclude]
            load = {w: self.workers.count(w) for w in live}
            if live and (min(load.values()) == 0 or time.monotonic() - start > IDLE_WAIT):
                return min(live, key=lambda w: (load[w], w))
            if time.monotonic() - start > WORKER_WAIT:
                return None
            time.sleep(0.25)


def parse_sync_words(value: int | str | None) -> int | None:
    """Words between syncs from ``value`` (a number, or "epoch": None, once per epoch)."""
    if value is None:
        return SYNC_WORDS
    if isinstance(value, str):
        if value.strip().lower() == "epoch":
            return None
        try:
            value = int(value.replace("_", "").replace(",", ""))
        except ValueError:
            raise OptionError("sync_words", f"must be a number of words or 'epoch' (got {value!r})") from None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise OptionError("sync_words", f"must be a number of words >= 1 or 'epoch' (got {value!r})")
    return int(value)


def train_distributed(corpus, client, *, sync_words: int | str | None = SYNC_WORDS,
                      sync_rows: int = SYNC_ROWS, merge: str | None = None,
                      vocab: Vocabulary | str | os.PathLike | None = None,
                      save_vocab: str | os.PathLike | None = None,
                      progress: bool | Display = False, connect_timeout: float = CONNECT_TIMEOUT,
                      retries: int = RETRIES, on_round=None, **options) -> Word2VecModel:
    """Train on a Dask cluster, one shard per worker, and return the model.

    ``corpus``: a path or a list of paths, as the workers see them. ``client``: a
    ``distributed.Client``, a scheduler address (``tcp://host:8786``), or
    ``"local:N"`` to start a ``LocalCluster`` of N worker processes for this run.
    ``sync_words``: corpus words of each shard between syncs, or ``"epoch"`` to
    sync once per epoch. ``sync_rows``: rows synced every round (the
    schedule is in the module docstring). ``merge``: ``"sum"`` (the default) or
    ``"average"``. ``options``: the fields of :class:`fastw2v.TrainOptions`;
    ``threads`` is per worker (default: the worker's thread count).
    ``on_round(epoch, round, client)``: called after each sync (monitoring, tests).
    The model has a ``sync_stats`` attribute (:class:`SyncStats`).
    """
    if isinstance(corpus, (str, os.PathLike)):
        corpus = [corpus]
    corpus = list(corpus)
    if not corpus or not all(isinstance(c, (str, os.PathLike)) for c in corpus):
        raise FastW2VError("distributed training reads corpus files: give paths the workers can read")
    threads = options.get("threads")
    opts = TrainOptions(**options).resolved()
    if opts.subwords:
        raise FastW2VError("subword models ({maxn} > 0) are not trained on Dask yet: train them on one "
                           "machine", fields=("maxn",))
    sync_words = parse_sync_words(sync_words)
    if sync_rows < 1:
        raise FastW2VError(f"sync_rows must be at least 1 (got {sync_rows})")
    merge = merge or "sum"
    if merge not in MERGES:
        raise FastW2VError(f"unknown merge {merge!r} (choose {' or '.join(MERGES)})")
    if isinstance(vocab, (str, os.PathLike)):
        vocab = Vocabulary.load(vocab, opts.min_count)
    if save_vocab is not None:
        check_output_path(save_vocab)
    display = progress if isinstance(progress, Display) else Display(bool(progress))
    with connect(client, threads=threads, timeout=connect_timeout) as dask_client:
        return _train(dask_client, [os.fspath(c) for c in corpus], opts, threads, vocab, save_vocab,
                      display, sync_words, sync_rows, merge, retries, on_round)


@contextlib.contextmanager
def connect(target, *, threads: int | None = None, timeout: float = CONNECT_TIMEOUT):
    """A ``distributed.Client`` for ``target``: a Client (used as is), a scheduler address,
    or ``"local:N"`` (a LocalCluster of N processes with ``threads`` threads each, default 1,
    closed at the end). Dask's own log messages are silenced meanwhile: errors are ours to report."""
    try:
        import distributed
    except ImportError:
        raise FastW2VError("distributed training needs Dask: pip install 'fastw2v[distributed]'") from None
    with _quiet_dask():
        if isinstance(target, distributed.Client):
            yield target
            return
        if not isinstance(target, str) or not target.strip():
            raise OptionError("client", f"needs a scheduler address or local:N (got {target!r})")
        target = target.strip()
        if target.startswith("local:") or target == "local":
            n_text = target.partition(":")[2] or str(os.cpu_count() or 1)
            if not n_text.isdigit() or int(n_text) < 1:
                raise OptionError("client", f"local:N needs a number of workers N >= 1 (got {target!r})")
            with distributed.LocalCluster(n_workers=int(n_text), threads_per_worker=threads or 1,
                                          processes=True, dashboard_address=":0",
                                          silence_logs=logging.CRITICAL) as cluster, \
                    distributed.Client(cluster, timeout=timeout) as client:
                yield client
            return
        try:
            client = distributed.Client(target, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the same to the user
            reason = " ".join(str(exc).split()) or type(exc).__name__
            if isinstance(exc, MemoryError):  # something that is not a Dask scheduler answered
                reason = "the reply was not from a Dask scheduler"
            raise FastW2VError(f"cannot reach the Dask scheduler at {target} within {timeout:g} s "
                               f"({reason})") from None
        with client:
            yield client


@contextlib.contextmanager
def _quiet_dask():
    names = ("distributed", "distributed.client", "distributed.scheduler", "distributed.worker",
             "distributed.nanny", "distributed.core", "distributed.comm")
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _train(client, files: list[str], opts: TrainOptions, threads: int | None,
           vocab: Vocabulary | None, save_vocab, display: Display, sync_words: int | None, sync_rows: int,
           merge: str, retries: int, on_round=None) -> Word2VecModel:
    t0 = time.perf_counter()
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except Exception:  # noqa: BLE001
        raise FastW2VError(f"the Dask cluster at {client.scheduler_info().get('address', '?')} has no workers "
                           f"(waited {WORKER_WAIT:.0f} s)") from None
    workers = sorted(client.scheduler_info()["workers"])
    sizes = client.submit(file_sizes, files, pure=False).result()
    shards = plan_shards(sizes, len(workers))
    fleet = _Fleet(client, shards, workers, opts, retries)

    # Vocabulary: counted on the workers, merged here.
    if vocab is None:
        counted = [0]

        def one_more(i, result):
            counted[0] += 1
            update(counted[0], f"{counted[0]} of {len(shards)} shards")

        with display.phase("counting", len(shards)) as update:
            results = fleet.call("count", on_result=one_more)
        results = [(unpack_words(w), c) for w, c in results]
        if not any(len(w) for w, _ in results):
            raise FastW2VError(f"corpus is empty (no words in {', '.join(files)})")
        vocab = merge_counts(results, opts.min_count)
        if len(vocab) == 0:
            top = max(int(np.max(c)) for w, c in results if len(w))
            raise FastW2VError(f"no word reaches {{min_count}} {opts.min_count} (the most frequent "
                               f"word occurs {top} time{'s' if top != 1 else ''})", fields=("min_count",))
        del results
    if save_vocab is not None:
        vocab.save(save_vocab)
    sizes_out = fleet.call("encode", (pack_words(vocab.words), vocab.counts))
    fleet.vocab = vocab
    n_words = sum(n for n, _ in sizes_out)
    n_sentences = sum(s for _, s in sizes_out)
    if n_words == 0:
        raise FastW2VError(f"no word of the vocabulary occurs in {', '.join(files)}")
    largest = max(n for n, _ in sizes_out)
    rounds = 1 if sync_words is None else max(1, math.ceil(largest / sync_words))
    prepare_args = (asdict(opts), vocab.counts, threads, rounds)
    used = fleet.call("prepare", [prepare_args[:2] + (threads or fleet.threads_of(i),) + prepare_args[3:]
                                  for i in range(len(shards))])
    fleet.prepare_args = prepare_args
    stats = TrainStats(words_per_epoch=n_words, prepare_seconds=elapsed(t0))
    display.line(f"vocabulary: {len(vocab):,} words, corpus: {n_words:,} words in {n_sentences:,} "
                 f"sentences, {len(shards)} shards on {len(workers)} workers "
                 f"({stats.prepare_seconds:.1f} s)")

    sync = SyncStats(workers=len(workers), merge=merge, sync_words=sync_words,
                     rounds_per_epoch=rounds)
    total = n_words * opts.epochs
    done = 0
    merged: tuple | None = None
    k = 0
    t1 = time.perf_counter()
    with display.phase("training", total) as update:
        for epoch in range(opts.epochs):
            for rnd in range(rounds):
                k += 1
                rows = len(vocab) if rnd == rounds - 1 else sync_rows_at(k, len(vocab), sync_rows)
                if merged is not None:
                    sync.bytes_from_driver += len(fleet.actors) * sum(a.nbytes for a in merged[1])
                out = fleet.call("step", (merged, epoch, rnd, rows),
                                 retry_args=lambda i, e=epoch, r=rnd, n=rows: (None, e, r, n))
                done += sum(w for w, _, _ in out)
                sync.kernel_seconds += max(t for _, _, t in out)
                parts = len(out[0][1])
                merged = (rows, [merge_deltas([d[j] for _, d, _ in out], merge) for j in range(parts)])
                sync.syncs += 1
                sync.rows_synced += rows
                sync.bytes_to_driver += sum(a.nbytes for _, d, _ in out for a in d)
                del out
                seconds = elapsed(t1)
                update(done, f"{format_rate(done / seconds if seconds else 0)}  lr "
                             f"{learning_rate(opts.alpha, opts.min_alpha, done, total):.2e}  "
                             f"synced {rows:,} rows")
                if on_round is not None:
                    on_round(epoch, rnd, client)
        sync.bytes_from_driver += len(fleet.actors) * sum(a.nbytes for a in merged[1])
        fleet.call("apply", merged, retry_args=lambda i: None)
    stats.epochs = opts.epochs
    stats.train_seconds = elapsed(t1)
    stats.words_per_epoch = n_words
    sync.replaced_workers = fleet.replaced
    sync.losses = list(fleet.losses)
    values = fleet.call_one("model")
    syn0 = aligned_zeros(values[0].shape[0], opts.dim)
    syn1 = aligned_zeros(values[1].shape[0], opts.dim)
    syn0[:, :opts.dim] = values[0]
    syn1[:, :opts.dim] = values[1]
    opts.threads = max(used)
    model = Word2VecModel(vocab, syn0, syn1, opts, stats,
                          **({"biases": values[2]} if len(values) > 2 else {}))
    model.sync_stats = sync
    display.line(f"trained {stats.words_trained:,} words in {stats.train_seconds:.1f} s "
                 f"({format_rate(stats.words_per_second)}, {len(workers)} workers, {sum(used)} "
                 f"threads in all); {sync.syncs:,} sync{'s' if sync.syncs != 1 else ''}, "
                 f"{sync.bytes_per_sync / 1e6:.1f} MB each on average, {sync.bytes_total / 1e6:,.0f} MB "
                 f"in all; {sync.kernel_seconds:.1f} s of the {stats.train_seconds:.1f} s in the "
                 f"kernel (slowest worker of each round)" + (f"; {fleet.replaced} lost worker{'s' if fleet.replaced != 1 else ''} "
                             f"replaced ({'; '.join(fleet.losses)})" if fleet.replaced else ""))
    return model
