"""word2vec text and binary vector files: bit-exact round trips through gensim and
our own reader, atomic writes, and clear errors (issue 2, part 4)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from gensim.models import KeyedVectors

from fastw2v import FastW2VError, load_word2vec, save_word2vec

F32 = np.float32


def _awkward_values() -> np.ndarray:
    finfo = np.finfo(F32)
    special = [0.0, -0.0, 1e-30, -1e-30, 1e10, -1e10, 1.0, -1.0, 0.1, -0.1, 1 / 3, -2 / 3, 0.5,
               finfo.max, -finfo.max, finfo.tiny, -finfo.tiny,  # largest / smallest normal
               np.nextafter(F32(0), F32(1)), -np.nextafter(F32(0), F32(1)),  # smallest subnormal
               np.nextafter(finfo.tiny, F32(0)),  # largest subnormal
               1e-5, 9.999999e-6, 1e-6, 1e-4, 123456789.0, 999999999.0, 1e9, 99999.99, 16777217.0]
    values = [F32(v) for v in special]
    # Powers of ten and of two, and their float32 neighbours: where the decimal
    # exponent and the 9-digit rounding change.
    for k in range(-45, 39):
        p = F32(10.0 ** k)
        values += [p, np.nextafter(p, F32(np.inf)), np.nextafter(p, F32(0)), -p]
    for k in range(-149, 128):
        p = F32(2.0 ** k)
        values += [p, np.nextafter(p, F32(np.inf)), np.nextafter(p, F32(0))]
    # Random finite float32 bit patterns (every exponent, sign and mantissa).
    rng = np.random.default_rng(2024)
    bits = rng.integers(0, 2**32, size=30_000, dtype=np.uint64).astype(np.uint32)
    random_values = bits.view(F32)
    values += list(random_values[np.isfinite(random_values)])
    arr = np.array(values, dtype=F32)
    return arr[np.isfinite(arr)]


DIM = 50


@pytest.fixture(scope="module")
def awkward():
    values = _awkward_values()
    values = np.concatenate([values, np.zeros((-len(values)) % DIM, dtype=F32)])
    vecs = values.reshape(-1, DIM)
    words = [f"w{i}" for i in range(len(vecs))]
    words[:6] = ["café", "日本語", "naïve", "x\ufffdy", "Ünïcödé", "</s>"]
    return words, vecs


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=F32).view(np.uint32)


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_our_files_bit_for_bit(tmp_path, awkward, binary):
    words, vecs = awkward
    path = tmp_path / ("v.bin" if binary else "v.txt")
    save_word2vec(path, words, vecs, binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == words
    assert kv.vectors.dtype == F32
    assert np.array_equal(bits(kv.vectors), bits(vecs))


@pytest.mark.parametrize("binary", [False, True])
def test_padded_rows_written_in_batches_match_one_contiguous_write(tmp_path, awkward, binary):
    # A model's matrices are padded to whole cache lines and written through a
    # view of their first DIM columns, a batch of rows at a time.
    words, vecs = awkward
    padded = np.full((len(vecs), DIM + 14), F32(7.5))
    padded[:, :DIM] = vecs
    view = padded[:, :DIM]
    assert not view.flags.c_contiguous
    save_word2vec(tmp_path / "batched", words, view, binary=binary, rows_per_batch=7)
    save_word2vec(tmp_path / "whole", words, vecs.copy(), binary=binary,
                  rows_per_batch=len(vecs))
    assert (tmp_path / "batched").read_bytes() == (tmp_path / "whole").read_bytes()
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "batched"), binary=binary)
    np.testing.assert_array_equal(bits(kv.vectors), bits(vecs))


@pytest.mark.parametrize("binary", [False, True])
def test_threads_write_the_same_file_as_one(tmp_path, awkward, binary):
    # Batches formatted by several threads are written in order: the same bytes.
    words, vecs = awkward
    save_word2vec(tmp_path / "one", words, vecs, binary=binary, rows_per_batch=3, threads=1)
    save_word2vec(tmp_path / "four", words, vecs, binary=binary, rows_per_batch=3, threads=4)
    assert (tmp_path / "four").read_bytes() == (tmp_path / "one").read_bytes()


def test_binary_lines_are_word_space_floats_newline(tmp_path, awkward):
    # word2vec.c's -binary 1 layout, spelled out byte by byte.
    words, vecs = awkward
    save_word2vec(tmp_path / "v.bin", words, vecs, binary=True, rows_per_batch=5, threads=2)
    expected = f"{len(words)} {DIM}\n".encode() + b"".join(
        w.encode("utf-8", "surrogatepass") + b" " + v.astype("<f4").tobytes() + b"\n" for w, v in zip(words, vecs))
    assert (tmp_path / "v.bin").read_bytes() == expected


@pytest.mark.parametrize("binary", [False, True])
def test_our_reader_reads_our_files_bit_for_bit(tmp_path, awkward, binary):
    words, vecs = awkward
    path = tmp_path / ("v.bin" if binary else "v.txt")
    save_word2vec(path, words, vecs, binary=binary)
    got_words, got = load_word2vec(path, binary=binary)
    assert got_words == words and got.dtype == F32
    assert np.array_equal(bits(got), bits(vecs))
    w3, v3 = load_word2vec(path, binary=binary, limit=3)
    assert w3 == words[:3] and np.array_equal(bits(v3), bits(vecs[:3]))


@pytest.mark.parametrize("binary", [False, True])
def test_our_reader_reads_gensim_files(tmp_path, awkward, binary):
    words, vecs = awkward
    kv = KeyedVectors(vector_size=DIM)
    kv.add_vectors(words, vecs)
    path = tmp_path / "g.out"
    kv.save_word2vec_format(str(path), binary=binary)
    got_words, got = load_word2vec(path, binary=binary)
    assert got_words == words
    if binary:
        assert np.array_equal(bits(got), bits(vecs))
    else:  # gensim's text writer is not guaranteed to be bit-exact; it must be close
        np.testing.assert_allclose(got, vecs, rtol=1e-6, atol=0)


def test_text_format_layout(tmp_path):
    words = ["a", "béta"]
    vecs = np.array([[1.5, -2.0, 0.0], [1e-7, 3e20, 0.25]], dtype=F32)
    save_word2vec(tmp_path / "v.txt", words, vecs)
    raw = (tmp_path / "v.txt").read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines[0] == "2 3" and lines[-1] == "" and len(lines) == 4
    for word, line in zip(words, lines[1:3]):
        fields = line.split(" ")  # single spaces, no trailing space: what gensim expects
        assert fields[0] == word and len(fields) == 4 and all(fields)
        # At most 9 significant digits per value (mantissa digits, sign/point/exponent aside).
        for f in fields[1:]:
            mantissa = f.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
            assert len(mantissa) <= 9
    assert [float(x) for x in lines[1].split()[1:]] == [1.5, -2.0, 0.0]


def test_binary_format_layout(tmp_path):
    vecs = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=F32)
    save_word2vec(tmp_path / "v.bin", ["ab", "c"], vecs, binary=True)
    expected = (b"2 2\n" + b"ab " + vecs[0].astype("<f4").tobytes() + b"\n"
                + b"c " + vecs[1].astype("<f4").tobytes() + b"\n")
    assert (tmp_path / "v.bin").read_bytes() == expected


@pytest.mark.parametrize("reader", ["gensim", "fastw2v"])
def test_negative_zero_round_trips_in_text(tmp_path, reader):
    vecs = np.array([[-0.0, 0.0, -1.0]], dtype=F32)
    save_word2vec(tmp_path / "v.txt", ["z"], vecs)
    if reader == "gensim":
        got = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt")).vectors
    else:
        got = load_word2vec(tmp_path / "v.txt", binary=False)[1]
    assert np.array_equal(bits(got), bits(vecs))


@pytest.mark.parametrize("reader", ["gensim", "fastw2v"])
def test_negative_zero_round_trips_in_binary(tmp_path, reader):
    vecs = np.array([[-0.0, 0.0, -1.0]], dtype=F32)
    save_word2vec(tmp_path / "v.bin", ["z"], vecs, binary=True)
    if reader == "gensim":
        got = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True).vectors
    else:
        got = load_word2vec(tmp_path / "v.bin", binary=True)[1]
    assert np.array_equal(bits(got), bits(vecs))


def test_format_autodetection_small_dim(tmp_path):
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((20, 5)).astype(F32)
    words = [f"w{i}" for i in range(20)]
    for binary in (False, True):
        save_word2vec(tmp_path / "v", words, vecs, binary=binary)
        got_words, got = load_word2vec(tmp_path / "v")  # binary=None: guess
        assert got_words == words and np.array_equal(bits(got), bits(vecs))


def test_format_autodetection_text_dim_100(tmp_path):
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((20, 100)).astype(F32)
    words = [f"w{i}" for i in range(20)]
    save_word2vec(tmp_path / "v.txt", words, vecs)
    got_words, got = load_word2vec(tmp_path / "v.txt")
    assert got_words == words and np.array_equal(bits(got), bits(vecs))


def test_binary_autodetection_dim_100(tmp_path):
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((20, 100)).astype(F32)
    words = [f"w{i}" for i in range(20)]
    save_word2vec(tmp_path / "v.bin", words, vecs, binary=True)
    got_words, got = load_word2vec(tmp_path / "v.bin")
    assert got_words == words and np.array_equal(bits(got), bits(vecs))


def test_our_reader_handles_words_with_unicode_space(tmp_path):
    vecs = np.ones((2, 3), dtype=F32)
    save_word2vec(tmp_path / "v.txt", ["a\u00a0b", "c"], vecs)
    assert KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt")).index_to_key == ["a\u00a0b", "c"]
    assert load_word2vec(tmp_path / "v.txt", binary=False)[0] == ["a\u00a0b", "c"]


# ---------------------------------------------------------------- atomic writes
@pytest.mark.parametrize("binary", [False, True])
def test_failed_write_leaves_existing_file_untouched(tmp_path, monkeypatch, binary):
    path = tmp_path / "v.txt"
    path.write_bytes(b"precious old vectors\n")

    def failing_fsync(fd):  # the disk fails once everything has been written
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    vecs = np.ones((5000, 4), dtype=F32)
    with pytest.raises(FastW2VError) as err:
        save_word2vec(path, [f"w{i}" for i in range(5000)], vecs, binary=binary)
    assert "Input/output error" in str(err.value) and str(path) in str(err.value)
    assert path.read_bytes() == b"precious old vectors\n"
    assert os.listdir(tmp_path) == ["v.txt"]  # no temporary file left behind


def test_write_replaces_existing_file_and_is_readable_by_others(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"old")
    save_word2vec(path, ["a"], np.zeros((1, 2), dtype=F32))
    assert path.read_bytes() == b"1 2\na 0 0\n"
    assert os.listdir(tmp_path) == ["v.txt"]
    assert os.stat(path).st_mode & 0o444 == 0o444


def test_write_errors(tmp_path):
    with pytest.raises(FastW2VError, match="does not exist"):
        save_word2vec(tmp_path / "missing" / "v.txt", ["a"], np.zeros((1, 2), dtype=F32))
    with pytest.raises(FastW2VError, match="is a directory"):
        save_word2vec(tmp_path, ["a"], np.zeros((1, 2), dtype=F32))
    with pytest.raises(ValueError, match="2 words but 1 vectors"):
        save_word2vec(tmp_path / "v.txt", ["a", "b"], np.zeros((1, 2), dtype=F32))
    assert not (tmp_path / "v.txt").exists()


# ---------------------------------------------------------------- reading errors
@pytest.mark.parametrize("content, binary, fragments", [
    (b"", False, ["header"]),
    (b"two 3\n", False, [":1:", "header"]),
    (b"2 3\na 1 2 3\n", False, ["1 of 2"]),
    (b"2 3\na 1 2 3\nb 1 2\n", False, [":3:", "3 values"]),
    (b"1 3\na 1 x 3\n", False, [":2:", "not a number"]),
    (b"2 2\na " + np.ones(2, F32).tobytes() + b"\nb " + b"\x00" * 5, True, ["vector 2 of 2"]),
])
def test_malformed_vector_files_are_clear_errors(tmp_path, content, binary, fragments):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(FastW2VError) as err:
        load_word2vec(path, binary=binary)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_vector_file_is_a_clear_error(tmp_path):
    with pytest.raises(FastW2VError, match="not found|No such file") as err:
        load_word2vec(tmp_path / "nope.txt")
    assert "nope.txt" in str(err.value)
