"""The benchmark harness (bench/): end to end on a tiny corpus, plus its parts."""

from __future__ import annotations

import gzip
import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import tools as bench_tools  # noqa: E402
from bench.__main__ import main as bench_main  # noqa: E402
from bench.corpus import prepare_corpus  # noqa: E402
from bench.measure import run_measured  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    """About 6,000 words: sentences from the head of text8, repeated three times."""
    with gzip.open(REPO / "data" / "text8_head10M.txt.gz", "rt") as f:
        words = f.read(14000).split()[:2000]
    sentences = [" ".join(words[i:i + 25]) for i in range(0, len(words), 25)]
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    path.write_text("\n".join(sentences * 3) + "\n")
    return path


def _in_vocab(path: Path, min_count: int) -> int:
    counts = Counter(path.read_text().split())
    return sum(c for c in counts.values() if c >= min_count)


def test_run_end_to_end(tiny_corpus, tmp_path, capsys):
    pytest.importorskip("gensim")
    out = tmp_path / "out"
    rc = bench_main(["run", "--corpus", str(tiny_corpus), "--out", str(out),
                     "--tools", "fastw2v,gensim,fasttext,word2vec-c",
                     "--word2vec-c", str(tmp_path / "nonexistent" / "word2vec"),
                     "--epochs", "1", "--repeat", "1", "--threads", "2", "--min-count", "2",
                     "--numba-cache", "default"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "skipping word2vec-c: --word2vec-c" in err and "no such file" in err

    md = (out / "results.md").read_text()
    for row in ("| fastw2v | ", "| gensim | "):
        assert row in md
    assert "| word2vec-c | skipped |" in md
    assert "word2vec-c skipped: --word2vec-c" in md
    assert "| tool | wall s | words/s | time ratio to fastw2v | peak RSS MB | analogy % |" in md

    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == 1 and res["kind"] == "run"
    assert res["settings"]["epochs"] == 1 and res["settings"]["threads"] == 2
    assert res["settings"]["alpha"] == 0.025 and res["settings"]["min_alpha"] == pytest.approx(2.5e-6)
    words = _in_vocab(tiny_corpus, 2)
    assert res["corpus"]["in_vocab_words"] == words
    assert res["corpus"]["tokens"] == len(tiny_corpus.read_text().split())
    assert "words/s" in res["throughput_definition"]
    for key in ("cpu_model", "cpu_count", "memory_gib", "python", "packages"):
        assert key in res["machine"]
    assert res["machine"]["packages"]["gensim"]
    assert "word2vec-c" in res["skipped"] and "no such file" in res["skipped"]["word2vec-c"]
    assert res["warmup"]["ok"]
    fw, gs = res["tools"]["fastw2v"], res["tools"]["gensim"]
    assert fw["ok_runs"] == 1 and gs["ok_runs"] == 1
    assert fw["ratio_to_fastw2v"] == 1.0
    assert gs["ratio_to_fastw2v"] == pytest.approx(gs["median_wall_s"] / fw["median_wall_s"], rel=1e-2)
    for t in (fw, gs):
        assert t["median_wall_s"] > 0 and t["peak_rss_mb"] > 10
        assert t["words_per_s"] == round(words / t["median_wall_s"])
        q = t["quality"]
        assert set(q["analogy"]) >= {"total", "semantic", "syntactic", "answered", "questions"}
        assert q["analogy"]["questions"] == 19544
        assert "spearman" in q["ws353"] and "spearman" in q["simlex"]
        assert q["vocab_size"] > 100
    assert gs["runs"][0]["phases"]["train_s"] >= 0
    if "fasttext" in res["tools"]:  # installed: it ran; otherwise it was skipped
        assert res["tools"]["fasttext"]["ok_runs"] == 1
    else:
        assert "not installed" in res["skipped"]["fasttext"]

    png = out / "speed_quality.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_scaling_end_to_end(tiny_corpus, tmp_path):
    out = tmp_path / "scaling"
    rc = bench_main(["scaling", "--corpus", str(tiny_corpus), "--out", str(out), "--tools", "fastw2v",
                     "--threads", "1,2", "--min-count", "2", "--no-warmup", "--numba-cache", "default"])
    assert rc == 0
    res = json.loads((out / "scaling.json").read_text())
    assert res["threads"] == [1, 2]
    per = res["tools"]["fastw2v"]["by_threads"]
    assert per["1"]["speedup"] == 1.0 and per["2"]["words_per_s"] > 0
    assert "| fastw2v |" in (out / "scaling.md").read_text()
    assert (out / "scaling.png").read_bytes()[:8] == PNG_SIGNATURE


def test_missing_python_tool_is_skipped_with_a_message(monkeypatch):
    real = bench_tools._has_module
    monkeypatch.setattr(bench_tools, "_has_module", lambda name: False if name == "fasttext" else real(name))
    ft, w2v = bench_tools.make_tools(["fasttext", "word2vec-c"], word2vec_c=None)
    assert "fastText is not installed" in ft.unavailable()
    assert "no --word2vec-c PATH given" in w2v.unavailable()


def test_unknown_tool_is_a_clean_error(tiny_corpus, tmp_path, capsys):
    rc = bench_main(["run", "--corpus", str(tiny_corpus), "--out", str(tmp_path), "--tools", "fastw2v,word3vec"])
    assert rc == 2
    assert "unknown tool 'word3vec'" in capsys.readouterr().err


def test_prepare_corpus_rewraps_and_counts(tmp_path):
    long_line = " ".join(f"w{i % 7}" for i in range(2500))
    src = tmp_path / "c.txt.gz"
    with gzip.open(src, "wt") as f:
        f.write(long_line + "\n\n  a\tb  c \r\n" + "x" * 120 + " a\n")
    prep = prepare_corpus(src, tmp_path / "work", wrap=1000, log=lambda *_: None)
    lines = Path(prep.path).read_text().split("\n")
    assert [len(ln.split()) for ln in lines[:-1]] == [1000, 1000, 500, 3, 2]
    assert lines[3] == "a b c" and lines[-1] == ""
    assert prep.tokens == 2505 and prep.lines == 5 and prep.long_tokens == 1
    assert Path(prep.path).read_text().split() == (long_line + " a b c " + "x" * 120 + " a").split()
    assert prep.in_vocab_words(2) == 2500 + 2  # w0..w6 and "a"
    again = prepare_corpus(src, tmp_path / "work", wrap=1000, log=lambda *_: None)
    assert again.prepare_s == 0.0 and again.path == prep.path


def test_measure_reports_peak_memory_and_failure(tmp_path):
    m = run_measured([sys.executable, "-c", "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"],
                     tmp_path / "ok.log")
    assert m.ok and m.wall_s > 0 and m.max_rss_mb >= 150
    bad = run_measured([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"], tmp_path / "bad.log")
    assert not bad.ok and bad.returncode == 3
    assert "boom" in (tmp_path / "bad.log").read_text()
    slow = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "slow.log", timeout=1)
    assert slow.timed_out and not slow.ok and slow.wall_s < 20
    assert m.peak_anon_mb is None and m.peak_file_mb is None  # not sampled unless asked


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="samples /proc (Linux)")
def test_measure_samples_private_and_mapped_memory(tmp_path):
    # 150 MB of private memory, then 100 MB of a file mapped and read, each held 0.3 s
    data = tmp_path / "data.bin"
    data.write_bytes(b"\1" * (100 * 1024 * 1024))
    code = ("import mmap, time\n"
            "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.3)\n"
            "del b\n"
            f"f = open({str(data)!r}, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)\n"
            "s = sum(m[i] for i in range(0, len(m), 4096)); time.sleep(0.3)\n")
    m = run_measured([sys.executable, "-c", code], tmp_path / "m.log", sample_memory=True)
    assert m.ok, (tmp_path / "m.log").read_text()
    assert 150 <= m.peak_anon_mb < m.max_rss_mb
    assert 100 <= m.peak_file_mb < m.max_rss_mb


def test_memory_report_and_cache_status(tmp_path):
    """`bench memory`'s bookkeeping, without training (the command itself takes minutes)."""
    from bench import memory

    assert memory.padded_dim(100) == 112 and memory.padded_dim(16) == 16
    assert memory.model_mb(1024, 100) == 2 * 1024 * 112 * 4 / 2**20

    cache, corpus = tmp_path / "cache", tmp_path / "c.txt"
    corpus.write_text("a b\n")
    cache.mkdir()
    before = memory._cache_entries(cache)
    (cache / "fastw2v-k.tokens").write_bytes(b"\0" * 40)
    (cache / "fastw2v-k.ends").write_bytes(b"\0" * 16)
    (cache / "fastw2v-k.json").write_text(json.dumps(
        {"tokens": 10, "sentences": 2, "files": [{"path": str(corpus.resolve())}]}))
    built = memory._cache_status(before, memory._cache_entries(cache), corpus)
    assert built["status"] == "built" and built["tokens"] == 10 and built["tokens_bytes"] == 40
    entries = memory._cache_entries(cache)
    assert memory._cache_status(entries, entries, corpus)["status"] == "reused"
    assert memory._cache_status({}, entries, tmp_path / "other.txt")["status"] == "missing"

    def run(tag, peak, words, mb, anon=None, file=None):
        return {"tag": tag, "run": tag, "ok": True, "in_vocab_words": words, "peak_rss_mb": peak,
                "peak_anon_mb": anon, "peak_file_mb": file, "wall_s": 1.0, "log": "x",
                "cache": None if mb is None else {"status": "built", "mb": mb}}
    gensim = {**run("gensim", 153.0, 19_000_000, None, 113.0, 41.0), "cache": None, "vocab_size": 43_479}
    result = {"settings": {"factor": 4, "dim": 100}, "model_mb": 37.2, "runs": [
        run("x1.build", 283.0, 19_000_000, 75.0), run("x1.reuse", 233.0, 19_000_000, 75.0, 131.0, 114.0),
        run("x4.build", 291.0, 76_000_000, 300.0), run("x4.reuse", 257.0, 76_000_000, 300.0),
        run("x4.nocache", 663.0, 76_000_000, None), gensim]}
    result["summary"] = memory.summarize(result)
    assert result["summary"] == {"cached_build_delta_mb": 8.0, "cached_reuse_delta_mb": 24.0,
                                 "nocache_minus_cached_mb": 406.0, "cache_growth_mb": 225.0,
                                 "reuse_minus_gensim_mb": 80.0, "reuse_minus_gensim_anon_mb": 18.0,
                                 "reuse_minus_gensim_file_mb": 73.0}
    table = "\n".join(memory.table_lines(result))
    assert "| x1.reuse | 19.0M | 75 | 37.2 | 233 | 131 | 114 | 1.0 |" in table
    assert "| x4.reuse | 76.0M | 300 | 37.2 | 257 | - | - | 1.0 |" in table
    assert "| x4.nocache | 76.0M | - (in memory) | 37.2 | 663 | - | - | 1.0 |" in table
    assert "| gensim | 19.0M | - | 33.2 | 153 | 113 | 41 | 1.0 |" in table  # 2 x V x 100 x 4 bytes
    sentence = memory.summary_sentence(result)
    assert "by +24 MB when the cache is reused (233 -> 257 MB)" in sentence
    assert "by +8 MB when it is built" in sentence and "peaks at 663 MB" in sentence
    assert ("gensim on the 1x corpus peaks at 153 MB: fastw2v's 1x run (cache reused) is +80 MB "
            "against it, of which +18 MB in private memory (RssAnon) and +73 MB in mapped files") in sentence
