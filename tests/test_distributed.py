"""Training across machines on Dask (issue 8): shard planning, merged counting, the sync
schedule, quality against single-process training, lost workers, and the command line.

The planner and counting tests need no Dask. The cluster tests start a
``LocalCluster`` of 2 worker processes with 1 thread each and are skipped when
``distributed`` is not installed.
"""

from __future__ import annotations

import gzip
import logging
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TEXT8, WORDSIM, cli_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v import FastW2VError
from fastw2v.cli import flag_of, main
from fastw2v.engine.engine import chunk_layout, round_bounds
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus
from fastw2v.text.shards import (
    ShardCorpus,
    ShardData,
    file_sizes,
    merge_counts,
    part_ranges,
    plan_shards,
)
from fastw2v.training.distributed import (
    SYNC_ROWS,
    merge_deltas,
    parse_sync_words,
    sync_rows_at,
)

WHITESPACE = b" \t\n\v\f\r"
# WordSim-353 Spearman of 2 workers (3 epochs on the text8 sample) may be at most this
# much below single-process training with 2 threads. Single-process runs with seeds
# 1-4 spread over 0.39-0.41; 2 workers syncing every 100,000 words score 0.396.
QUALITY_TOLERANCE = 0.05


# ---------------------------------------------------------------- shard planning
def write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def all_ranges(shards) -> list[tuple[int, int]]:
    return sorted(r for s in shards for p in s.parts for r in part_ranges(p, read_bytes=7))


def assert_cover_once(ranges: list[tuple[int, int]], size: int) -> None:
    pos = 0
    for a, b in ranges:
        assert a == pos, f"range {a}:{b} does not start where the previous one ended ({pos})"
        assert b >= a
        pos = b
    assert pos == size


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.sampled_from([b"a", b"bb", b"ccc", b" ", b"\t", b"\n", b"\n\n", b"\xff"]),
                     max_size=120).map(b"".join),
       n=st.integers(1, 5), stripe=st.integers(1, 40), compressed=st.booleans())
def test_byte_ranges_cover_the_file_exactly_once(tmp_path, data, n, stripe, compressed):
    path = write(tmp_path / ("c.txt.gz" if compressed else "c.txt"), data)
    shards = plan_shards(file_sizes([path]), n, stripe_bytes=stripe)
    ranges = [r for r in all_ranges(shards) if r[1] > r[0]]
    assert_cover_once(ranges, len(data))
    for a, _ in ranges:
        assert a == 0 or data[a - 1] in WHITESPACE, "a range starts inside a word"
    # What the shards read is the file, byte for byte, range by range.
    read = sorted(b for s in shards for b in ShardCorpus(s, block_bytes=5).range_bytes() if b)
    assert read == sorted(data[a:b] for a, b in ranges)


def test_ranges_are_cut_at_line_starts(tmp_path):
    rng = random.Random(3)
    lines = [" ".join("w%d" % rng.randrange(50) for _ in range(rng.randrange(1, 30))).encode()
             for _ in range(3000)]
    data = b"\n".join(lines) + b"\n"
    for name, stripe in (("l.txt", 0), ("l.txt.gz", 4096)):
        path = write(tmp_path / name, data)
        shards = plan_shards(file_sizes([path]), 3, stripe_bytes=stripe or 1 << 20)
        ranges = [r for r in all_ranges(shards) if r[1] > r[0]]
        assert len(ranges) >= 3
        assert_cover_once(ranges, len(data))
        assert all(a == 0 or data[a - 1:a] == b"\n" for a, _ in ranges), "a line was split"
        # about equal shards
        sizes = [sum(len(b) for b in ShardCorpus(s).range_bytes()) for s in shards]
        assert max(sizes) < 1.2 * len(data) / 3


def test_one_long_line_is_cut_at_token_boundaries(tmp_path):
    words = [b"w%d" % (i % 997) for i in range(60_000)]
    data = b" ".join(words)  # one line, no newline at all
    path = write(tmp_path / "one.txt", data)
    shards = plan_shards(file_sizes([path]), 2)
    ranges = all_ranges(shards)
    assert len(ranges) == 2 and abs(ranges[0][1] - len(data) / 2) < 10
    assert_cover_once(ranges, len(data))
    tokens = [t for s in shards for b in ShardCorpus(s).range_bytes() for t in b.split()]
    assert tokens == words


def test_whole_files_when_they_balance(tmp_path):
    files = [write(tmp_path / f"f{i}.txt", b"x y\n" * (100 + i)) for i in range(9)]
    shards = plan_shards(file_sizes(files), 3)
    parts = [p for s in shards for p in s.parts]
    assert all(p.stripe == 0 for p in parts)
    assert sorted(Path(p.path).name for p in parts) == sorted(f.name for f in files)
    sizes = [s.size for s in shards]
    assert max(sizes) <= 1.25 * sum(sizes) / 3
    # Fewer files than shards (or unbalanced ones): every file is cut into every shard.
    big = [write(tmp_path / "big.txt", b"x y\n" * 5000), write(tmp_path / "small.txt", b"z\n")]
    shards = plan_shards(file_sizes(big), 3)
    assert all(len(s.parts) == 2 and all(p.stripe > 0 for p in s.parts) for s in shards)


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(FastW2VError, match="corpus file not found"):
        file_sizes([tmp_path / "nope.txt"])
    with pytest.raises(FastW2VError):
        plan_shards([], 2)


# ---------------------------------------------------------------- counting and encoding
def shard_vocab(files, n, min_count, max_sentence_length=10_000):
    shards = plan_shards(file_sizes(files), n, stripe_bytes=1 << 16)
    data = [ShardData(s, max_sentence_length) for s in shards]
    vocab = merge_counts([d.count() for d in data], min_count)
    return vocab, [d.encode(vocab) for d in data]


@pytest.mark.parametrize("n", [2, 3])
def test_merged_vocabulary_equals_single_process_counting(n):
    single, encoded = vocab_and_corpus(Corpus(TEXT8), min_count=5, max_vocab_size=0,
                                       max_sentence_length=10_000)
    merged, parts = shard_vocab([TEXT8], n, 5)
    assert merged.words == single.words
    assert np.array_equal(merged.counts, single.counts)
    # Every token is encoded once, in some shard.
    assert sum(p.n_words for p in parts) == encoded.n_words
    ids = np.concatenate([p.tokens for p in parts])
    assert np.array_equal(np.bincount(ids, minlength=len(single)), single.counts)


def test_merged_vocabulary_with_invalid_utf8_and_several_files(tmp_path):
    rng = random.Random(7)
    pool = [b"caf\xc3\xa9", b"caf\xe9", b"caf\xff", b"\xff", b"na\xefve", b"a", b"b", b"c", b"dd"]
    files = []
    for i, name in enumerate(["a.txt", "b.txt.gz", "c.txt"]):
        lines = [b" ".join(rng.choice(pool) for _ in range(rng.randrange(1, 12))) for _ in range(400 + 50 * i)]
        files.append(write(tmp_path / name, b"\n".join(lines)))
    single, encoded = vocab_and_corpus(Corpus(files), min_count=2, max_vocab_size=0,
                                       max_sentence_length=5)
    for n in (1, 2, 4):
        merged, parts = shard_vocab(files, n, 2, max_sentence_length=5)
        assert merged.words == single.words and np.array_equal(merged.counts, single.counts)
        assert sum(p.n_words for p in parts) == encoded.n_words


# ---------------------------------------------------------------- the sync schedule
def test_sync_schedule_is_pword2vecs():
    rows = [sync_rows_at(k, 100_000) for k in range(1, 17)]
    b = SYNC_ROWS
    assert rows == [b, 2 * b, b, 4 * b, b, 2 * b, b, 8 * b, b, 2 * b, b, 4 * b, b, 2 * b, b, 16 * b]
    assert sync_rows_at(1 << 20, 5000) == 5000


def test_rounds_cut_the_shard_into_equal_parts():
    ends = np.cumsum(np.full(10_000, 37, dtype=np.int64))
    chunks = chunk_layout(ends)
    bounds = round_bounds(chunks, ends, 7)
    assert bounds[0] == 0 and bounds[-1] == chunks.shape[0] - 1
    assert np.all(np.diff(bounds) >= 0)

    def end_word(c):  # corpus words before chunk c
        return int(ends[chunks[c] - 1]) if c > 0 else 0

    words = [end_word(hi) - end_word(lo) for lo, hi in zip(bounds[:-1], bounds[1:])]
    assert sum(words) == ends[-1]
    assert max(words) - min(words) <= 10_000 + 37  # chunks are about 10,000 words


def test_merge_rules():
    a = np.array([[1.0, 2.0], [0.0, 0.0], [4.0, 0.0]], dtype=np.float32)
    b = np.array([[3.0, 2.0], [0.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    assert np.array_equal(merge_deltas([a, b], "sum"), a + b)
    # average: over the workers that changed the row (row 2: only the first)
    assert np.array_equal(merge_deltas([a, b], "average"), [[2.0, 2.0], [0.0, 0.0], [4.0, 0.0]])
    assert np.array_equal(merge_deltas([a[:, 0], b[:, 0]], "average"), [2.0, 0.0, 4.0])


def test_sync_every_values():
    assert parse_sync_words("epoch") is None
    assert parse_sync_words("250000") == 250_000
    assert parse_sync_words(None) > 0
    for bad in ("0", "-5", "often", 0):
        with pytest.raises(FastW2VError, match="^sync_words must") as err:
            parse_sync_words(bad)
        assert err.value.render(flag_of).startswith("--sync-every must")  # the CLI's form


# ---------------------------------------------------------------- on a LocalCluster
@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_quality_close_to_single_process(client):
    """2 workers x 1 thread against one process with 2 threads, 3 epochs on the text8 sample."""
    import fastw2v
    from fastw2v.training.distributed import train_distributed
    from fastw2v.vectors.evaluate import evaluate_word_pairs

    model = train_distributed(str(TEXT8), client, epochs=3)
    single = fastw2v.train(str(TEXT8), epochs=3, threads=2)
    assert model.vocab.words == single.vocab.words
    assert np.array_equal(model.vocab.counts, single.vocab.counts)
    assert model.stats.words_per_epoch == single.stats.words_per_epoch
    ours = evaluate_word_pairs(model, WORDSIM).spearman
    theirs = evaluate_word_pairs(single, WORDSIM).spearman
    assert ours >= theirs - QUALITY_TOLERANCE, (ours, theirs)
    assert np.isfinite(model.syn0).all() and np.isfinite(model.syn1).all()
    # Bytes through the driver: each sync, every worker sends the deltas of the synced rows
    # of both matrices (dim float32 each) and gets the merged ones back.
    stats = model.sync_stats
    row_bytes = 2 * model.options.dim * 4
    assert stats.bytes_to_driver == stats.bytes_from_driver == stats.workers * stats.rows_synced * row_bytes
    assert stats.syncs == 3 * stats.rounds_per_epoch and stats.replaced_workers == 0


def test_missing_corpus_on_the_workers(client, tmp_path):
    from fastw2v.training.distributed import train_distributed

    with pytest.raises(FastW2VError, match="corpus file not found"):
        train_distributed(str(tmp_path / "absent.txt"), client, epochs=1)


def test_lost_worker_is_replaced_and_training_finishes():
    """A worker killed mid-run: its shard moves to a live worker, the run completes."""
    distributed = pytest.importorskip("distributed")
    from fastw2v.training.distributed import train_distributed
    from fastw2v.vectors.evaluate import evaluate_word_pairs

    def kill_one(epoch, rnd, c):
        if (epoch, rnd) == (0, 2):
            pids = c.run(os.getpid)
            os.kill(pids[sorted(pids)[0]], signal.SIGKILL)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster) as c:
        model = train_distributed(str(TEXT8), c, epochs=1, on_round=kill_one)
        assert model.sync_stats.replaced_workers == 1
        assert np.isfinite(model.syn0).all()
        assert evaluate_word_pairs(model, WORDSIM).spearman > 0.15
        # With replacing turned off the same loss stops the run with one clear line.
        c.wait_for_workers(2, timeout=30)
        with pytest.raises(FastW2VError, match=r"was lost; training stopped \(replacing lost workers is off\)"):
            train_distributed(str(TEXT8), c, epochs=1, on_round=kill_one, retries=0)


# ---------------------------------------------------------------- command line
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, timeout=180):
    return subprocess.run([sys.executable, "-m", "fastw2v.cli", *map(str, args)], env=cli_env(),
                          capture_output=True, text=True, timeout=timeout)


def test_cli_unreachable_scheduler_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "v.txt"
    done = run_cli(["train", TEXT8, "-o", out, "--dask", f"tcp://127.0.0.1:{free_port()}"])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("fastw2v: error: cannot reach the Dask scheduler at tcp://127.0.0.1:")
    assert not out.exists()


@pytest.fixture(scope="module")
def small_text(tmp_path_factory) -> Path:
    """About 40k words in 2,000 lines, frequencies falling off as Zipf's law: two shards
    of one file, each with frequent words of its own and in common."""
    rng = np.random.default_rng(8)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(words[i] for i in np.minimum(rng.zipf(1.3, size=20), 300) - 1) for _ in range(2000)]
    path = tmp_path_factory.mktemp("dask") / "small.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def a_checkpoint(tmp_path_factory) -> Path:
    """A checkpoint of a finished single-machine run of the command line."""
    d = tmp_path_factory.mktemp("ckpt")
    (d / "c.txt").write_text("a b c\n" * 50)
    assert main(["train", str(d / "c.txt"), "-o", str(d / "v.txt"), "--min-count", "1", "--dim", "4",
                 "--epochs", "1", "--threads", "1", "--no-cache", "-q", "--checkpoint-every", "60"]) == 0
    return d / "v.txt.checkpoint"


@pytest.fixture(scope="module")
def a_saved_model(tmp_path_factory) -> Path:
    """A whole model written by ``fastw2v train --save-model`` (what --continue takes)."""
    d = tmp_path_factory.mktemp("model")
    (d / "c.txt").write_text("a b c\n" * 50)
    assert main(["train", str(d / "c.txt"), "-o", str(d / "v.txt"), "--min-count", "1", "--dim", "4",
                 "--epochs", "1", "--threads", "1", "--no-cache", "-q", "--save-model", str(d / "m.bin")]) == 0
    return d / "m.bin"


@pytest.fixture(scope="module")
def word2vec_text(tmp_path_factory) -> Path:
    """A small word2vec text file written by hand (what --init-vectors takes)."""
    path = tmp_path_factory.mktemp("init") / "init.txt"
    path.write_text("2 4\nthe 0.1 0.2 0.3 0.4\nof -0.1 0.0 0.5 1.0\n")
    return path


# The flags of NOT_WITH_DASK (fastw2v/training/plan.py), each tested below.
SINGLE_MACHINE_OPTIONS = ["--resume", "--checkpoint", "--checkpoint-every", "--cache-dir", "--tmp-dir",
                          "--report-loss", "--log", "--eval-every-epoch", "--continue", "--init-vectors"]


def test_every_option_refused_under_dask_is_tested():
    from fastw2v.training.plan import NOT_WITH_DASK

    assert sorted(flag_of(name) for name in NOT_WITH_DASK) == sorted(SINGLE_MACHINE_OPTIONS)


@pytest.mark.parametrize("option", SINGLE_MACHINE_OPTIONS)
def test_cli_rejects_single_machine_options(tmp_path, capsys, a_checkpoint, a_saved_model, word2vec_text,
                                            option):
    """Each option --dask does not offer is one error line and exit 2, before any cluster.
    Files given are real ones (a checkpoint, a saved model, a vector file), so that the
    refusal is for --dask, not for the file."""
    value = {"--resume": [a_checkpoint], "--checkpoint": [tmp_path / "c.ckpt"], "--checkpoint-every": ["5"],
             "--cache-dir": [tmp_path / "cache"], "--tmp-dir": [tmp_path], "--log": [tmp_path / "log.jsonl"],
             "--continue": [a_saved_model], "--init-vectors": [word2vec_text],
             }.get(option, [])
    corpus = [] if option == "--resume" else [TEXT8]
    args = ["train", *corpus, "-o", tmp_path / "v.txt", "--dask", "local:2", option, *value]
    assert main([str(a) for a in args]) == 2
    assert capsys.readouterr().err.strip() == f"fastw2v: error: {option} is not available with --dask"
    assert os.listdir(tmp_path) == []


def test_cli_rejects_a_bad_local_cluster_size(tmp_path, capsys):
    assert main(["train", str(TEXT8), "-o", str(tmp_path / "v.txt"), "--dask", "local:x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fastw2v: error: --dask local:N needs"), err


def test_cli_trains_on_a_local_cluster(tmp_path, client, small_text):
    """`--dask local:2` from the command line: the vocabulary equals single-process counting,
    and another run (on another cluster of 2 one-thread workers) gives the same bytes."""
    out, vocab_file = tmp_path / "v.txt", tmp_path / "voc.txt"
    common = ["--dim", "8", "--epochs", "2", "--min-count", "3", "--sync-every", "5000"]
    done = run_cli(["train", small_text, "-o", out, "--dask", "local:2", "--save-vocab", vocab_file, *common])
    assert done.returncode == 0, done.stderr
    assert "2 shards on 2 workers" in done.stderr and "syncs" in done.stderr
    single, encoded = vocab_and_corpus(Corpus([small_text]), min_count=3, max_vocab_size=0,
                                       max_sentence_length=10_000)
    assert f"corpus: {encoded.n_words:,} words" in done.stderr
    assert vocab_file.read_text().splitlines() == [f"{w} {c}" for w, c in zip(single.words, single.counts)]
    lines = out.read_text().splitlines()
    assert lines[0] == f"{len(single)} 8" and [ln.split()[0] for ln in lines[1:]] == single.words
    again = tmp_path / "again.txt"
    assert main(["train", str(small_text), "-o", str(again), "--dask", client.scheduler.address, "-q",
                 *common]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_sync_every_epoch_and_average_merge_end_to_end(tmp_path, client, small_text, capsys):
    """`--sync-every epoch --sync-merge average` from the command line give the vectors of
    train_distributed with the same options (a second run: deterministic), with one sync
    per epoch. With one epoch, the average of two workers' changes is half their sum
    wherever both changed a row (the most frequent words)."""
    from fastw2v.training.distributed import train_distributed
    from fastw2v.training.model import initial_vectors

    out = tmp_path / "v.txt"
    assert main(["train", str(small_text), "-o", str(out), "--dask", client.scheduler.address, "--dim", "8",
                 "--epochs", "2", "--min-count", "1", "--sync-every", "epoch", "--sync-merge", "average"]) == 0
    assert "; 2 syncs, " in capsys.readouterr().err
    api = train_distributed(str(small_text), client, dim=8, epochs=2, min_count=1, sync_words="epoch",
                            merge="average")
    stats = api.sync_stats
    assert (stats.syncs, stats.rounds_per_epoch, stats.merge, stats.sync_words) == (2, 1, "average", None)
    api.save(tmp_path / "api.txt")
    assert (tmp_path / "api.txt").read_bytes() == out.read_bytes()

    one = dict(dim=8, epochs=1, min_count=1, sync_words="epoch")
    summed = train_distributed(str(small_text), client, merge="sum", **one)
    averaged = train_distributed(str(small_text), client, merge="average", **one)
    start, _ = initial_vectors(len(summed.vocab), 8, 1)
    start = start[:, :8].astype(np.float64)
    top = slice(0, 40)  # words frequent in both shards: changed by both workers
    np.testing.assert_allclose(summed.input_vectors[top] - start[top],
                               2 * (averaged.input_vectors[top] - start[top]), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(summed.output_vectors[top], 2 * averaged.output_vectors[top], rtol=1e-4, atol=1e-6)
    assert np.abs(summed.output_vectors[top]).min() > 0


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_replicas_are_identical_after_the_last_sync(client, small_text, monkeypatch, loss):
    """Just before the driver fetches the model, every worker's replica (both matrices, the
    NCE biases, the HS inner nodes) is the same, bit for bit, and is the model returned."""
    from fastw2v.training import distributed as dist

    replicas = []
    fetch_model = dist._Fleet.call_one

    def every_replica_first(self, method, args=()):
        if method == "model":
            replicas.extend(self.call("replica"))
        return fetch_model(self, method, args)

    monkeypatch.setattr(dist._Fleet, "call_one", every_replica_first)
    model = dist.train_distributed(str(small_text), client, dim=8, epochs=1, min_count=1, loss=loss,
                                   sync_words=5000)
    assert model.sync_stats.rounds_per_epoch >= 4
    first, second = replicas
    assert len(first) == (3 if loss == "nce" else 2)
    for a, b in zip(first, second):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert np.array_equal(model.input_vectors, first[0]) and np.array_equal(model.output_vectors, first[1])
    assert first[1].shape[0] == (len(model.vocab) - 1 if loss == "hs" else len(model.vocab))
    if loss == "nce":
        assert np.array_equal(model.biases, first[2]) and np.abs(first[2]).max() > 0


@pytest.mark.parametrize("loss", ["ns", "nce", "hs"])
def test_a_partial_sync_covers_the_nce_biases_and_the_huffman_root_side(small_text, loss):
    """Two shard trainers (no Dask), one round each, then a sync of the first 20 rows:
    afterwards both replicas agree on those rows of syn0 and of the NCE biases, and on the
    last 20 inner nodes of the HS tree (the root side, on every path), and still differ
    elsewhere."""
    from dataclasses import asdict

    from fastw2v.training.distributed import ShardTrainer, pack_words, unpack_words
    from fastw2v.training.options import TrainOptions

    trainers = [ShardTrainer(s, 10_000) for s in plan_shards(file_sizes([small_text]), 2)]
    counted = [t.count() for t in trainers]
    vocab = merge_counts([(unpack_words(w), c) for w, c in counted], 1)
    options = asdict(TrainOptions(dim=8, epochs=1, min_count=1, loss=loss, threads=1).resolved())
    for t in trainers:
        t.encode(pack_words(vocab.words), vocab.counts)
        t.prepare(options, vocab.counts, 1, 2)
    rows = 20
    steps = [t.step(None, 0, 0, rows) for t in trainers]
    merged = [merge_deltas([deltas[j] for _, deltas, _ in steps], "sum") for j in range(len(steps[0][1]))]
    for t in trainers:
        t.apply(rows, merged)
    a, b = (t.replica() for t in trainers)
    same = [lambda x: x[:rows]] * 3
    rest = [lambda x: x[rows:]] * 3
    if loss == "hs":  # syn1: the inner nodes, the root last
        same[1], rest[1] = (lambda x: x[-rows:]), (lambda x: x[:-rows])
    assert len(a) == (3 if loss == "nce" else 2)
    for j in range(len(a)):
        assert np.array_equal(same[j](a[j]), same[j](b[j])), j
        assert not np.array_equal(rest[j](a[j]), rest[j](b[j])), j


def test_divergence_on_a_worker_is_one_line(tmp_path, client, small_text, capsys):
    out = tmp_path / "v.txt"
    assert main(["train", str(small_text), "-o", str(out), "--dask", client.scheduler.address, "--dim", "8",
                 "--epochs", "1", "--min-count", "1", "--alpha", "1e6", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("fastw2v: error: training diverged on shard ")
    assert "--alpha (it was 1e+06); no vectors were written" in err[0]
    assert os.listdir(tmp_path) == []
