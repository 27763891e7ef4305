"""The Numba training kernels: one epoch of skip-gram or CBOW.

The output layer is negative sampling (below), NCE or hierarchical softmax (see
the section "NCE and hierarchical softmax" and :mod:`fastw2v.engine.losses`).

Terms: ``syn0`` holds the input vectors (the word vectors users keep), ``syn1``
the output vectors of negative sampling. As in word2vec.c, skip-gram feeds each
context word's input vector to the output layer and asks it to tell the centre
word (label 1) from ``negative`` noise words drawn from count^0.75 / Z (label
0; ``noise`` is the alias table of :func:`fastw2v.engine.sampling.noise_table`); CBOW
feeds the mean of the context vectors.

Parallelism is Hogwild: the corpus is cut into chunks of whole sentences; worker
``t`` takes chunks ``t, t + W, t + 2W, ...`` (W workers), so all workers move
through the corpus together, and all update ``syn0`` and ``syn1`` without locks.
Each chunk draws its random numbers from its own state, seeded from (seed,
epoch, chunk), and the learning rate is a function of the corpus position: every
random draw and every learning rate is the same whatever the number of threads.

Skip-gram has two update rules:

* ``shared negatives`` (the default; Ji et al. 2016, Intel's pWord2Vec): one set
  of negatives per centre word, shared by all its context words, so that one
  centre's work is three small dense products: scores = In (B x D) . Out^T
  (D x (1+K)), then gradients for both sides from the same scores. The rows are
  copied into contiguous scratch blocks first; the loops over D vectorise.
* per pair (word2vec.c's original rule): fresh negatives for every
  (context, centre) pair and a rank-1 update for each.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .intrinsics import load_relaxed, prefetch_row
from .sampling import (
    draw_noise,
    learning_rate,
    next_random,
    random_below,
    seed_state,
    sigmoid,
)

PROGRESS_STRIDE = 8  # per-thread counters sit 64 bytes apart: no false sharing


# softplus(x) = log(1 + exp(x)) at SOFTPLUS_CELLS + 1 evenly spaced points of
# [-SOFTPLUS_RANGE, SOFTPLUS_RANGE], read with linear interpolation: a libm exp
# and log1p per output would make --report-loss cost more than the training.
SOFTPLUS_RANGE = 16.0
SOFTPLUS_CELLS = 8192
_SOFTPLUS_X = np.linspace(-SOFTPLUS_RANGE, SOFTPLUS_RANGE, SOFTPLUS_CELLS + 1)
_SOFTPLUS = (np.maximum(_SOFTPLUS_X, 0.0) + np.log1p(np.exp(-np.abs(_SOFTPLUS_X)))).astype(np.float32)


@njit(cache=True, inline="always")
def softplus(x):
    """log(1 + exp(x)), the loss of one logistic output, as a float64.

    Interpolated in a table: off by about 5e-7 at most (the interpolation error
    (32 / 8192)^2 / 8 x max softplus'' = 1/4, plus float32 rounding). Beyond the
    table, softplus(x) is x + exp(-x) or exp(x) to within exp(-32).
    """
    if x >= SOFTPLUS_RANGE:
        return np.float64(x) + np.exp(-np.float64(x))
    if x <= -SOFTPLUS_RANGE:
        return np.exp(np.float64(x))
    pos = (np.float64(x) + SOFTPLUS_RANGE) * (SOFTPLUS_CELLS / (2 * SOFTPLUS_RANGE))
    i = min(int(pos), SOFTPLUS_CELLS - 1)
    frac = pos - i
    return (1.0 - frac) * _SOFTPLUS[i] + frac * _SOFTPLUS[i + 1]


@njit(cache=True, inline="always")
def _draw_outputs(center, negative, noise, outs, rng):
    """outs[0] = centre, then up to ``negative`` noise words (skipping the centre)."""
    outs[0] = center
    n_out = 1
    for _ in range(negative):
        w, rng = draw_noise(noise, rng)
        if w != center:
            outs[n_out] = w
            n_out += 1
    return n_out, rng


@njit(cache=True, inline="always")
def _gather_rows(matrix, rows, n, block):
    """Copy matrix[rows[i]] into block[i] for i < n (contiguous scratch for the products)."""
    for i in range(n):
        row = rows[i]
        for d in range(matrix.shape[1]):
            block[i, d] = matrix[row, d]


@njit(cache=True, inline="always", fastmath=True)
def _mean_of_rows(matrix, rows, n, out):
    """out = the mean of matrix[rows[i]] for i < n (CBOW's hidden layer)."""
    for d in range(matrix.shape[1]):
        out[d] = 0.0
    for i in range(n):
        row = rows[i]
        for d in range(matrix.shape[1]):
            out[d] += matrix[row, d]
    inv = np.float32(1.0) / n
    for d in range(matrix.shape[1]):
        out[d] *= inv


@njit(cache=True, inline="always", fastmath=True)
def _add_to_rows(matrix, rows, n, delta):
    """matrix[rows[i]] += delta for i < n."""
    for i in range(n):
        row = rows[i]
        for d in range(matrix.shape[1]):
            matrix[row, d] += delta[d]


@njit(cache=True, fastmath=True)
def _sg_shared_step(syn0, syn1, ctx, n_ctx, outs, n_out, in_block, out_block, grad, acc,
                    sig_table, alpha, report_loss):
    """Skip-gram update for one centre: contexts ctx[:n_ctx], outputs outs[:n_out].

    Returns the negative-sampling loss of these pairs before the update (float64)
    when ``report_loss``, else 0.
    """
    dim = syn0.shape[1]
    loss = 0.0
    _gather_rows(syn0, ctx, n_ctx, in_block)
    _gather_rows(syn1, outs, n_out, out_block)
    for b in range(n_ctx):
        for k in range(n_out):
            f = np.float32(0.0)
            for d in range(dim):
                f += in_block[b, d] * out_block[k, d]
            label = np.float32(1.0) if k == 0 else np.float32(0.0)
            grad[b, k] = (label - sigmoid(sig_table, f)) * alpha
            if report_loss:
                loss += softplus(-f if k == 0 else f)
    for b in range(n_ctx):
        for d in range(dim):
            acc[d] = 0.0
        for k in range(n_out):
            g = grad[b, k]
            for d in range(dim):
                acc[d] += g * out_block[k, d]
        row = ctx[b]
        for d in range(dim):
            syn0[row, d] += acc[d]
    for k in range(n_out):
        for d in range(dim):
            acc[d] = 0.0
        for b in range(n_ctx):
            g = grad[b, k]
            for d in range(dim):
                acc[d] += g * in_block[b, d]
        row = outs[k]
        for d in range(dim):
            syn1[row, d] += acc[d]
    return loss


@njit(cache=True, fastmath=True)
def _sg_pair_step(syn0, syn1, row_in, outs, n_out, acc, sig_table, alpha, report_loss):
    """word2vec.c's update for one (context, centre) pair: input row_in, outputs outs."""
    dim = syn0.shape[1]
    loss = 0.0
    for d in range(dim):
        acc[d] = 0.0
    for k in range(n_out):
        row_out = outs[k]
        f = np.float32(0.0)
        for d in range(dim):
            f += syn0[row_in, d] * syn1[row_out, d]
        label = np.float32(1.0) if k == 0 else np.float32(0.0)
        g = (label - sigmoid(sig_table, f)) * alpha
        if report_loss:
            loss += softplus(-f if k == 0 else f)
        for d in range(dim):
            acc[d] += g * syn1[row_out, d]
        for d in range(dim):
            syn1[row_out, d] += g * syn0[row_in, d]
    for d in range(dim):
        syn0[row_in, d] += acc[d]
    return loss


@njit(cache=True, fastmath=True)
def _cbow_step(syn0, syn1, ctx, n_ctx, outs, n_out, hidden, acc, sig_table, alpha, report_loss):
    """CBOW update for one centre: the mean of ctx[:n_ctx] predicts outs[:n_out]."""
    dim = syn0.shape[1]
    loss = 0.0
    _mean_of_rows(syn0, ctx, n_ctx, hidden)
    for d in range(dim):
        acc[d] = 0.0
    for k in range(n_out):
        row_out = outs[k]
        f = np.float32(0.0)
        for d in range(dim):
            f += hidden[d] * syn1[row_out, d]
        label = np.float32(1.0) if k == 0 else np.float32(0.0)
        g = (label - sigmoid(sig_table, f)) * alpha
        if report_loss:
            loss += softplus(-f if k == 0 else f)
        for d in range(dim):
            acc[d] += g * syn1[row_out, d]
        for d in range(dim):
            syn1[row_out, d] += g * hidden[d]
    # As word2vec.c and gensim (cbow_mean=1): every context row gets the whole error.
    _add_to_rows(syn0, ctx, n_ctx, acc)
    return loss


# ---------------------------------------------------------------- NCE and hierarchical softmax
# Both are logistic outputs like negative sampling, with two differences that the
# steps below take as arrays filled by the caller: a label per output (NCE: 1 for
# the target, 0 for the noise words; HS: 1 - code at each node of the target's
# Huffman path) and an offset added to each logit (NCE: b_w - log(k Q(w));
# HS: 0). They use the exact sigmoid, not the table: NCE's offsets move logits
# far beyond the table's +-6, and the gradient is then exactly that of the loss
# reported. ``gsum[k]`` receives the sum of the gradients of output k, which is
# the update of its NCE bias (the caller adds it; HS has no biases).

@njit(cache=True, inline="always")
def exact_sigmoid(x):
    """1 / (1 + exp(-x)) in the precision of x (float32 in training, float64 in the
    tests); x is clamped to +-30 so that exp stays finite under fastmath."""
    x = min(max(x, np.float32(-30.0)), np.float32(30.0))
    return np.float32(1.0) / (np.float32(1.0) + np.exp(-x))


@njit(cache=True, inline="always")
def logistic_loss(x, label):
    """Sigmoid cross-entropy of logit x with label 1 or 0 (float64)."""
    return softplus(-x) if label > 0.5 else softplus(x)


@njit(cache=True, fastmath=True)
def _sg_shared_logit_step(syn0, syn1, ctx, n_ctx, outs, n_out, labels, offsets, gsum, in_block,
                          out_block, grad, acc, alpha, report_loss):
    """Skip-gram, one centre: contexts ctx[:n_ctx] share outputs outs[:n_out] (NCE noise
    words or the HS path): the same B x D times D x n_out products as _sg_shared_step."""
    dim = syn0.shape[1]
    loss = 0.0
    _gather_rows(syn0, ctx, n_ctx, in_block)
    _gather_rows(syn1, outs, n_out, out_block)
    for b in range(n_ctx):
        for k in range(n_out):
            f = np.float32(0.0)
            for d in range(dim):
                f += in_block[b, d] * out_block[k, d]
            x = f + offsets[k]
            grad[b, k] = (labels[k] - exact_sigmoid(x)) * alpha
            if report_loss:
                loss += logistic_loss(x, labels[k])
    for b in range(n_ctx):
        for d in range(dim):
            acc[d] = 0.0
        for k in range(n_out):
            g = grad[b, k]
            for d in range(dim):
                acc[d] += g * out_block[k, d]
        row = ctx[b]
        for d in range(dim):
            syn0[row, d] += acc[d]
    for k in range(n_out):
        for d in range(dim):
            acc[d] = 0.0
        total = 0.0
        for b in range(n_ctx):
            g = grad[b, k]
            total += g
            for d in range(dim):
                acc[d] += g * in_block[b, d]
        gsum[k] = total
        row = outs[k]
        for d in range(dim):
            syn1[row, d] += acc[d]
    return loss


@njit(cache=True, fastmath=True)
def _sg_pair_logit_step(syn0, syn1, row_in, outs, n_out, labels, offsets, gsum, acc, alpha,
                        report_loss):
    """Skip-gram, one (context, centre) pair, word2vec.c's order of updates."""
    dim = syn0.shape[1]
    loss = 0.0
    for d in range(dim):
        acc[d] = 0.0
    for k in range(n_out):
        row_out = outs[k]
        f = np.float32(0.0)
        for d in range(dim):
            f += syn0[row_in, d] * syn1[row_out, d]
        x = f + offsets[k]
        g = (labels[k] - exact_sigmoid(x)) * alpha
        gsum[k] = g
        if report_loss:
            loss += logistic_loss(x, labels[k])
        for d in range(dim):
            acc[d] += g * syn1[row_out, d]
        for d in range(dim):
            syn1[row_out, d] += g * syn0[row_in, d]
    for d in range(dim):
        syn0[row_in, d] += acc[d]
    return loss


@njit(cache=True, fastmath=True)
def _cbow_logit_step(syn0, syn1, ctx, n_ctx, outs, n_out, labels, offsets, gsum, hidden, acc,
                     alpha, report_loss):
    """CBOW, one centre: the mean of ctx[:n_ctx] predicts outs[:n_out]."""
    dim = syn0.shape[1]
    loss = 0.0
    _mean_of_rows(syn0, ctx, n_ctx, hidden)
    for d in range(dim):
        acc[d] = 0.0
    for k in range(n_out):
        row_out = outs[k]
        f = np.float32(0.0)
        for d in range(dim):
            f += hidden[d] * syn1[row_out, d]
        x = f + offsets[k]
        g = (labels[k] - exact_sigmoid(x)) * alpha
        gsum[k] = g
        if report_loss:
            loss += logistic_loss(x, labels[k])
        for d in range(dim):
            acc[d] += g * syn1[row_out, d]
        for d in range(dim):
            syn1[row_out, d] += g * hidden[d]
    _add_to_rows(syn0, ctx, n_ctx, acc)  # every context row gets the whole error
    return loss


@njit(cache=True, inline="always")
def _nce_outputs(center, negative, noise, outs, labels, rng):
    """outs[0] = centre (label 1), then exactly ``negative`` noise words (label 0).

    Unlike negative sampling, a noise draw equal to the centre is kept (as
    tf.nn.nce_loss without remove_accidental_hits): NCE's loss assumes k draws from Q.
    """
    outs[0] = center
    labels[0] = 1.0
    for k in range(1, negative + 1):
        outs[k], rng = draw_noise(noise, rng)
        labels[k] = 0.0
    return negative + 1, rng


@njit(cache=True, inline="always")
def _hs_outputs(center, hs_codes, hs_points, hs_lengths, outs, labels):
    """outs = the inner nodes of the centre's Huffman path, labels = 1 - code."""
    n = np.int64(hs_lengths[center])
    for k in range(n):
        outs[k] = hs_points[center, k]
        labels[k] = 1.0 - hs_codes[center, k]
    return n


@njit(cache=True, inline="always")
def _logit_outputs(loss_kind, center, negative, noise, hs_codes, hs_points, hs_lengths, outs,
                   labels, rng):
    """The outputs and labels of one centre word for NCE or HS (HS draws nothing)."""
    if loss_kind == HS:
        return _hs_outputs(center, hs_codes, hs_points, hs_lengths, outs, labels), rng
    return _nce_outputs(center, negative, noise, outs, labels, rng)


@njit(cache=True)
def _logit_centre(loss_kind, rule, syn0, syn1, bias, log_kq, hs_codes, hs_points, hs_lengths,
                  ctx, n_ctx, center, outs, n_out, labels, offsets, gsum, negative, noise,
                  in_block, out_block, grad, acc, hidden, alpha, report_loss, rng):
    """All updates of one centre word for NCE or HS, under any rule; returns (loss, rng).

    ``outs[:n_out]`` / ``labels`` hold the centre's outputs (drawn ahead by the
    caller) for the shared and CBOW rules; the per-pair rule draws fresh NCE
    noise for every pair, and looks up the HS path here. ``offsets`` stays zero for HS.
    """
    loss = 0.0
    nce = loss_kind == NCE
    if rule == SG_PAIRS:
        if not nce:
            n_out = _hs_outputs(center, hs_codes, hs_points, hs_lengths, outs, labels)
        for b in range(n_ctx):
            if nce:
                n_out, rng = _nce_outputs(center, negative, noise, outs, labels, rng)
                for k in range(n_out):
                    offsets[k] = bias[outs[k]] - log_kq[outs[k]]
            loss += _sg_pair_logit_step(syn0, syn1, ctx[b], outs, n_out, labels, offsets, gsum,
                                        acc, alpha, report_loss)
            if nce:
                for k in range(n_out):
                    bias[outs[k]] += gsum[k]
        return loss, rng
    if nce:
        for k in range(n_out):
            offsets[k] = bias[outs[k]] - log_kq[outs[k]]
    if rule == SG_SHARED:
        loss = _sg_shared_logit_step(syn0, syn1, ctx, n_ctx, outs, n_out, labels, offsets, gsum,
                                     in_block, out_block, grad, acc, alpha, report_loss)
    else:
        loss = _cbow_logit_step(syn0, syn1, ctx, n_ctx, outs, n_out, labels, offsets, gsum,
                                hidden, acc, alpha, report_loss)
    if nce:
        for k in range(n_out):
            bias[outs[k]] += gsum[k]
    return loss, rng


# Update rules, as passed to train_epoch.
SG_SHARED = 0
SG_PAIRS = 1
CBOW = 2

# Output layers (losses), as passed to train_epoch (fastw2v.engine.losses names them).
NS = 0
NCE = 1
HS = 2


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def train_epoch(syn0, syn1, tokens, sentence_ends, chunk_starts, chunk_lo, chunk_hi, chunk_done,
                keep, noise, sig_table, rule, window, negative, alpha, min_alpha, epoch,
                epochs, seed, n_workers, progress, losses, report_loss, stop, chunk_alphas,
                loss_kind, bias, log_kq, hs_codes, hs_points, hs_lengths):
    """Train chunks ``chunk_lo:chunk_hi`` of one epoch in place on ``syn0`` / ``syn1``.

    ``chunk_starts[c]:chunk_starts[c+1]`` are the sentences of chunk c. Chunks
    with ``chunk_done[c]`` set are skipped (already trained: a resumed run); each
    chunk trained here is marked done. Workers check ``stop[0]`` before each
    chunk and return early when it is set (an interrupt or a checkpoint).

    Per worker t, written while this runs without the GIL (the progress display
    reads them): ``progress[t * PROGRESS_STRIDE]`` counts corpus words done, and
    when ``report_loss`` is set ``losses[t * PROGRESS_STRIDE]`` sums the loss
    (float64). ``chunk_alphas[c]`` receives the learning rate at chunk c's start.

    ``loss_kind`` picks the output layer (NS, NCE, HS); NS takes the steps above
    unchanged, the others go through :func:`_logit_centre`. NCE trains ``bias``
    (one per word) and adds ``-log_kq`` to its logits; HS reads the Huffman paths
    ``hs_codes`` / ``hs_points`` / ``hs_lengths`` and ``syn1`` holds the tree's
    inner nodes. Arrays a loss does not use may be one-element dummies.
    """
    n_tokens = tokens.shape[0]
    total = np.float64(n_tokens) * epochs
    dim = syn0.shape[1]
    longest = 0
    for c in range(chunk_lo, chunk_hi):
        for s in range(chunk_starts[c], chunk_starts[c + 1]):
            start = sentence_ends[s - 1] if s > 0 else 0
            longest = max(longest, sentence_ends[s] - start)
    n_out_max = negative + 1
    if loss_kind == HS:
        n_out_max = max(hs_codes.shape[1], 1)  # the longest Huffman path
    for t in prange(n_workers):
        sentence = np.empty(longest, dtype=np.int32)
        ctx = np.empty(2 * window, dtype=np.int32)
        outs = np.empty((2, n_out_max), dtype=np.int32)  # this centre's and the next one's
        n_outs = np.zeros(2, dtype=np.int64)
        in_block = np.empty((2 * window, dim), dtype=np.float32)
        out_block = np.empty((n_out_max, dim), dtype=np.float32)
        grad = np.empty((2 * window, n_out_max), dtype=np.float32)
        acc = np.empty(dim, dtype=np.float32)
        hidden = np.empty(dim, dtype=np.float32)
        labels = np.zeros((2, n_out_max), dtype=np.float32)  # NCE / HS only
        offsets = np.zeros(n_out_max, dtype=np.float32)
        gsum = np.zeros(n_out_max, dtype=np.float32)
        for c in range(chunk_lo + t, chunk_hi, n_workers):
            if chunk_done[c]:
                continue
            if load_relaxed(stop, 0):  # the driver asks to stop (interrupt, checkpoint)
                break
            rng = seed_state(seed, epoch, c)
            loss = 0.0
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
                    if loss_kind == NS:
                        n_outs[0], rng = _draw_outputs(sentence[0], negative, noise, outs[0],
                                                       rng)
                    else:
                        n_outs[0], rng = _logit_outputs(loss_kind, sentence[0], negative, noise,
                                                        hs_codes, hs_points, hs_lengths, outs[0],
                                                        labels[0], rng)
                for i in range(length):
                    now = i & 1
                    if rule != SG_PAIRS and i + 1 < length:
                        # Draw the next centre's outputs now and prefetch their rows (and
                        # the input row entering the window), so the loads overlap this step.
                        nxt = 1 - now
                        if loss_kind == NS:
                            n_outs[nxt], rng = _draw_outputs(sentence[i + 1], negative, noise,
                                                             outs[nxt], rng)
                        else:
                            n_outs[nxt], rng = _logit_outputs(
                                loss_kind, sentence[i + 1], negative, noise, hs_codes,
                                hs_points, hs_lengths, outs[nxt], labels[nxt], rng)
                        for k in range(n_outs[nxt]):
                            prefetch_row(syn1, outs[nxt, k])
                        prefetch_row(syn0, sentence[min(i + 1 + window, length - 1)])
                    rng, bits = next_random(rng)
                    reach = window - random_below(bits, window)  # 1..window
                    n_ctx = 0
                    for j in range(max(0, i - reach), min(length, i + reach + 1)):
                        if j != i:
                            ctx[n_ctx] = sentence[j]
                            n_ctx += 1
                    if n_ctx == 0:
                        continue
                    if loss_kind != NS:
                        step_loss, rng = _logit_centre(
                            loss_kind, rule, syn0, syn1, bias, log_kq, hs_codes, hs_points,
                            hs_lengths, ctx, n_ctx, sentence[i], outs[now], n_outs[now],
                            labels[now], offsets, gsum, negative, noise, in_block, out_block,
                            grad, acc, hidden, a, report_loss, rng)
                        loss += step_loss
                    elif rule == SG_SHARED:
                        loss += _sg_shared_step(syn0, syn1, ctx, n_ctx, outs[now], n_outs[now],
                                                in_block, out_block, grad, acc, sig_table, a,
                                                report_loss)
                    elif rule == CBOW:
                        loss += _cbow_step(syn0, syn1, ctx, n_ctx, outs[now], n_outs[now], hidden,
                                           acc, sig_table, a, report_loss)
                    else:
                        center = sentence[i]
                        for b in range(n_ctx):
                            n_out, rng = _draw_outputs(center, negative, noise, outs[0], rng)
                            loss += _sg_pair_step(syn0, syn1, ctx[b], outs[0], n_out, acc,
                                                  sig_table, a, report_loss)
                progress[t * PROGRESS_STRIDE] += end - start
            losses[t * PROGRESS_STRIDE] += loss
            chunk_done[c] = 1


@njit(cache=True, nogil=True)
def all_within(matrix, limit):
    """True when every value of ``matrix`` is finite with magnitude at most ``limit``."""
    flat = matrix.ravel()
    for i in range(flat.shape[0]):
        if not abs(flat[i]) <= limit:  # also catches NaN
            return False
    return True
