"""Output layers (issue 6): negative sampling, NCE with biases, hierarchical softmax;
the Huffman tree; exporting output vectors from the command line.

The gradient checks state each loss independently, in float64 NumPy, from its
definition (docs/output-layers.md), and compare the kernel's update of one
training step with a central finite-difference gradient of that statement.
The step functions are the kernel's own, compiled here for float64 arrays.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import TEXT8, WORDSIM, run_cli, topic_corpus
from gensim.models import KeyedVectors
from numba import njit

import fastw2v
from fastw2v import FastW2VError
from fastw2v.cli import flag_of, main
from fastw2v.engine import kernels
from fastw2v.engine.huffman import build_huffman, path_probabilities
from fastw2v.engine.inputs import WordRows
from fastw2v.engine.losses import (
    HierarchicalSoftmax,
    NegativeSampling,
    NoiseContrastive,
    draw_outputs,
    nce_log_kq,
)
from fastw2v.engine.sampling import (
    MAX_EXP,
    SIGMOID_TABLE_SIZE,
    noise_table,
    sigmoid_table,
)
from fastw2v.training.checkpoint import load_checkpoint, save_checkpoint
from fastw2v.training.driver import RunControl
from fastw2v.training.export import biases_path, save_output_vectors
from fastw2v.training.model import TrainState
from fastw2v.vectors.evaluate import evaluate_word_pairs


# ---------------------------------------------------------------- the losses, stated plainly
def softplus(x):
    return np.logaddexp(0.0, x)


def ns_loss(h, syn1, bias, center, noise):
    """-log sigmoid(h.u_c) - sum_n log sigmoid(-h.u_n)."""
    return softplus(-h @ syn1[center]) + sum(softplus(h @ syn1[n]) for n in noise)


def nce_loss(log_kq):
    """tf.nn.nce_loss: sigmoid cross-entropy of h.u_w + b_w - log(k Q(w)), label 1 / 0."""
    def loss(h, syn1, bias, center, noise):
        def logit(w):
            return h @ syn1[w] + bias[w] - log_kq[w]
        return softplus(-logit(center)) + sum(softplus(logit(n)) for n in noise)
    return loss


def hs_loss(tree):
    """-log p(center | h), p the product of sigmoids along the Huffman path."""
    def loss(h, syn1, bias, center, noise):
        return -math.log(path_probabilities(tree, syn1, h)[center])
    return loss


def total_loss(loss, syn0, syn1, bias, ctx, center, noise, cbow):
    """Skip-gram: one term per context row; CBOW: one term for the mean of the rows."""
    if cbow:
        return loss(syn0[ctx].mean(axis=0), syn1, bias, center, noise)
    return sum(loss(syn0[c], syn1, bias, center, noise) for c in ctx)


def numeric_gradients(f, arrays, eps=1e-6):
    """Central differences of f() with respect to every entry of every array (in place)."""
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + eps
            up = f()
            a[i] = keep - eps
            down = f()
            a[i] = keep
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


V, DIM, K = 9, 5, 3
CENTER, NOISE, CONTEXTS = 2, [5, 7, 0], [1, 4, 8]


def run_step(loss, rule, syn0, syn1, ctx, alpha, rng=np.uint64(7)):
    """One centre through kernels.centre_step, the kernel's own step (compiled here for
    float64): its outputs drawn by the loss; returns (reported loss, outputs used)."""
    n_max = max(K + 1, 8)
    outs = np.zeros(n_max, np.int32)
    labels = np.zeros(n_max, np.float64)
    n_out, rng_after = draw_outputs_py(loss, outs, labels, rng)
    ctx = np.array(ctx, np.int32)
    inputs = WordRows(V)
    scratch = kernels.new_scratch(loss, inputs, 4, syn0)
    total, _ = kernels.centre_step(rule, 0, loss, inputs, syn0, syn1, CENTER, ctx, np.arange(len(ctx)), len(ctx),
                                   outs, n_out,
                                   labels, scratch, alpha, True, rng_after if rule == kernels.SG_PAIRS else rng)
    return total, outs


@njit
def _draw(loss, outs, labels, rng):
    return draw_outputs(loss, CENTER, outs, labels, rng)


def draw_outputs_py(loss, outs, labels, rng):
    """The centre's outputs as the kernel draws them ahead of its step."""
    n, _ = _draw(loss, outs, labels, rng)
    return n, rng


@njit
def _draw_next(loss, outs, labels, rng):
    return draw_outputs(loss, CENTER, outs, labels, rng)


@pytest.mark.parametrize("loss_name", ["ns", "nce"])
def test_shared_negatives_in_groups_are_shared_steps_in_turn(loss_name):
    """share_negatives=2 over a context of 3: the first two context words share the
    centre's outputs drawn ahead, the third gets its own draw, taken next from the
    same random state; the same as two ungrouped shared steps in turn."""
    noise_words = np.isin(np.arange(V), [0, 3, 5, 6, 7]).astype(np.int64)
    table = noise_table(noise_words, 1.0)
    log_kq = nce_log_kq(noise_words + 1, 0.75, K).astype(np.float64)

    def fresh_loss():  # NCE trains its biases in place: each run starts from zero
        return (NegativeSampling(table, sigmoid_table(), K) if loss_name == "ns" else
                NoiseContrastive(table, log_kq, np.zeros(V), K))
    loss = fresh_loss()
    ctx = np.array(CONTEXTS, np.int32)
    inputs = WordRows(V)
    start0, start1, _ = random_params(3, V)

    def step(group, ctx, syn0, syn1, outs, labels, n_out, rng):
        scratch = kernels.new_scratch(loss, inputs, 4, syn0)
        return kernels.centre_step(kernels.SG_SHARED, group, loss, inputs, syn0, syn1, CENTER, ctx,
                                   np.arange(len(ctx)), len(ctx), outs, n_out, labels, scratch, 0.05, True, rng)

    first, first_labels = np.zeros(8, np.int32), np.zeros(8, np.float64)
    n_first, rng = _draw_next(loss, first, first_labels, np.uint64(7))
    grouped0, grouped1 = start0.copy(), start1.copy()
    total, rng_grouped = step(2, ctx, grouped0, grouped1, first.copy(), first_labels.copy(), n_first, rng)

    grouped_loss, loss = loss, fresh_loss()
    turn0, turn1 = start0.copy(), start1.copy()
    total_a, _ = step(0, ctx[:2], turn0, turn1, first.copy(), first_labels.copy(), n_first, rng)
    second, second_labels = np.zeros(8, np.int32), np.zeros(8, np.float64)
    n_second, rng_turns = _draw_next(loss, second, second_labels, rng)
    total_b, _ = step(0, ctx[2:], turn0, turn1, second, second_labels, n_second, rng_turns)

    assert sorted(second[1:n_second]) != sorted(first[1:n_first])  # the third word's own negatives
    assert rng_grouped == rng_turns
    assert total == pytest.approx(total_a + total_b, rel=1e-12)
    np.testing.assert_allclose(grouped0, turn0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grouped1, turn1, rtol=1e-12, atol=1e-14)
    if loss_name == "nce":
        np.testing.assert_allclose(grouped_loss.bias, loss.bias, rtol=1e-12, atol=1e-14)
    assert not np.allclose(grouped1, start1)  # it trained


def random_params(seed, out_rows, scale=0.6):
    rng = np.random.default_rng(seed)
    syn0 = rng.normal(0, scale, (V, DIM))
    syn1 = rng.normal(0, scale, (out_rows, DIM))
    return syn0, syn1, rng.normal(0, 0.5, V)


NOISE_TABLE = noise_table(np.isin(np.arange(V), NOISE).astype(np.int64), 1.0)  # NOISE words only


def with_distinct_noise(make_loss, rule, syn0, syn1, ctx):
    """A seed whose draw gives 3 distinct noise words: the stated loss takes every output
    from the parameters before the step, which a repeated word in word2vec.c's
    sequential update would not."""
    for seed in range(1, 200):
        _, outs = run_step(make_loss(np.zeros(V)), rule, syn0.copy(), syn1.copy(), ctx, 0.0,
                           np.uint64(seed))
        if len(set(outs[1:K + 1].tolist())) == K:
            return np.uint64(seed), outs[1:K + 1].tolist()
    raise AssertionError("no seed gives distinct noise words")


def check_update(loss, step, syn0, syn1, bias, ctx, noise, cbow, alpha, atol):
    """The update ``step`` makes (in place) is -alpha times the gradient of ``loss``."""
    before = [a.copy() for a in (syn0, syn1, bias)]
    reported = step(syn0, syn1, bias, alpha)
    after = [a.copy() for a in (syn0, syn1, bias)]
    for a, b in zip((syn0, syn1, bias), before):
        a[...] = b
    stated = total_loss(loss, syn0, syn1, bias, ctx, CENTER, noise, cbow)
    # the loss report_loss sums: each output's softplus comes from an interpolated
    # table, off by at most about 5e-7 (see kernels.softplus); here fewer than 20 terms
    assert reported == pytest.approx(stated, rel=0, abs=1e-5)
    g0, g1, gb = numeric_gradients(
        lambda: total_loss(loss, syn0, syn1, bias, ctx, CENTER, noise, cbow), [syn0, syn1, bias])
    # word2vec.c's CBOW (and gensim's, cbow_mean=1) gives every context row the whole
    # gradient of the mean, n_ctx times the gradient of the row itself.
    scale0 = len(ctx) if cbow else 1
    for new, old, grad in ((after[0], before[0], scale0 * g0), (after[1], before[1], g1),
                           (after[2], before[2], gb)):
        np.testing.assert_allclose((new - old) / -alpha, grad, rtol=1e-5, atol=atol)
    assert np.abs(g0).max() > 0.05 and np.abs(g1).max() > 0.05  # a real gradient was checked


RULES = [(kernels.SG_SHARED, False, CONTEXTS), (kernels.SG_PAIRS, False, CONTEXTS[:1]),
         (kernels.CBOW, True, CONTEXTS)]
RULE_IDS = ["sg-shared", "sg-pairs", "cbow"]


@pytest.mark.parametrize("rule, cbow, ctx", RULES, ids=RULE_IDS)
def test_nce_update_is_the_gradient_of_nce_loss(rule, cbow, ctx):
    counts = np.array([90, 60, 40, 30, 20, 12, 8, 5, 3])
    log_kq = nce_log_kq(counts, 0.75, K).astype(np.float64)
    syn0, syn1, bias = random_params(1, V)

    def make(b):
        return NoiseContrastive(NOISE_TABLE, log_kq, b, K)

    rng, noise = with_distinct_noise(make, rule, syn0, syn1, ctx)

    def step(s0, s1, b, alpha):
        return run_step(make(b), rule, s0, s1, ctx, alpha, rng)[0]

    check_update(nce_loss(log_kq), step, syn0, syn1, bias, ctx, noise, cbow, 1e-3, atol=1e-7)


@pytest.mark.parametrize("rule, cbow, ctx", RULES, ids=RULE_IDS)
def test_hs_update_is_the_gradient_of_minus_log_path_probability(rule, cbow, ctx):
    counts = np.array([90, 60, 40, 30, 20, 12, 8, 5, 3])
    tree = build_huffman(counts)
    assert tree.lengths[CENTER] >= 3  # a path with a few nodes
    syn0, syn1, bias = random_params(2, V - 1)

    def step(s0, s1, b, alpha):
        return run_step(HierarchicalSoftmax(tree.codes, tree.points, tree.lengths), rule, s0, s1, ctx,
                        alpha)[0]

    check_update(hs_loss(tree), step, syn0, syn1, bias, ctx, [], cbow, 1e-3, atol=1e-7)
    assert np.all(bias == random_params(2, V - 1)[2])  # hs has no biases: untouched


# The NS steps use word2vec.c's table sigmoid: 1024 cells over [-6, 6], each read at
# its centre, so sigmoid is off by at most (6 / 1024) * max sigmoid' (1/4) = 0.00146
# inside the table (the logits here stay within it). Each gradient entry is a sum of
# at most (1 + K) * n_ctx such errors times one vector entry, which bounds the gap.
TABLE_ERROR = 0.25 * MAX_EXP / SIGMOID_TABLE_SIZE + 1e-7


@pytest.mark.parametrize("rule, cbow, ctx", RULES, ids=RULE_IDS)
def test_ns_update_is_the_gradient_of_ns_loss_up_to_the_sigmoid_table(rule, cbow, ctx):
    syn0, syn1, bias = random_params(3, V)
    assert np.abs(syn0 @ syn1.T).max() < MAX_EXP  # inside the table: no clipping

    def make(_):
        return NegativeSampling(NOISE_TABLE, sigmoid_table(), K)

    rng, noise = with_distinct_noise(make, rule, syn0, syn1, ctx)

    def step(s0, s1, b, alpha):
        return run_step(make(b), rule, s0, s1, ctx, alpha, rng)[0]

    bound = TABLE_ERROR * (K + 1) * len(ctx) * max(np.abs(syn0).max(), np.abs(syn1).max())
    check_update(ns_loss, step, syn0, syn1, bias, ctx, noise, cbow, 1e-3, atol=bound)
    assert bound < 0.05  # small against the gradients checked (entries above 0.05)


# ---------------------------------------------------------------- Huffman tree
def test_huffman_small_tree_is_word2vec_c_tree():
    # Worked by hand with word2vec.c's CreateBinaryTree: merge 1+2 (node 0), then
    # node 0 (3) with the leaf 3 (a tie goes to the inner node), then 5 with node 1.
    tree = build_huffman(np.array([5, 3, 2, 1]))
    assert tree.lengths.tolist() == [1, 2, 3, 3]
    paths = [tuple(map(list, tree.path(w))) for w in range(4)]
    assert paths == [([2], [0]), ([2, 1], [1, 1]), ([2, 1, 0], [1, 0, 1]), ([2, 1, 0], [1, 0, 0])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_huffman_codes_are_prefix_free_and_shorter_for_frequent_words(seed):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.zipf(1.3, size=3000).clip(1, 10**7))[::-1].copy()
    counts[-40:] = 5  # many ties
    tree = build_huffman(counts)
    codes = ["".join(map(str, tree.path(w)[1])) for w in range(len(counts))]
    assert all(len(c) >= 1 for c in codes)
    # Prefix-free: no code is a proper prefix of another (nor equal to one).
    everything = set(codes)
    assert len(everything) == len(codes)
    assert not any(c[:i] in everything for c in codes for i in range(1, len(c)))
    # A full binary tree: Kraft's sum is exactly 1.
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0, abs=1e-12)
    # More frequent never longer: across distinct counts, lengths do not decrease.
    for hi, lo in zip(*np.nonzero(counts[:, None] > counts[None, ::97])):
        assert tree.lengths[hi] <= tree.lengths[lo * 97]
    # Every inner node 0..V-2 is used; every path starts at the root V-2.
    assert np.all(tree.points[:, 0] == len(counts) - 2)
    used = np.concatenate([tree.path(w)[0] for w in range(len(counts))])
    assert set(used.tolist()) == set(range(len(counts) - 1))
    # The same code lengths whatever the order the counts come in (equal counts may swap).
    perm = rng.permutation(len(counts))
    shuffled = build_huffman(counts[perm])
    assert sorted(zip(counts[perm].tolist(), shuffled.lengths.tolist())) == \
        sorted(zip(counts.tolist(), tree.lengths.tolist()))


def test_hs_probabilities_sum_to_one_over_the_vocabulary():
    rng = np.random.default_rng(5)
    counts = np.sort(rng.integers(1, 1000, size=400))[::-1].copy()
    tree = build_huffman(counts)
    nodes = rng.normal(0, 1.0, (len(counts) - 1, 12))
    for _ in range(3):
        p = path_probabilities(tree, nodes, rng.normal(0, 1.0, 12))
        assert np.all(p > 0) and p.sum() == pytest.approx(1.0, abs=1e-12)


def test_huffman_one_word_has_empty_path():
    tree = build_huffman(np.array([7]))
    assert tree.lengths.tolist() == [0] and tree.n_inner == 0


# ---------------------------------------------------------------- options and model
def test_loss_option_is_validated_and_hs_takes_negative_zero(tmp_path):
    with pytest.raises(FastW2VError, match="^loss must be ns or nce or hs"):
        fastw2v.train([["a", "b"]], min_count=1, loss="softmax")
    with pytest.raises(FastW2VError, match="^negative must be at least 1"):
        fastw2v.train([["a", "b"]], min_count=1, loss="nce", negative=0)
    m = fastw2v.train([["a", "b", "c"]] * 50, min_count=1, dim=4, epochs=1, loss="hs", negative=0)
    assert m.output_vectors.shape == (2, 4) and m.inner_node_vectors.shape == (2, 4)
    # The library's errors name the fields (export, loss); the command line shows them as flags.
    with pytest.raises(FastW2VError, match=r"^export in\+out needs one output vector per word, but "
                                           r"loss hs has none .*; use export in$") as err:
        m.save(tmp_path / "v.txt", export="in+out")
    assert err.value.render(flag_of).startswith("--export in+out needs one output vector per word, but "
                                                "--loss hs has none")
    with pytest.raises(FastW2VError, match=r"^export must be in, out or in\+out \(got 'both'\)$"):
        m.save(tmp_path / "v.txt", export="both")
    with pytest.raises(FastW2VError, match="^save_output needs one output vector per word, but loss hs"):
        save_output_vectors(m, tmp_path / "o.txt")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_model_matrices_reproducibility_and_checkpoint(tmp_path, loss):
    sentences, _ = topic_corpus(n_sentences=400)
    opts = dict(min_count=1, dim=8, epochs=2, threads=1, seed=4, loss=loss, sample=0)
    m = fastw2v.train(sentences, **opts)
    n = len(m.vocab)
    assert m.input_vectors.shape == (n, 8)
    assert m.output_vectors.shape == ((n - 1, 8) if loss == "hs" else (n, 8))
    assert np.any(m.output_vectors != 0)
    if loss == "nce":
        assert m.biases.shape == (n,) and m.biases.dtype == np.float32 and np.any(m.biases != 0)
    else:
        assert m.biases is None
    again = fastw2v.train(sentences, **opts)  # one thread, one seed: the same bits
    assert np.array_equal(m.syn0, again.syn0) and np.array_equal(m.syn1, again.syn1)
    # A checkpoint keeps everything, biases and the hs inner nodes included.
    save_checkpoint(tmp_path / "c.npz", m, TrainState(chunk_done=np.zeros(1, np.uint8)))
    back, _, _ = load_checkpoint(tmp_path / "c.npz")
    assert back.options.loss == loss
    assert np.array_equal(back.input_vectors, m.input_vectors)
    assert np.array_equal(back.output_vectors, m.output_vectors)
    assert (back.biases is None) == (m.biases is None)
    if m.biases is not None:
        assert np.array_equal(back.biases, m.biases)


@pytest.mark.parametrize("loss", ["nce", "hs"])
def test_resume_mid_epoch_is_bit_identical(tmp_path, monkeypatch, loss):
    from fastw2v.training import driver as training

    sentences, _ = topic_corpus(n_sentences=6000)
    corpus = tmp_path / "topics.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    opts = dict(min_count=1, dim=8, epochs=2, threads=1, seed=7, window=3, loss=loss)
    full = fastw2v.train([corpus], **opts)
    copies = []
    save = training._save_checkpoint

    def save_and_copy(model, state, control):
        save(model, state, control)
        if 0 < state.epoch_words and state.epoch == 1 and not copies:  # mid-way through epoch 2
            copies.append(tmp_path / "mid.ckpt")
            copies[-1].write_bytes(control.checkpoint.read_bytes())

    monkeypatch.setattr(training, "_save_checkpoint", save_and_copy)
    fastw2v.train([corpus], control=RunControl(checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e-9,
                                               segment_words=20_000), **opts)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    assert copies
    resumed = fastw2v.resume(copies[0], control=RunControl(checkpoint=tmp_path / "r.ckpt"))
    assert np.array_equal(full.syn0, resumed.syn0) and np.array_equal(full.syn1, resumed.syn1)
    if loss == "nce":
        assert np.array_equal(full.biases, resumed.biases)


# ---------------------------------------------------------------- end to end on the sample
@pytest.fixture(scope="module")
def sample_models():
    models = {}
    for loss in ("nce", "hs"):
        control = RunControl(report_loss=True)
        # One thread: deterministic (Hogwild with two gives about the same scores).
        models[loss] = fastw2v.train(str(TEXT8), loss=loss, dim=50, epochs=3, threads=1, seed=1,
                                     control=control)
    return models


@pytest.mark.parametrize("loss", ["nce", "hs"])
def test_nce_and_hs_learn_word_similarity_on_the_sample(sample_models, loss):
    # Chance is a Spearman of 0 (sd about 0.06 over the ~300 known pairs). These settings
    # gave 0.31-0.32 (nce) and 0.49-0.54 (hs) over seeds and thread counts.
    model = sample_models[loss]
    result = evaluate_word_pairs(model, WORDSIM)
    assert result.evaluated > 250
    assert result.spearman > {"nce": 0.25, "hs": 0.4}[loss], result


@pytest.mark.parametrize("loss", ["nce", "hs"])
def test_reported_loss_is_positive_and_falls(sample_models, loss):
    # Seen: nce 16.13, 10.55, 10.58; hs 34.16, 33.58, 33.55 per word. Most of the fall is
    # in the first epoch; by the last, with the learning rate near 0, the loss is flat
    # (for ns too: over 5 epochs its last epoch can come out a little above the one before).
    losses = sample_models[loss].epoch_losses
    assert len(losses) == 3 and all(x > 0 and math.isfinite(x) for x in losses)
    assert losses[0] > losses[1] and losses[0] > losses[2], losses
    assert losses[2] < losses[1] * 1.01, losses


# ---------------------------------------------------------------- command line
def write_topic_corpus(path):
    sentences, _ = topic_corpus(n_sentences=600)
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return path


FAST = ["--dim", "10", "--epochs", "2", "--threads", "1", "--min-count", "1", "--seed", "3",
        "--quiet", "--no-cache"]


def test_cli_save_output_and_export_in_plus_out_load_in_gensim(tmp_path):
    corpus = write_topic_corpus(tmp_path / "c.txt")
    both, out, inp = tmp_path / "both.txt", tmp_path / "out.txt", tmp_path / "in.txt"
    assert main(["train", str(corpus), "-o", str(both), "--loss", "nce", "--export", "in+out",
                 "--save-output", str(out), *FAST]) == 0
    assert main(["train", str(corpus), "-o", str(inp), "--loss", "nce", *FAST]) == 0
    kv_both, kv_out, kv_in = (KeyedVectors.load_word2vec_format(str(p)) for p in (both, out, inp))
    assert kv_both.index_to_key == kv_out.index_to_key == kv_in.index_to_key
    assert kv_both.vectors.shape == (144, 10)
    # Same seed, one thread: the same model, so in+out is exactly in + out.
    assert np.array_equal(kv_both.vectors, kv_in.vectors + kv_out.vectors)
    lines = biases_path(out).read_text().splitlines()
    assert biases_path(out).name == "out.txt.biases.txt" and len(lines) == 144
    words = [line.split()[0] for line in lines]
    biases = np.array([float(line.split()[1]) for line in lines])
    assert words == kv_out.index_to_key and np.all(np.isfinite(biases)) and np.any(biases != 0)
    # ns: out and in+out work too; the binary flag applies to --save-output as well.
    assert main(["train", str(corpus), "-o", str(tmp_path / "ns.bin"), "--export", "out", "--binary",
                 "--save-output", str(tmp_path / "ns_out.bin"), *FAST]) == 0
    a = KeyedVectors.load_word2vec_format(str(tmp_path / "ns.bin"), binary=True)
    b = KeyedVectors.load_word2vec_format(str(tmp_path / "ns_out.bin"), binary=True)
    assert np.array_equal(a.vectors, b.vectors) and not biases_path(tmp_path / "ns_out.bin").exists()
    # hs through word2vec.c's alias.
    assert main(["train", str(corpus), "-o", str(tmp_path / "hs.txt"), "--hs", "1", "--negative", "0",
                 *FAST]) == 0
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "hs.txt")).vectors.shape == (144, 10)


BAD = [
    (["--loss", "softmax"], ["--loss", "softmax"]),
    (["--loss", "hs", "--export", "out"], ["--export out", "hs"]),
    (["--hs", "1", "--export", "in+out"], ["--export in+out", "hs"]),
    (["--export", "both"], ["--export", "both"]),
    (["--hs", "2"], ["--hs"]),
    (["--hs", "1", "--loss", "nce"], ["--hs 1", "nce"]),
    (["--loss", "hs", "--save-output", "o.txt"], ["--save-output", "hs"]),
    (["--loss", "nce", "--save-output", "missing/o.txt"], ["does not exist"]),
]


@pytest.mark.parametrize("args, fragments", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_cli_bad_values_give_one_line_and_exit_2(tmp_path, capsys, args, fragments):
    corpus = write_topic_corpus(tmp_path / "c.txt")
    out = tmp_path / "v.txt"
    args = [str(tmp_path / a) if a.endswith(".txt") else a for a in args]
    assert main(["train", str(corpus), "-o", str(out), *args, *FAST]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fastw2v: error: "), err
    for fragment in fragments:
        assert fragment in err[0], (fragment, err[0])
    assert not out.exists()


def test_cli_bad_loss_in_a_real_process(tmp_path):
    corpus = write_topic_corpus(tmp_path / "c.txt")
    result = run_cli(["train", corpus, "-o", tmp_path / "v.txt", "--loss", "hs", "--export", "in+out"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "--export in+out" in result.stderr
