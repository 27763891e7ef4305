"""Corpus reading, tokenising, counting and the vocabulary (issue 2, part 1).

Expected values come from the specification, either written out by hand for
tiny corpora or computed by the naive reference model in conftest.py.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import random
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    decoded_sentences,
    ref_byte_counts,
    ref_encode,
    ref_sentences,
    ref_vocab,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastw2v import FastW2VError, Vocabulary
from fastw2v.cli import flag_of
from fastw2v.text.corpus import Corpus
from fastw2v.text.encode import vocab_and_corpus


def encode(source, *, min_count=1, max_vocab_size=0, max_sentence_length=10_000, vocab=None,
           block_bytes=None):
    corpus = Corpus(source) if block_bytes is None else Corpus(source, block_bytes=block_bytes)
    return vocab_and_corpus(corpus, min_count=min_count, max_vocab_size=max_vocab_size,
                            max_sentence_length=max_sentence_length, vocab=vocab)


def same_vocab(a: Vocabulary, b: Vocabulary) -> bool:
    return a.words == b.words and np.array_equal(a.counts, b.counts)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def check_against_reference(files: list[bytes], paths, *, min_count=1, max_vocab_size=0,
                            max_sentence_length=10_000, block_bytes=None):
    vocab, enc = encode(paths, min_count=min_count, max_vocab_size=max_vocab_size,
                        max_sentence_length=max_sentence_length, block_bytes=block_bytes)
    raw = ref_sentences(files, max_sentence_length)
    words, counts = ref_vocab(ref_byte_counts(raw, max_vocab_size), min_count)
    assert vocab.words == words
    assert vocab.counts.tolist() == counts
    assert vocab.counts.dtype == np.int64
    assert enc.tokens.dtype == np.int32 and enc.sentence_ends.dtype == np.int64
    assert decoded_sentences(vocab, enc) == ref_encode(raw, words)
    return vocab, enc


# ---------------------------------------------------------------- counting
def test_exact_counts_small_corpus(tmp_path):
    text = b"the cat sat on the mat\nthe dog sat\n\n  a  cat\tand\ta dog \n"
    vocab, enc = encode(write(tmp_path / "c.txt", text))
    expected = Counter(text.decode().split())  # 'the': 3, 'cat': 2, 'sat': 2, ...
    assert dict(zip(vocab.words, vocab.counts.tolist())) == dict(expected)
    assert vocab.total == sum(expected.values()) == enc.n_words
    # Blank lines give no sentence; every other line is one.
    assert decoded_sentences(vocab, enc) == [
        ["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat", "and", "a", "dog"]]
    assert enc.sentence_ends.tolist() == [6, 9, 14]


def test_min_count_drops_rare_words_and_empty_sentences(tmp_path):
    text = b"a a a b b c\nc d\nd e\na b\n"  # a:4 b:3 c:2 d:2 e:1
    vocab, enc = encode(write(tmp_path / "c.txt", text), min_count=3)
    assert vocab.words == ["a", "b"] and vocab.counts.tolist() == [4, 3]
    # 'c d' and 'd e' lose every word and disappear; nothing else moves.
    assert decoded_sentences(vocab, enc) == [["a", "a", "a", "b", "b"], ["a", "b"]]
    vocab2, _ = encode(write(tmp_path / "c.txt", text), min_count=2)
    assert vocab2.words == ["a", "b", "c", "d"]


def test_vocabulary_order_is_count_then_python_string_order(tmp_path):
    # First appearance order deliberately differs from the expected order.
    words = {"zebra": 3, "apple": 3, "Mango": 3, "émigré": 3, "b": 5, "a": 1, "_x": 3, "Z": 1}
    tokens = [w for w, c in words.items() for _ in range(c)]
    expected = sorted(words, key=lambda w: (-words[w], w))  # Python str order: 'Z' < '_x' < 'a' < 'é'
    assert expected[:2] == ["b", "Mango"]
    for seed in range(3):
        random.Random(seed).shuffle(tokens)
        text = "\n".join(" ".join(tokens[i:i + 4]) for i in range(0, len(tokens), 4)).encode()
        vocab, _ = encode(write(tmp_path / f"c{seed}.txt", text))
        assert vocab.words == expected
        assert vocab.counts.tolist() == [words[w] for w in expected]
        assert list(vocab.counts) == sorted(vocab.counts, reverse=True)
        assert vocab.index == {w: i for i, w in enumerate(expected)}


def test_from_counts_orders_and_filters():
    v = Vocabulary.from_counts({"b": 2, "a": 2, "c": 7, "d": 1}, min_count=2)
    assert v.words == ["c", "a", "b"] and v.counts.tolist() == [7, 2, 2]
    assert "d" not in v and "a" in v and len(v) == 3 and v.total == 11


def test_in_memory_sentences_match_file(tmp_path):
    sentences = [["x", "y", "z"], ["y", "y"], [], ["w", "x"]]
    text = "\n".join(" ".join(s) for s in sentences).encode()
    v1, e1 = encode(sentences)
    v2, e2 = encode(write(tmp_path / "c.txt", text))
    assert same_vocab(v1, v2)
    assert np.array_equal(e1.tokens, e2.tokens) and np.array_equal(e1.sentence_ends, e2.sentence_ends)


# ---------------------------------------------------------------- max_vocab_size
def test_max_vocab_size_pruning_worked_example(tmp_path):
    # Worked by hand (limit 5): after the first four lines the table holds
    # p:4 q:4 r:3 s:2 t:1. 'u' arrives -> prune(<=1) drops t, insert u (5 words).
    # 'v' arrives -> prune(<=2) drops s and u, insert v. 'w' arrives with 4 words
    # held -> no prune. 'x' arrives with 5 -> prune(<=3) drops r, v, w, insert x.
    # 'p' again: known. Final counts: p:5 q:4 x:1.
    text = b"p q r s\np q r s\np q r t\np q\nu\nv\nw\nx p\n"
    vocab, enc = encode(write(tmp_path / "c.txt", text), max_vocab_size=5)
    assert vocab.words == ["p", "q", "x"] and vocab.counts.tolist() == [5, 4, 1]
    # The corpus is then encoded against the final vocabulary (a second pass), so
    # every occurrence of a kept word is in it, including those read before a prune.
    assert decoded_sentences(vocab, enc) == [["p", "q"]] * 4 + [["x", "p"]]
    check_against_reference([text], tmp_path / "c.txt", max_vocab_size=5)


def test_max_vocab_size_large_enough_changes_nothing(tmp_path):
    text = b"a b c d\ne f a b\n" * 3
    path = write(tmp_path / "c.txt", text)
    v0, e0 = encode(path)
    v1, e1 = encode(path, max_vocab_size=len(v0))
    assert same_vocab(v0, v1) and np.array_equal(e0.tokens, e1.tokens)


def test_max_vocab_size_bounds_the_vocabulary(tmp_path):
    rng = np.random.default_rng(5)
    # Zipf-like stream over 2000 word types.
    ids = np.minimum(rng.zipf(1.3, size=20_000), 2000)
    text = "\n".join(" ".join(f"w{i}" for i in ids[k:k + 20]) for k in range(0, len(ids), 20)).encode()
    vocab, _ = check_against_reference([text], write(tmp_path / "c.txt", text), max_vocab_size=100)
    assert 0 < len(vocab) <= 100


# ---------------------------------------------------------------- save / load
def test_vocab_save_load_round_trip(tmp_path):
    v = Vocabulary.from_counts({"the": 10, "ünïcode": 4, "日本": 4, "x\ufffdy": 2, "a": 1})
    v.save(tmp_path / "v.txt")
    lines = (tmp_path / "v.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{w} {c}" for w, c in zip(v.words, v.counts.tolist())]
    assert same_vocab(Vocabulary.load(tmp_path / "v.txt"), v)
    assert Vocabulary.load(tmp_path / "v.txt", min_count=4).words == ["the", "ünïcode", "日本"]


def test_vocab_load_skips_word2vec_c_sentence_marker(tmp_path):
    # word2vec.c's -save-vocab writes its sentence marker first.
    (tmp_path / "v.txt").write_text("</s> 0\nthe 5\nof 3\n\nand 3\n")
    v = Vocabulary.load(tmp_path / "v.txt")
    assert v.words == ["the", "and", "of"] and v.counts.tolist() == [5, 3, 3]


@pytest.mark.parametrize("content, lineno", [
    ("a 3\nb\n", 2),  # no count
    ("a 3\nb 2 7\n", 2),  # extra field
    ("a x\n", 1),  # count not a number
    ("a 3\nb -2\n", 2),  # negative count
    ("a 1.5\n", 1),  # not an integer
])
def test_vocab_load_malformed_file_is_a_clear_error(tmp_path, content, lineno):
    path = tmp_path / "v.txt"
    path.write_text(content)
    with pytest.raises(FastW2VError) as err:
        Vocabulary.load(path)
    message = str(err.value)
    assert f"{path}:{lineno}" in message and "word count" in message and "\n" not in message


@pytest.mark.parametrize("content, message", [
    ("a 3\nb 2\na 1\n", ":3: the word 'a' is already on line 1"),  # a vocabulary lists each word once
    ("a 3\nb 1234567890123456\n", ":2: count 1234567890123456 is implausibly large"),
])
def test_vocab_load_refuses_repeated_words_and_huge_counts(tmp_path, content, message):
    (tmp_path / "v.txt").write_text(content)
    with pytest.raises(FastW2VError, match=message):
        Vocabulary.load(tmp_path / "v.txt")


def test_vocab_bytes_round_trip_and_refusals():
    v = Vocabulary.from_counts({"the": 10, "ünïcode": 4, "</s>": 2})
    back = Vocabulary.from_bytes(v.to_bytes())
    assert back.words == v.words and back.counts.tolist() == v.counts.tolist()
    for bad in (b"a 1\na 1\n", b"a 0\n", b"a -1\n", b"a\n", b"a 1", b" 1\n", b"a 1234567890123456\n"):
        with pytest.raises(ValueError):
            Vocabulary.from_bytes(bad)


@pytest.mark.parametrize("content", ["", "\n\n", "</s> 0\n"])
def test_vocab_load_without_words_is_an_error(tmp_path, content):
    (tmp_path / "v.txt").write_text(content)
    with pytest.raises(FastW2VError, match="no words"):
        Vocabulary.load(tmp_path / "v.txt")


def test_vocab_load_missing_file_is_an_error(tmp_path):
    with pytest.raises(FastW2VError, match="cannot read vocabulary file"):
        Vocabulary.load(tmp_path / "missing.txt")


def test_vocab_load_unicode_digit_count_is_a_clear_error(tmp_path):
    (tmp_path / "v.txt").write_text("a 3\nb \u00b2\n", encoding="utf-8")
    with pytest.raises(FastW2VError, match=":2:"):
        Vocabulary.load(tmp_path / "v.txt")


def test_vocab_round_trip_word_with_unicode_space(tmp_path):
    v, _ = encode(write(tmp_path / "c.txt", "a\u00a0b c\u3000d e\n".encode()))
    assert v.words == ["a\u00a0b", "c\u3000d", "e"]  # non-ASCII spaces do not split tokens
    v.save(tmp_path / "v.txt")
    assert same_vocab(Vocabulary.load(tmp_path / "v.txt"), v)


# ---------------------------------------------------------------- file formats
def test_plain_gz_bz2_xz_give_identical_results(tmp_path):
    rng = np.random.default_rng(1)
    lines = [" ".join(f"w{rng.integers(300)}" for _ in range(rng.integers(0, 30))) for _ in range(3000)]
    data = "\n".join(lines).encode()
    paths = [write(tmp_path / "c.txt", data), write(tmp_path / "c.txt.gz", gzip.compress(data)),
             write(tmp_path / "c.txt.bz2", bz2.compress(data)), write(tmp_path / "c.txt.xz", lzma.compress(data))]
    results = [encode(p, min_count=2, max_sentence_length=17) for p in paths]
    v0, e0 = check_against_reference([data], paths[0], min_count=2, max_sentence_length=17)
    for v, e in results:
        assert same_vocab(v, v0)
        assert np.array_equal(e.tokens, e0.tokens)
        assert np.array_equal(e.sentence_ends, e0.sentence_ends)


def test_multiple_files_counts_add_and_files_end_sentences(tmp_path):
    # No newline at the end of the first file: its last sentence must not run
    # into the second file, and 'ab' + 'cd' must stay two words.
    f1 = write(tmp_path / "one.txt", b"x y ab")
    f2 = write(tmp_path / "two.txt.gz", gzip.compress(b"cd y\nz x\n"))
    f3 = write(tmp_path / "three.txt", b"\n\ny")
    vocab, enc = check_against_reference([b"x y ab", b"cd y\nz x\n", b"\n\ny"], [f1, f2, f3])
    assert decoded_sentences(vocab, enc) == [["x", "y", "ab"], ["cd", "y"], ["z", "x"], ["y"]]
    assert dict(zip(vocab.words, vocab.counts.tolist())) == {"y": 3, "x": 2, "ab": 1, "cd": 1, "z": 1}
    # The same files in another order: same vocabulary, sentences reordered.
    v2, e2 = encode([f3, f1, f2])
    assert same_vocab(v2, vocab)
    assert decoded_sentences(v2, e2) == [["y"], ["x", "y", "ab"], ["cd", "y"], ["z", "x"]]


# ---------------------------------------------------------------- sentences
def test_sentences_cut_at_max_sentence_length_and_at_newlines(tmp_path):
    text = b"a b c d e f g\nh i j k l m\nn\n"
    vocab, enc = encode(write(tmp_path / "c.txt", text), max_sentence_length=3)
    assert decoded_sentences(vocab, enc) == [
        ["a", "b", "c"], ["d", "e", "f"], ["g"],  # 7 tokens -> 3 + 3 + 1
        ["h", "i", "j"], ["k", "l", "m"],  # exactly 6: no empty third sentence
        ["n"]]
    assert enc.sentence_ends.tolist() == [3, 6, 7, 10, 13, 14]


def test_sentence_cut_counts_raw_tokens_before_oov_removal(tmp_path):
    # 'X' is rare and dropped by min_count; cuts still count it: the raw line
    # 'a X b X c X d' is cut as [a X] [b X] [c X] [d] -> [a] [b] [c] [d],
    # not [a b] [c d] as counting after removal would give.
    text = b"a X1 b X2 c X3 d\n" + b"a b c d\n" * 2
    vocab, enc = encode(write(tmp_path / "c.txt", text), min_count=2, max_sentence_length=2)
    assert "X1" not in vocab
    assert decoded_sentences(vocab, enc)[:4] == [["a"], ["b"], ["c"], ["d"]]
    check_against_reference([text], tmp_path / "c.txt", min_count=2, max_sentence_length=2)


def test_ascii_whitespace_splits_tokens_but_only_newline_ends_sentences(tmp_path):
    text = b"a\tb\x0bc\x0cd\re  f\r\ng\n"  # tab, VT, FF, CR, spaces, CRLF
    vocab, enc = encode(write(tmp_path / "c.txt", text))
    assert decoded_sentences(vocab, enc) == [["a", "b", "c", "d", "e", "f"], ["g"]]


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    text = b"caf\xe9 ok\ncaf\xff ok\n\xc3\xa9t\xc3\xa9 \x80\x81 ok\n"
    vocab, enc = encode(write(tmp_path / "c.txt", text))
    # b'caf\xe9' and b'caf\xff' both decode to 'caf\ufffd': one word, counts added.
    assert dict(zip(vocab.words, vocab.counts.tolist())) == {
        "ok": 3, "caf\ufffd": 2, "été": 1, "\ufffd\ufffd": 1}
    assert decoded_sentences(vocab, enc) == [["caf\ufffd", "ok"], ["caf\ufffd", "ok"],
                                             ["été", "\ufffd\ufffd", "ok"]]


def test_invalid_utf8_corpus_trains(tmp_path):
    import fastw2v
    text = (b"caf\xe9 au lait \xff\xfe\n" * 20) + (b"the cat \x80 sat\n" * 20)
    model = fastw2v.train(str(write(tmp_path / "c.txt", text)), min_count=1, dim=8, epochs=1,
                          threads=1)
    assert "caf\ufffd" in model and np.all(np.isfinite(model.input_vectors))


@pytest.mark.parametrize("second_pass", ["read_vocab", "pruning"])
def test_invalid_utf8_words_survive_second_pass(tmp_path, second_pass):
    text = b"caf\xe9 x y\n" * 5 + b"a b c d e f g\n"
    path = write(tmp_path / "c.txt", text)
    vocab, enc = encode(path)
    assert (enc.tokens == vocab.index["caf\ufffd"]).sum() == 5
    if second_pass == "read_vocab":
        v2, e2 = encode(path, vocab=vocab)
    else:
        v2, e2 = encode(path, max_vocab_size=6)  # prunes while reading 'a b c ...'
        assert "caf\ufffd" in v2
    # Each of the 5 occurrences is in the corpus, as for every other word.
    assert (e2.tokens == v2.index["caf\ufffd"]).sum() == 5


def test_non_ascii_whitespace_does_not_split(tmp_path):
    text = "a\u00a0b c\u2003d\u3000e\n".encode()
    vocab, enc = encode(write(tmp_path / "c.txt", text))
    assert sorted(vocab.words) == sorted(["a\u00a0b", "c\u2003d\u3000e"])


def test_one_huge_line_across_many_blocks(tmp_path):
    # 300k tokens on one line, read in 4 KiB blocks: every token that straddles a
    # block boundary must be carried over whole.
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 5000, size=300_000)
    data = " ".join(f"t{i}" for i in ids).encode()
    path = write(tmp_path / "huge.txt", data)
    vocab, enc = check_against_reference([data], path, max_sentence_length=1000, block_bytes=4096)
    assert enc.n_words == 300_000 and enc.n_sentences == 300
    assert enc.sentence_ends.tolist() == list(range(1000, 300_001, 1000))


def test_bundled_text8_single_huge_line(text8_words, text8_counts):
    # The bundled sample is one 10 MB line; it spans several 4 MiB read blocks.
    vocab, enc = encode(Path(__file__).parents[1] / "data" / "text8_head10M.txt.gz", min_count=1)
    n = len(text8_words)
    assert enc.n_words == n == vocab.total
    assert dict(zip(vocab.words, vocab.counts.tolist())) == dict(text8_counts)
    assert enc.sentence_ends.tolist() == sorted(set(range(10_000, n, 10_000)) | {n})
    ids = vocab.index
    assert np.array_equal(enc.tokens[:1000], [ids[w] for w in text8_words[:1000]])
    assert np.array_equal(enc.tokens[-1000:], [ids[w] for w in text8_words[-1000:]])


def test_empty_corpus_and_min_count_errors(tmp_path):
    with pytest.raises(FastW2VError, match="empty"):
        encode(write(tmp_path / "e.txt", b" \n\t\n"))
    with pytest.raises(FastW2VError, match=r"^no word reaches min_count 3 \(") as err:
        encode(write(tmp_path / "r.txt", b"a b a c\n"), min_count=3)
    assert err.value.render(flag_of).startswith("no word reaches --min-count 3 (")  # the CLI's form


# ---------------------------------------------------------------- random corpora
_TOKENS = [b"a", b"b", b"c", b"dd", b"ee", b"the", b"x\x00y", "é".encode(), "日本".encode(),
           "a\u00a0b".encode(), b"\xff", b"\xfe", b"z\xe9", b"z\xff", b"\x80"]
_SEPARATORS = [b" ", b"  ", b"\t", b"\n", b"\n\n", b"\r\n", b"\x0b", b"\x0c", b"\r"]


@st.composite
def _corpus_files(draw, valid_utf8_only=False):
    tokens = [t for t in _TOKENS if not valid_utf8_only or _is_utf8(t)]
    n_files = draw(st.integers(1, 3))
    files = []
    for _ in range(n_files):
        parts = draw(st.lists(st.tuples(st.sampled_from(tokens), st.sampled_from(_SEPARATORS)),
                              max_size=60))
        data = b"".join(t + s for t, s in parts)
        if draw(st.booleans()) and data:
            data = data.rstrip(b" \t\n\r\x0b\x0c")  # no trailing separator
        files.append(data)
    return files


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _check_random(files, min_count, max_sentence_length, block_bytes, max_vocab_size=0):
    with tempfile.TemporaryDirectory() as d:
        paths = [write(Path(d) / f"f{i}.txt", data) for i, data in enumerate(files)]
        if not any(ref_sentences(files, max_sentence_length)):
            with pytest.raises(FastW2VError, match="empty"):
                encode(paths, block_bytes=block_bytes)
            return
        raw = ref_sentences(files, max_sentence_length)
        words, _ = ref_vocab(ref_byte_counts(raw, max_vocab_size), min_count)
        if not words:
            with pytest.raises(FastW2VError, match="reaches min_count"):
                encode(paths, min_count=min_count, max_vocab_size=max_vocab_size,
                       max_sentence_length=max_sentence_length, block_bytes=block_bytes)
            return
        check_against_reference(files, paths, min_count=min_count, max_vocab_size=max_vocab_size,
                                max_sentence_length=max_sentence_length, block_bytes=block_bytes)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=_corpus_files(), min_count=st.integers(1, 3), max_sentence_length=st.integers(1, 8),
       block_bytes=st.integers(1, 40))
def test_random_corpora_match_reference(files, min_count, max_sentence_length, block_bytes):
    _check_random(files, min_count, max_sentence_length, block_bytes)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=_corpus_files(valid_utf8_only=True), min_count=st.integers(1, 2),
       max_sentence_length=st.integers(1, 8), block_bytes=st.integers(1, 40),
       max_vocab_size=st.integers(1, 6))
def test_random_corpora_with_pruning_match_reference(files, min_count, max_sentence_length,
                                                     block_bytes, max_vocab_size):
    _check_random(files, min_count, max_sentence_length, block_bytes, max_vocab_size)


def test_has_whitespace_agrees_with_the_tokenizers_separators():
    from fastw2v.text import wordtable as wt

    for byte in range(256):
        data = b"x" * 1000 + bytes([byte]) + b"y" * 1000
        assert wt.has_whitespace(data) == bool(wt.WHITESPACE[byte]), byte
    assert not wt.has_whitespace(b"")
    assert not wt.has_whitespace("caf\u00e9\u00a0\u2003na\u00efve".encode())  # no-break / em spaces
