"""The Numba training kernel: one epoch of skip-gram or CBOW, for every loss and input side.

Terms: ``syn0`` holds the input vectors (the word vectors users keep), ``syn1``
the output layer. As in word2vec.c, skip-gram feeds each context word's input
vector to the output layer and asks it to predict the centre word; CBOW feeds
the mean of the context's input vectors.

Two things vary, and each is a typed tuple whose type picks, at compile time,
the code for it (one compiled kernel per combination, no copies of the loop):

* the **output side**, the loss (:mod:`fastw2v.engine.losses`): per centre word a
  list of outputs (row of ``syn1``, label, logit offset), each trained as a
  logistic output. Negative sampling, NCE and hierarchical softmax differ only
  in how that list is drawn, in the sigmoid, and in NCE's trained biases;
* the **input side** (:mod:`fastw2v.engine.inputs`): the rows of ``syn0`` that
  make up a word's input vector (their mean; the gradient goes to each).

The update rule is a run-time choice (``Schedule.rule``), made once per centre
word: ``SG_SHARED`` (the default; Ji et al. 2016, Intel's pWord2Vec: the
context words of one centre share its outputs, so its work is three small dense
products over rows copied into contiguous scratch blocks: :func:`shared_step`),
``SG_PAIRS`` (word2vec.c's original rule: fresh outputs for every (context,
centre) pair, and :func:`sequential_step`'s rank-1 updates) and ``CBOW`` (one
input, the mean of the context, through :func:`sequential_step`).

Parallelism is Hogwild: the corpus is cut into chunks of whole sentences; worker
``t`` takes chunks ``t, t + W, t + 2W, ...`` (W workers), so all workers move
through the corpus together, and all update ``syn0`` and ``syn1`` without locks.
Each chunk draws its random numbers from its own state, seeded from (seed,
epoch, chunk), and the learning rate is a function of the corpus position: every
random draw and every learning rate is the same whatever the number of threads.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from .inputs import max_rows, mean_of_rows, prefetch_input, rows_of, window_cached, word_input
from .intrinsics import load_relaxed, prefetch_row
from .losses import (
    draw_outputs,
    logistic,
    logistic_loss,
    logit_offsets,
    max_outputs,
    offset_of,
    trains_biases,
    update_biases,
)
from .sampling import learning_rate, next_random, random_below, seed_state

PROGRESS_STRIDE = 8  # per-thread counters sit 64 bytes apart: no false sharing

# Update rules (Schedule.rule), from the options model and batching.
SG_SHARED = 0
SG_PAIRS = 1
CBOW = 2
_RULES = {("sg", "shared-negatives"): SG_SHARED, ("sg", "none"): SG_PAIRS,
          ("cbow", "shared-negatives"): CBOW, ("cbow", "none"): CBOW}


def rule_of(model: str, batching: str) -> int:
    """The update rule of ``model`` (sg, cbow) and ``batching`` (shared-negatives, none)."""
    return _RULES[model, batching]


# The kernel's arguments, grouped.
CorpusArrays = namedtuple("CorpusArrays", ["tokens", "sentence_ends", "chunk_starts"])
CorpusArrays.__doc__ = """int32 word ids; int64 sentence ends; chunk c = sentences chunk_starts[c]:[c+1]."""
Schedule = namedtuple("Schedule", ["keep", "rule", "group", "window", "alpha", "min_alpha", "epochs", "seed"])
Schedule.__doc__ = """What stays the same for a whole run: subsampling (keep probability per word),
update rule, how many context words share one draw of outputs under SG_SHARED (``group``;
0: all of a centre's), window, learning rate from alpha to min_alpha over all epochs, seed."""
Counters = namedtuple("Counters", ["progress", "losses", "stop", "chunk_alphas", "report_loss"])
Counters.__doc__ = """Written while the kernel runs: corpus words done and loss (float64) per worker
(PROGRESS_STRIDE apart), the learning rate at each chunk's start; read: stop[0],
which makes the workers stop before their next chunk, and whether to sum the loss."""
Scratch = namedtuple("Scratch", ["rows", "starts", "in_block", "out_block", "grad", "grad_t", "acc", "hidden",
                                 "offsets", "gsum", "win_vec", "win_grad", "win_rows", "group_outs",
                                 "group_labels"])
Scratch.__doc__ = """One worker's scratch arrays. The ``win_*`` arrays are the window cache (see
:func:`train_epoch`): for each of the 2 * window + 1 positions a sentence can have in the
window, the word's input vector as it stands, the gradient it has gathered since it came in,
and its row count. ``group_*``: the outputs of the next group of context words (SG_SHARED
with ``Schedule.group``), drawn while the group before it trains."""


# ---------------------------------------------------------------- row helpers
@njit(cache=True, inline="always")
def _gather_rows(matrix, rows, n, block):
    """Copy matrix[rows[i]] into block[i] for i < n (contiguous scratch for the products).
    The row is read once per copy: inside the copy every store could, for all LLVM
    knows, change ``rows``, and a reload per value would keep the copy scalar."""
    for i in range(n):
        row = rows[i]
        for d in range(matrix.shape[1]):
            block[i, d] = matrix[row, d]


@njit(cache=True, inline="always", fastmath=True)
def _add_to_rows(matrix, rows, lo, hi, delta):
    """matrix[rows[i]] += delta for lo <= i < hi."""
    for i in range(lo, hi):
        row = rows[i]
        for d in range(matrix.shape[1]):
            matrix[row, d] += delta[d]


@njit(cache=True, inline="always", fastmath=True)
def _weighted_rows(out, block, weights, w, n):
    """out = sum of weights[w, j] * block[j] over j < n (n >= 1): three rows a pass, so
    ``out`` is stored once for every three rows added, not once for each."""
    dim = block.shape[1]
    j = 0
    while j < n:
        left = n - j
        if left >= 3:
            a, b, c = weights[w, j], weights[w, j + 1], weights[w, j + 2]
            if j == 0:
                for d in range(dim):
                    out[d] = a * block[0, d] + b * block[1, d] + c * block[2, d]
            else:
                for d in range(dim):
                    out[d] += a * block[j, d] + b * block[j + 1, d] + c * block[j + 2, d]
            j += 3
        elif left == 2:
            a, b = weights[w, j], weights[w, j + 1]
            if j == 0:
                for d in range(dim):
                    out[d] = a * block[0, d] + b * block[1, d]
            else:
                for d in range(dim):
                    out[d] += a * block[j, d] + b * block[j + 1, d]
            j += 2
        else:
            a = weights[w, j]
            if j == 0:
                for d in range(dim):
                    out[d] = a * block[0, d]
            else:
                for d in range(dim):
                    out[d] += a * block[j, d]
            j += 1


# ---------------------------------------------------------------- the window cache
@njit(cache=True, inline="always", fastmath=True)
def _add_to_cached(scratch, slot, delta):
    """A cached word's rows all get ``delta``: its input vector (their mean) moves by
    ``delta`` at once, and the rows get it when the word leaves the window."""
    for d in range(delta.shape[0]):
        scratch.win_vec[slot, d] += delta[d]
        scratch.win_grad[slot, d] += delta[d]


# (Not inlined: a write through the scratch tuple in the parallel loop's body would be lost.)
@njit(cache=True, fastmath=True)
def _cache_word(inputs, syn0, word, slot, scratch):
    """Bring ``word`` into the window cache at ``slot``: its input vector, no gradient yet."""
    n = rows_of(inputs, word, scratch.rows, 0)
    word_input(inputs, syn0, scratch.rows, 0, n, scratch.win_vec[slot])
    scratch.win_rows[slot] = n
    for d in range(syn0.shape[1]):
        scratch.win_grad[slot, d] = 0.0


@njit(cache=True, fastmath=True)
def _uncache_word(inputs, syn0, word, slot, scratch):
    """``word`` leaves the window: every one of its rows gets the gradient it gathered."""
    n = rows_of(inputs, word, scratch.rows, 0)
    _add_to_rows(syn0, scratch.rows, 0, n, scratch.win_grad[slot])


# ---------------------------------------------------------------- the two steps
@njit(cache=True, fastmath=True)
def shared_step(loss, inputs, syn0, syn1, n_in, slots, outs, n_out, labels, scratch, alpha, report_loss,
                first=0):
    """Context words first..first+n_in-1 (cached at ``slots[first + b]``, or rows
    ``scratch.rows[starts[first + b]:starts[first + b + 1]]``) share the outputs
    ``outs[:n_out]``: scores = In (n_in x D) . Out^T (D x n_out), then the gradients of
    both sides from the same scores. Returns the loss before the update (float64) when
    ``report_loss``, else 0."""
    rows, starts, in_block, out_block = scratch.rows, scratch.starts, scratch.in_block, scratch.out_block
    grad, grad_t, acc, offsets, gsum = scratch.grad, scratch.grad_t, scratch.acc, scratch.offsets, scratch.gsum
    dim = syn0.shape[1]
    total = 0.0
    cached = window_cached(inputs)
    if cached:  # _gather_rows reads each slot once, so the copy is vector code
        _gather_rows(scratch.win_vec, slots[first:first + n_in], n_in, in_block)
    else:
        for b in range(n_in):
            word_input(inputs, syn0, rows, starts[first + b], starts[first + b + 1], in_block[b])
    _gather_rows(syn1, outs, n_out, out_block)
    logit_offsets(loss, outs, n_out, offsets)
    for b in range(n_in):
        for k in range(n_out):
            f = np.float32(0.0)
            for d in range(dim):
                f += in_block[b, d] * out_block[k, d]
            x = f + offset_of(loss, offsets, k)
            g = (labels[k] - logistic(loss, x)) * alpha
            grad[b, k] = g
            grad_t[k, b] = g
            if report_loss:
                total += logistic_loss(x, labels[k])
    for b in range(n_in):
        _weighted_rows(acc, out_block, grad, b, n_out)
        if cached:
            _add_to_cached(scratch, slots[first + b], acc)
        else:
            _add_to_rows(syn0, rows, starts[first + b], starts[first + b + 1], acc)
    for k in range(n_out):
        _weighted_rows(acc, in_block, grad_t, k, n_in)
        if trains_biases(loss):
            bias_grad = 0.0
            for b in range(n_in):
                bias_grad += grad_t[k, b]
            gsum[k] = bias_grad
        row = outs[k]
        for d in range(dim):
            syn1[row, d] += acc[d]
    update_biases(loss, outs, n_out, gsum)
    return total


@njit(cache=True, fastmath=True)
def sequential_step(loss, syn0, syn1, lo, hi, outs, n_out, labels, scratch, alpha, report_loss):
    """word2vec.c's update of one input (``scratch.hidden``, made from the rows
    ``scratch.rows[lo:hi]``): each output in turn gets its rank-1 update at once, and
    the input's gradient goes to every one of its rows at the end. Returns the loss."""
    hidden, acc, offsets, gsum = scratch.hidden, scratch.acc, scratch.offsets, scratch.gsum
    dim = syn0.shape[1]
    total = 0.0
    logit_offsets(loss, outs, n_out, offsets)
    for d in range(dim):
        acc[d] = 0.0
    for k in range(n_out):
        row_out = outs[k]
        f = np.float32(0.0)
        for d in range(dim):
            f += hidden[d] * syn1[row_out, d]
        x = f + offset_of(loss, offsets, k)
        g = (labels[k] - logistic(loss, x)) * alpha
        if trains_biases(loss):
            gsum[k] = g
        if report_loss:
            total += logistic_loss(x, labels[k])
        for d in range(dim):
            acc[d] += g * syn1[row_out, d]
        for d in range(dim):
            syn1[row_out, d] += g * hidden[d]
    # As word2vec.c and gensim (cbow_mean=1): every input row gets the whole error.
    _add_to_rows(syn0, scratch.rows, lo, hi, acc)
    update_biases(loss, outs, n_out, gsum)
    return total


@njit(cache=True, fastmath=True)
def cached_cbow_step(loss, syn0, syn1, n_ctx, slots, outs, n_out, labels, scratch, alpha, report_loss):
    """CBOW from the window cache: the input is the mean of every row of the context,
    made from each word's mean and row count; every row gets the whole error (through
    the cache). Returns the loss."""
    hidden, win_vec = scratch.hidden, scratch.win_vec
    dim = syn0.shape[1]
    n_rows = 0
    for d in range(dim):
        hidden[d] = 0.0
    for b in range(n_ctx):
        k = scratch.win_rows[slots[b]]
        n_rows += k
        for d in range(dim):
            hidden[d] += k * win_vec[slots[b], d]
    inv = np.float32(1.0) / n_rows
    for d in range(dim):
        hidden[d] *= inv
    total = sequential_step(loss, syn0, syn1, 0, 0, outs, n_out, labels, scratch, alpha, report_loss)
    for b in range(n_ctx):
        _add_to_cached(scratch, slots[b], scratch.acc)
    return total


@njit(cache=True, inline="always")
def grouped_shared_steps(loss, inputs, syn0, syn1, centre, group, n_ctx, slots, outs, n_out, labels,
                         scratch, alpha, report_loss, rng):
    """SG_SHARED in groups: context words ``lo:lo + group`` share one draw of outputs
    (the first group the caller's ``outs``, each later group its own, drawn and
    prefetched while the group before it trains). ``group`` 0 or at least
    ``n_ctx``: one group, the whole context. Returns (loss, rng)."""
    if group <= 0 or group >= n_ctx:
        return shared_step(loss, inputs, syn0, syn1, n_ctx, slots, outs, n_out, labels, scratch, alpha,
                           report_loss), rng
    total = 0.0
    for lo in range(0, n_ctx, group):
        nxt = (lo // group + 1) & 1
        if lo + group < n_ctx:
            n_next, rng = draw_outputs(loss, centre, scratch.group_outs[nxt], scratch.group_labels[nxt], rng)
            for k in range(n_next):
                prefetch_row(syn1, scratch.group_outs[nxt, k])
        total += shared_step(loss, inputs, syn0, syn1, min(group, n_ctx - lo), slots, outs, n_out, labels,
                             scratch, alpha, report_loss, lo)
        if lo + group < n_ctx:
            outs, labels, n_out = scratch.group_outs[nxt], scratch.group_labels[nxt], n_next
    return total, rng


@njit(cache=True, inline="always")
def centre_step(rule, group, loss, inputs, syn0, syn1, centre, ctx, slots, n_ctx, outs, n_out, labels,
                scratch, alpha, report_loss, rng):
    """Every update for one centre word and its context ``ctx[:n_ctx]``; returns (loss, rng).

    ``outs[:n_out]`` / ``labels`` hold the centre's outputs, drawn ahead by the
    caller, for SG_SHARED (its first ``group`` context words) and CBOW; SG_PAIRS
    draws fresh outputs for every pair.
    """
    rows, starts = scratch.rows, scratch.starts
    if window_cached(inputs) and rule != SG_PAIRS:  # the context's input vectors are in the cache
        if rule == SG_SHARED:
            return grouped_shared_steps(loss, inputs, syn0, syn1, centre, group, n_ctx, slots, outs, n_out,
                                        labels, scratch, alpha, report_loss, rng)
        return cached_cbow_step(loss, syn0, syn1, n_ctx, slots, outs, n_out, labels, scratch, alpha,
                                report_loss), rng
    n_rows = 0
    starts[0] = 0
    for b in range(n_ctx):
        n_rows += rows_of(inputs, ctx[b], rows, n_rows)
        starts[b + 1] = n_rows
    if rule == SG_SHARED:
        return grouped_shared_steps(loss, inputs, syn0, syn1, centre, group, n_ctx, slots, outs, n_out,
                                    labels, scratch, alpha, report_loss, rng)
    if rule == CBOW:
        mean_of_rows(syn0, rows, 0, n_rows, scratch.hidden)
        return sequential_step(loss, syn0, syn1, 0, n_rows, outs, n_out, labels, scratch, alpha,
                               report_loss), rng
    total = 0.0
    for b in range(n_ctx):
        n_out, rng = draw_outputs(loss, centre, outs, labels, rng)
        word_input(inputs, syn0, rows, starts[b], starts[b + 1], scratch.hidden)
        total += sequential_step(loss, syn0, syn1, starts[b], starts[b + 1], outs, n_out, labels,
                                 scratch, alpha, report_loss)
    return total, rng


@njit(cache=True)
def new_scratch(loss, inputs, window, syn0):
    """The scratch arrays of one worker (of syn0's dtype)."""
    n_out = max_outputs(loss)
    dim = syn0.shape[1]
    return Scratch(np.empty(2 * window * max_rows(inputs), dtype=np.int32),
                   np.zeros(2 * window + 1, dtype=np.int64),
                   np.empty((2 * window, dim), dtype=syn0.dtype),
                   np.empty((n_out, dim), dtype=syn0.dtype),
                   np.empty((2 * window, n_out), dtype=syn0.dtype),
                   np.empty((n_out, 2 * window), dtype=syn0.dtype),
                   np.empty(dim, dtype=syn0.dtype), np.empty(dim, dtype=syn0.dtype),
                   np.zeros(n_out, dtype=syn0.dtype), np.zeros(n_out, dtype=syn0.dtype),
                   np.zeros((2 * window + 1, dim), dtype=syn0.dtype),
                   np.zeros((2 * window + 1, dim), dtype=syn0.dtype),
                   np.zeros(2 * window + 1, dtype=np.int64),
                   np.zeros((2, n_out), dtype=np.int32), np.zeros((2, n_out), dtype=syn0.dtype))


# ---------------------------------------------------------------- one epoch
@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def train_epoch(syn0, syn1, corpus, inputs, loss, schedule, counters, epoch, chunk_lo, chunk_hi,
                chunk_done, n_workers):
    """Train chunks ``chunk_lo:chunk_hi`` of one epoch in place on ``syn0`` / ``syn1``.

    Chunks with ``chunk_done[c]`` set are skipped (already trained: a resumed run);
    each chunk trained here is marked done. Workers check ``counters.stop[0]``
    before each chunk and return early when it is set (an interrupt or a
    checkpoint). See :class:`Counters` for what is written while this runs.
    """
    # Every field is read out of its tuple here, before the parallel loop: a write through
    # a tuple argument inside the prange body is lost (Numba hands the body a copy), so
    # writes to a loss's arrays (NCE's biases) stay inside the steps, which are not inlined.
    tokens, sentence_ends, chunk_starts = corpus.tokens, corpus.sentence_ends, corpus.chunk_starts
    keep, rule, group, window = schedule.keep, schedule.rule, schedule.group, schedule.window
    progress, losses, stop = counters.progress, counters.losses, counters.stop
    chunk_alphas, report_loss = counters.chunk_alphas, counters.report_loss
    seed, alpha, min_alpha = schedule.seed, schedule.alpha, schedule.min_alpha
    n_tokens = tokens.shape[0]
    total = np.float64(n_tokens) * schedule.epochs
    longest = 0
    for c in range(chunk_lo, chunk_hi):
        for s in range(chunk_starts[c], chunk_starts[c + 1]):
            start = sentence_ends[s - 1] if s > 0 else 0
            longest = max(longest, sentence_ends[s] - start)
    n_out_max = max_outputs(loss)
    n_slots = 2 * window + 1  # window cache slots: positions i - window .. i + window
    for t in prange(n_workers):
        sentence = np.empty(longest, dtype=np.int32)
        ctx = np.empty(2 * window, dtype=np.int32)
        slots = np.empty(2 * window, dtype=np.int64)  # window cache slot of each context word
        outs = np.empty((2, n_out_max), dtype=np.int32)  # this centre's and the next one's
        labels = np.zeros((2, n_out_max), dtype=np.float32)
        n_outs = np.zeros(2, dtype=np.int64)
        scratch = new_scratch(loss, inputs, window, syn0)
        for c in range(chunk_lo + t, chunk_hi, n_workers):
            if chunk_done[c]:
                continue
            if load_relaxed(stop, 0):  # the driver asks to stop (interrupt, checkpoint)
                break
            rng = seed_state(seed, epoch, c)
            chunk_loss = 0.0
            for s in range(chunk_starts[c], chunk_starts[c + 1]):
                start = sentence_ends[s - 1] if s > 0 else 0
                end = sentence_ends[s]
                a = np.float32(learning_rate(alpha, min_alpha, epoch * np.float64(n_tokens) + start, total))
                if s == chunk_starts[c]:
                    chunk_alphas[c] = a
                # Subsample: keep each word with its probability, afresh every epoch.
                length = 0
                for p in range(start, end):
                    w = tokens[p]
                    kp = keep[w]
                    if kp < 1.0:
                        rng, bits = next_random(rng)
                        if np.float64(kp) * 4294967296.0 <= np.float64(bits):
                            continue
                    sentence[length] = w
                    length += 1
                if length > 0 and rule != SG_PAIRS:
                    n_outs[0], rng = draw_outputs(loss, sentence[0], outs[0], labels[0], rng)
                cached = window_cached(inputs) and rule != SG_PAIRS
                loaded = -1  # the last sentence position brought into the window cache
                for i in range(length):
                    if cached:  # the window reaches position i + window: bring it in, and let
                        # the position that no centre will reach again go (2 * window + 1 back)
                        while loaded < min(i + window, length - 1):
                            loaded += 1
                            slot = loaded % n_slots
                            if loaded >= n_slots:
                                _uncache_word(inputs, syn0, sentence[loaded - n_slots], slot, scratch)
                            _cache_word(inputs, syn0, sentence[loaded], slot, scratch)
                    now = i & 1
                    if rule != SG_PAIRS and i + 1 < length:
                        # Draw the next centre's outputs now and prefetch their rows (and
                        # the input row entering the window), so the loads overlap this step.
                        nxt = 1 - now
                        n_outs[nxt], rng = draw_outputs(loss, sentence[i + 1], outs[nxt], labels[nxt],
                                                        rng)
                        for k in range(n_outs[nxt]):
                            prefetch_row(syn1, outs[nxt, k])
                        prefetch_input(inputs, syn0, sentence[min(i + 1 + window, length - 1)])
                    rng, bits = next_random(rng)
                    reach = window - random_below(bits, window)  # 1..window
                    n_ctx = 0
                    for j in range(max(0, i - reach), min(length, i + reach + 1)):
                        if j != i:
                            ctx[n_ctx] = sentence[j]
                            slots[n_ctx] = j % n_slots
                            n_ctx += 1
                    if n_ctx == 0:
                        continue
                    step_loss, rng = centre_step(rule, group, loss, inputs, syn0, syn1, sentence[i], ctx,
                                                 slots, n_ctx, outs[now], n_outs[now], labels[now],
                                                 scratch, a, report_loss, rng)
                    chunk_loss += step_loss
                if cached:  # the sentence ends: every word still in the window leaves
                    for p in range(max(0, loaded + 1 - n_slots), loaded + 1):
                        _uncache_word(inputs, syn0, sentence[p], p % n_slots, scratch)
                progress[t * PROGRESS_STRIDE] += end - start
            losses[t * PROGRESS_STRIDE] += chunk_loss
            chunk_done[c] = 1


@njit(cache=True, nogil=True, parallel=True)
def all_within(matrix, limit):
    """True when every value of ``matrix`` is finite with magnitude at most ``limit``
    (read by all threads, a part each: 800 MB of a subword model is checked after every
    kernel call)."""
    flat = matrix.ravel()
    n = flat.shape[0]
    parts = 64
    bad = 0
    for p in prange(parts):
        for i in range(n * p // parts, n * (p + 1) // parts):
            if not abs(flat[i]) <= limit:  # also catches NaN
                bad += 1
                break
    return bad == 0
