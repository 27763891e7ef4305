"""The benchmark harness (bench/): end to end on a tiny corpus, plus its parts."""

from __future__ import annotations

import gzip
import json
import os
import signal
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
    # Killed at the timeout (SIGKILL to its process group), so it never gets to print
    slow = run_measured([sys.executable, "-c", "import time; time.sleep(30); print('finished')"],
                        tmp_path / "slow.log", timeout=1)
    assert slow.timed_out and not slow.ok and slow.returncode == -signal.SIGKILL
    assert "finished" not in (tmp_path / "slow.log").read_text()
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


# ----------------------------------------------------------------------------- subwords (issue 17)

def test_subword_settings_come_from_train_options():
    from fastw2v.training.options import TrainOptions

    d, s = TrainOptions(), bench_tools.Settings()
    assert (s.minn, s.maxn, s.bucket) == (d.minn, d.maxn, d.bucket)
    assert not s.subwords  # maxn 0: plain word2vec unless asked
    assert bench_tools.Settings(maxn=6).subwords
    assert bench_tools.FASTTEXT_SUBWORDS == {"minn": 3, "maxn": 6, "bucket": 2_000_000}
    for bad in ({"minn": 7, "maxn": 6}, {"minn": 0, "maxn": 6}, {"maxn": 6, "bucket": 0}, {"maxn": -1}):
        with pytest.raises(ValueError):
            bench_tools.Settings(**bad).resolved()


def _command_lines(settings):
    tools = bench_tools.make_tools(["fastw2v", "fasttext", "gensim-fasttext", "gensim", "word2vec-c"],
                                   word2vec_c="/bin/true")
    return {t.name: t.command("C.txt", "OUT.txt", settings, "PH.json") for t in tools}, tools


def test_subword_command_lines():
    s = bench_tools.Settings(maxn=6, minn=3, bucket=200_000, threads=2).resolved()
    cmds, tools = _command_lines(s)
    fw = cmds["fastw2v"]
    assert fw[fw.index("--minn"):fw.index("--minn") + 6] == ["--minn", "3", "--maxn", "6", "--bucket", "200000"]
    for flag, value in (("--model", "sg"), ("--dim", "100"), ("--window", "5"), ("--negative", "5"),
                        ("--sample", "0.001"), ("--min-count", "5"), ("--epochs", "5"),
                        ("--threads", "2"), ("--seed", "1"), ("--alpha", "0.025"), ("-o", "OUT.txt")):
        assert fw[fw.index(flag) + 1] == value
    ft, gf = cmds["fasttext"], cmds["gensim-fasttext"]
    assert ft[1].endswith("fasttext_runner.py") and ft[2:4] == ["C.txt", "OUT.txt"]
    assert gf[1].endswith("gensim_runner.py") and gf[2:4] == ["--mode", "fasttext"]
    for settings_json in (json.loads(ft[4]), json.loads(gf[6])):
        assert {k: settings_json[k] for k in ("minn", "maxn", "bucket")} == {"minn": 3, "maxn": 6, "bucket": 200_000}
        assert settings_json["threads"] == 2 and settings_json["alpha"] == 0.025
    by_name = {t.name: t for t in tools}
    assert "--minn 3 --maxn 6 --bucket 200000" in by_name["fastw2v"].describe(s)
    assert "minn=3 maxn=6 bucket=200000" in by_name["fasttext"].describe(s)
    assert "min_n=3 max_n=6 bucket=200000" in by_name["gensim-fasttext"].describe(s)
    assert "no subwords" in by_name["gensim"].describe(s) and not by_name["gensim"].subwords
    assert "-minn" not in " ".join(cmds["word2vec-c"])  # nothing to pass: plain word2vec

    plain, _ = _command_lines(bench_tools.Settings(threads=2).resolved())
    assert "--minn" not in plain["fastw2v"] and "--bucket" not in plain["fastw2v"]  # works with any fastw2v
    assert json.loads(plain["fasttext"][4])["maxn"] == 0


def _capture_options(monkeypatch):
    from bench import harness

    seen = {}
    monkeypatch.setattr(harness, "run_benchmark", lambda opts: seen.setdefault("opts", opts))
    return seen


def test_subwords_option_defaults(tiny_corpus, tmp_path, monkeypatch):
    seen = _capture_options(monkeypatch)
    assert bench_main(["run", "--subwords", "--corpus", str(tiny_corpus)]) == 0
    opts = seen.pop("opts")
    assert opts.tools == ["fastw2v", "fasttext", "gensim-fasttext"]
    s = opts.settings
    assert (s.minn, s.maxn, s.bucket) == (3, 6, 2_000_000)
    assert opts.out.name == "tiny_sg_subwords"

    assert bench_main(["run", "--subwords", "--corpus", str(tiny_corpus), "--tools", "fasttext,gensim",
                       "--maxn", "5", "--bucket", "1000", "--model", "cbow"]) == 0
    opts = seen.pop("opts")
    assert opts.tools == ["fasttext", "gensim"]
    assert (opts.settings.minn, opts.settings.maxn, opts.settings.bucket) == (3, 5, 1000)
    assert opts.out.name == "tiny_cbow_subwords"

    assert bench_main(["run", "--corpus", str(tiny_corpus)]) == 0  # without: as before
    opts = seen.pop("opts")
    assert opts.tools == ["fastw2v", "gensim", "gensim-file", "fasttext", "word2vec-c"]
    assert opts.settings.maxn == 0 and opts.out.name == "tiny_sg"


def test_subword_options_are_checked(tiny_corpus, monkeypatch, capsys):
    seen = _capture_options(monkeypatch)
    assert bench_main(["run", "--corpus", str(tiny_corpus), "--minn", "2"]) == 2
    assert "--minn only with --subwords" in capsys.readouterr().err
    assert bench_main(["run", "--subwords", "--corpus", str(tiny_corpus), "--minn", "7"]) == 2
    assert "minn <= maxn" in capsys.readouterr().err
    assert "opts" not in seen


def test_gensim_fasttext_is_skipped_cleanly_without_gensim(tiny_corpus, tmp_path, monkeypatch):
    real = bench_tools._has_module
    monkeypatch.setattr(bench_tools, "_has_module",
                        lambda name: False if name.startswith("gensim") else real(name))
    (gf,) = bench_tools.make_tools(["gensim-fasttext"])
    assert "gensim is not installed" in gf.unavailable()
    out = tmp_path / "out"
    rc = bench_main(["run", "--subwords", "--corpus", str(tiny_corpus), "--out", str(out),
                     "--tools", "gensim-fasttext", "--no-eval", "--repeat", "1", "--min-count", "2"])
    assert rc == 0
    res = json.loads((out / "results.json").read_text())
    assert "gensim is not installed" in res["skipped"]["gensim-fasttext"]
    assert res["subwords"]["minn"] == 3 and res["subwords"]["maxn"] == 6
    md = (out / "results.md").read_text()
    assert "| gensim-fasttext | skipped |" in md and md.startswith("# fastw2v subword benchmark")


def _load_runner(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_bench_{name}", bench_tools.RUNNERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fasttext_runner_reports_a_training_error(tmp_path, monkeypatch, capsys):
    import types

    def diverge(**kwargs):
        raise RuntimeError("Encountered NaN.")
    monkeypatch.setitem(sys.modules, "fasttext", types.SimpleNamespace(train_unsupervised=diverge))
    runner = _load_runner("fasttext_runner")
    s = bench_tools.Settings(maxn=6, minn=3, bucket=1000).resolved()
    phases = tmp_path / "ph.json"
    assert runner.main(["C.txt", str(tmp_path / "v.txt"), s.to_json(), str(phases)]) == 1
    assert "Encountered NaN." in capsys.readouterr().err
    assert json.loads(phases.read_text())["error"] == "fastText training failed: RuntimeError: Encountered NaN."


def test_failed_run_carries_the_runners_error(tiny_corpus, tmp_path):
    from bench.harness import BenchOptions, Session

    class Failing(bench_tools.Tool):
        name = "failing"

        def command(self, corpus, output, s, phases):
            code = f"import json, sys; json.dump({{'error': 'Encountered NaN.'}}, open({phases!r}, 'w')); sys.exit(1)"
            return [sys.executable, "-c", code]
    sess = Session(BenchOptions(corpus=str(tiny_corpus), out=tmp_path, tools=[],
                                settings=bench_tools.Settings(min_count=2), evaluate=False))
    rec = sess.run_tool(Failing(), sess.settings, "r1")
    assert not rec["ok"] and rec["error"] == "exit status 1: Encountered NaN."


def test_subword_runners_write_every_words_vector(tiny_corpus, tmp_path):
    """fastText's .vec: get_word_vector of every word; gensim FastText: its vocabulary words."""
    pytest.importorskip("fasttext")
    pytest.importorskip("gensim")
    from gensim.models import KeyedVectors

    # dim 32, one thread: fastText 0.9.3 raises "Encountered NaN." on this tiny corpus with dim 8
    s = bench_tools.Settings(maxn=5, minn=3, bucket=1000, dim=32, min_count=2, epochs=1, threads=1).resolved()
    for tool in bench_tools.make_tools(["fasttext", "gensim-fasttext"]):
        vec, phases = tmp_path / f"{tool.name}.txt", tmp_path / f"{tool.name}.json"
        m = run_measured(tool.command(str(tiny_corpus), str(vec), s, str(phases)), tmp_path / f"{tool.name}.log")
        log = (tmp_path / f"{tool.name}.log").read_text()
        if not m.ok and "Encountered NaN." in log:
            pytest.skip("fastText diverged on the tiny corpus (its known NaN)")
        assert m.ok, log
        kv = KeyedVectors.load_word2vec_format(str(vec))
        assert kv.vector_size == 32 and len(kv) == json.loads(phases.read_text())["vocab_size"]
        in_vocab = {w for w, c in Counter(tiny_corpus.read_text().split()).items() if c >= 2}
        assert in_vocab <= set(kv.index_to_key)
        if tool.name == "fasttext":
            assert json.loads(phases.read_text())["ngrams"] == {"minn": 3, "maxn": 5, "bucket": 1000}
            assert set(kv.index_to_key) == in_vocab | {"</s>"}
        else:
            assert set(kv.index_to_key) == in_vocab


def test_subword_report_shows_the_syntactic_sections():
    from bench.report import _sections_table

    def tool(acc):
        sections = {"capital-common-countries": {"accuracy": 50.0, "correct": 1, "answered": 2},
                    "gram2-opposite": {"accuracy": acc, "correct": 1, "answered": 1_200},
                    "gram8-plural": {"accuracy": 25.0, "correct": 1, "answered": 4}}
        return {"quality": {"analogy": {"syntactic": acc, "sections": sections}}}
    result = {"subwords": {"minn": 3, "maxn": 6, "bucket": 10}, "order": ["fastw2v", "fasttext"],
              "tools": {"fastw2v": tool(12.5), "fasttext": tool(None)}}
    table = "\n".join(_sections_table(result))
    assert "| tool | syntactic % | opposite | plural |" in table
    assert "| fastw2v | 12.5 | 12.5 (1,200) | 25.0 (4) |" in table
    assert "| fasttext | - | - (1,200) | 25.0 (4) |" in table
    assert _sections_table({**result, "subwords": None}) == []


def test_analogy_scores_keep_every_section():
    pytest.importorskip("gensim")
    import numpy as np
    from gensim.models import KeyedVectors

    from bench.evaluate import ANALOGIES, score_analogies

    words = {}  # the words of every 40th question: some of each section
    for i, line in enumerate(ANALOGIES.read_text().splitlines()):
        if not line.startswith(":") and i % 40 == 0:
            words.update(dict.fromkeys(line.lower().split()))
    kv = KeyedVectors(vector_size=4)
    kv.add_vectors(list(words), np.random.default_rng(0).normal(size=(len(words), 4)).astype(np.float32))
    a = score_analogies(kv)
    secs = a["sections"]
    assert len(secs) == 14 and sum(k.startswith("gram") for k in secs) == 9
    assert sum(v["answered"] for v in secs.values()) == a["answered"] > 0
    gram = [v for k, v in secs.items() if k.startswith("gram")]
    assert a["syntactic"] == round(100 * sum(v["correct"] for v in gram) / sum(v["answered"] for v in gram), 2)


def test_subwords_run_end_to_end(tiny_corpus, tmp_path):
    pytest.importorskip("gensim")
    out = tmp_path / "out"
    rc = bench_main(["run", "--subwords", "--corpus", str(tiny_corpus), "--out", str(out),
                     "--tools", "gensim-fasttext,gensim", "--maxn", "5", "--bucket", "1000", "--dim", "32",
                     "--epochs", "1", "--repeat", "1", "--threads", "1", "--min-count", "2"])
    assert rc == 0
    res = json.loads((out / "results.json").read_text())
    assert res["subwords"] == {"minn": 3, "maxn": 5, "bucket": 1000, "tools": ["gensim-fasttext"],
                               "plain_tools": ["gensim"]}
    assert res["settings"]["maxn"] == 5 and res["tools"]["gensim-fasttext"]["subwords"]
    assert not res["tools"]["gensim"]["subwords"]
    assert "--mode" in res["tools"]["gensim-fasttext"]["command"]
    q = res["tools"]["gensim-fasttext"]["quality"]["analogy"]
    assert q["syntactic"] is not None and "gram8-plural" in q["sections"]
    md = (out / "results.md").read_text()
    assert "- Subwords: every word plus its character n-grams of 3 to 5 characters" in md
    assert "Without subwords (plain word2vec, for reference): gensim." in md
    assert "| tool | syntactic % | adjective-to-adverb |" in md and "| gensim-fasttext | " in md


# --- bench/zipf_corpus.py: the synthetic Zipf–Mandelbrot corpus ---------------------------------

import numpy as np  # noqa: E402

from bench import zipf_corpus as zc  # noqa: E402

ZIPF_TYPES, ZIPF_TOKENS = 2000, 50000


def _zipf(tmp_path, name="z.txt", **kw):
    out = tmp_path / name
    meta = zc.generate(out, kw.pop("types", ZIPF_TYPES), kw.pop("tokens", ZIPF_TOKENS), **kw)
    return out, meta


def test_zipf_same_seed_same_bytes(tmp_path):
    a, _ = _zipf(tmp_path, "a.txt", seed=3, line_words=37)
    b, _ = _zipf(tmp_path, "b.txt", seed=3, line_words=37, block_tokens=777)  # blocks end mid-line
    c, _ = _zipf(tmp_path, "c.txt", seed=4, line_words=37)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    # the token stream depends on the seed only, not on the line length
    d, _ = _zipf(tmp_path, "d.txt", seed=3, line_words=1000)
    assert a.read_text().split() == d.read_text().split()
    g1, _ = _zipf(tmp_path, "g1.txt.gz", seed=3, line_words=37)
    g2, _ = _zipf(tmp_path, "g2.txt.gz", seed=3, line_words=37, block_tokens=1000)
    assert g1.read_bytes() == g2.read_bytes()  # no name and no time stamp in the gzip header
    assert gzip.decompress(g1.read_bytes()) == a.read_bytes()


def test_zipf_lines_and_format(tmp_path):
    out, meta = _zipf(tmp_path, line_words=37)
    data = out.read_bytes()
    assert data.endswith(b"\n") and b"  " not in data and b"\n\n" not in data
    lines = data.decode("ascii").split("\n")[:-1]
    assert [len(line.split(" ")) for line in lines] == [37] * (ZIPF_TOKENS // 37) + [ZIPF_TOKENS % 37]
    assert meta["lines"] == len(lines) and meta["text_bytes"] == len(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["z.txt", "z.txt.json"]  # no temp files left


def test_zipf_words_are_unique_per_rank():
    assert [zc.spell(r) for r in (1, 2, 5, 6, 100, 101, 10100, 10101)] == [
        "ba", "be", "bu", "ca", "zu", "baba", "zuzu", "bababa"]
    assert len(zc.spell(1010100)) == 6 and len(zc.spell(1010101)) == 8
    n = 2_100_000
    spelled = zc.spell_bytes(np.arange(1, n + 1)).tolist()
    assert len(set(spelled)) == n
    lengths = np.fromiter(map(len, spelled), dtype=np.int64, count=n)
    assert lengths.min() == 2 and lengths.max() == 8 and (np.diff(lengths) >= 0).all()
    sample = spelled[:: 997] + spelled[-1000:]
    assert all(w.isalpha() and w.islower() and w.isascii() for w in (s.decode("ascii") for s in sample))
    assert zc.words(5) == ["ba", "be", "bi", "bo", "bu"]


def test_zipf_sampler_is_exact_inversion():
    cdf = zc.cumulative(5000)
    assert cdf[-1] == 1.0 and (np.diff(cdf) > 0).all()
    sampler = zc.InverseSampler(cdf)
    grid = np.arange(1 << sampler.bits, dtype=np.float64) / (1 << sampler.bits)
    u = np.concatenate([np.random.default_rng(0).random(200_000), cdf[:-1], np.nextafter(cdf[:-1], 0),
                        grid[:: 7], [0.0, np.nextafter(1.0, 0.0)]])
    assert np.array_equal(sampler(u), np.searchsorted(cdf, u, side="right"))


def test_zipf_rank_frequencies_match_the_law(tmp_path):
    out, _ = _zipf(tmp_path, seed=1)
    counts = Counter(out.read_text().split())
    p = zc.probabilities(ZIPF_TYPES)
    assert p.sum() == pytest.approx(1.0) and (np.diff(p) < 0).all()
    assert p[1] / p[0] == pytest.approx(((1 + 2.7) / (2 + 2.7)) ** 1.07)
    top = 50
    observed = np.array([counts[w] for w in zc.words(top)], dtype=np.float64)
    expected = ZIPF_TOKENS * p[:top]
    # each of the 10 commonest ranks within 6 binomial standard deviations (false alarm < 1e-8)
    sd = np.sqrt(expected * (1 - p[:top]))
    assert (np.abs(observed - expected)[:10] <= 6 * sd[:10]).all()
    # chi-square over the 50 commonest ranks and the rest (51 cells, 50 degrees of freedom):
    # mean 50, sd 10; P(chi2 > 130) is about 1e-8. A wrong exponent (1.0 or 1.1) or shift (2.0)
    # gives 170 to 700 here.
    rest_o, rest_e = ZIPF_TOKENS - observed.sum(), ZIPF_TOKENS - expected.sum()
    chi2 = ((observed - expected) ** 2 / expected).sum() + (rest_o - rest_e) ** 2 / rest_e
    assert chi2 < 130


def test_zipf_sidecar(tmp_path):
    out, meta = _zipf(tmp_path, seed=2, exponent=1.1, q=2.0, line_words=50)
    side = json.loads((tmp_path / "z.txt.json").read_text())
    assert side == meta
    for key, value in {"types": ZIPF_TYPES, "tokens": ZIPF_TOKENS, "exponent": 1.1, "q": 2.0,
                       "seed": 2, "line_words": 50, "compress": "none", "lines": 1000}.items():
        assert side[key] == value, key
    counts = Counter(out.read_text().split())
    assert side["distinct_types"] == len(counts)
    assert side["types_min_count_5"] == sum(c >= 5 for c in counts.values())
    assert side["tokens_min_count_5"] == sum(c for c in counts.values() if c >= 5)
    assert 0 < side["types_min_count_5"] < side["distinct_types"] <= ZIPF_TYPES
    assert set(counts) <= set(zc.words(ZIPF_TYPES))
    # the benchmark's own corpus preparation counts the same
    prepared = prepare_corpus(out, tmp_path / "prep", log=lambda *a: None)
    assert prepared.tokens == ZIPF_TOKENS and prepared.distinct == side["distinct_types"]
    assert prepared.vocab_size(5) == side["types_min_count_5"]
    assert prepared.in_vocab_words(5) == side["tokens_min_count_5"]
    _, gz_meta = _zipf(tmp_path, "z.txt.gz", seed=2, exponent=1.1, q=2.0, line_words=50)
    assert gz_meta["compress"] == "gz" and (tmp_path / "z.txt.gz.json").is_file()
    assert {k: v for k, v in gz_meta.items() if k not in ("compress", "file")} == \
        {k: v for k, v in meta.items() if k not in ("compress", "file")}


def test_zipf_refuses_to_overwrite(tmp_path):
    import subprocess

    out, _ = _zipf(tmp_path, tokens=1000)
    before = out.read_bytes()
    cmd = [sys.executable, "-m", "bench.zipf_corpus", "--types", "100", "--tokens", "500",
           "--out", str(out)]
    run = subprocess.run(cmd, check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("zipf_corpus: error: ")
    assert "exists" in run.stderr and "--force" in run.stderr
    assert out.read_bytes() == before
    run = subprocess.run(cmd + ["--force"], check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert len(out.read_text().split()) == 500 and json.loads((tmp_path / "z.txt.json").read_text())["types"] == 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["z.txt", "z.txt.json"]


@pytest.mark.parametrize("args, message", [
    (["--types", "0"], "--types must be"),
    (["--tokens", "0"], "--tokens must be"),
    (["--types", "abc"], "invalid integer value"),
    (["--exponent", "-1"], "--exponent must be"),
    (["--q", "-1"], "--q must be"),
    (["--line-words", "0"], "--line-words must be"),
    (["--seed", "-3"], "--seed must be"),
    (["--compress", "gz"], "needs a file name ending in .gz"),
    (["--compress", "bz2"], "invalid choice"),
    (["--out", "/nonexistent-dir/x.txt"], "directory does not exist"),
    (["--bogus"], "unrecognized arguments"),
])
def test_zipf_bad_arguments(tmp_path, capsys, args, message):
    base = {"--types": "100", "--tokens": "500", "--out": str(tmp_path / "x.txt")}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = [x for kv in base.items() for x in kv] + (args if len(args) % 2 else [])
    assert zc.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("zipf_corpus: error: ") and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_zipf_failure_leaves_nothing(tmp_path, monkeypatch):
    def boom(self, u):
        raise RuntimeError("boom")
    monkeypatch.setattr(zc.InverseSampler, "__call__", boom)
    with pytest.raises(RuntimeError, match="boom"):
        _zipf(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_vocab_sweep_end_to_end(tmp_path):
    """Two Zipf corpora, one dimension: a point per corpus, from each point's own bench report."""
    from bench import vocab_sweep

    out = tmp_path / "sweep"
    assert vocab_sweep.run(["--types", "300,3000", "--tokens", "6000", "--dims", "8", "--tools",
                            "fastw2v,gensim-file", "--threads", "1", "--out", str(out)]) == 0
    result = json.loads((out / "results.json").read_text())
    points = result["points"]
    assert [(p["types"], p["dim"]) for p in points] == [(300, 8), (3000, 8)]
    for p in points:
        own = json.loads((out / f"t{p['types']}_d8" / "results.json").read_text())
        assert p["vocab_size"] == own["corpus"]["vocab_size"] <= p["types"]
        assert p["model_mb"] == round(2 * p["vocab_size"] * 8 * 4 / 1e6, 1)
        for tool in ("fastw2v", "gensim-file"):
            assert p["tools"][tool]["words_per_s"] == own["tools"][tool]["words_per_s"] > 0
    assert points[0]["vocab_size"] < points[1]["vocab_size"]  # min-count 1: every word seen counts
    rows = [line for line in (out / "results.md").read_text().splitlines() if line.startswith("| 8 |")]
    assert len(rows) == 2
    ratio = points[1]["tools"]["gensim-file"]["ratio_to_fastw2v"]
    assert rows[1].endswith(f"| {ratio:.2f} |")
    assert (out / "words_per_s.png").read_bytes().startswith(PNG_SIGNATURE)


def test_time_budget_end_to_end(tiny_corpus, tmp_path):
    """Two epoch counts, two tools: each tool's time and scores per epoch count come from
    that count's own bench report, and the budget table picks runs that fit the time."""
    pytest.importorskip("gensim")
    from bench import time_budget

    out = tmp_path / "budget"
    assert time_budget.run(["--corpus", str(tiny_corpus), "--epochs", "2,1", "--tools", "fastw2v,gensim-file",
                            "--dim", "12", "--min-count", "2", "--threads", "1", "--out", str(out)]) == 0
    result = json.loads((out / "results.json").read_text())
    points = result["points"]
    assert [p["epochs"] for p in points] == [1, 2]
    for p in points:
        own = json.loads((out / f"e{p['epochs']}" / "results.json").read_text())
        assert own["settings"]["epochs"] == p["epochs"] and own["settings"]["dim"] == 12
        for tool in ("fastw2v", "gensim-file"):
            mine, theirs = p["tools"][tool], own["tools"][tool]
            assert mine["median_wall_s"] == theirs["median_wall_s"] > 0
            assert mine["analogy"] == theirs["quality"]["analogy"]["total"]
            assert mine["ws353"] == theirs["quality"]["ws353"]["spearman"]
            assert mine["simlex"] == theirs["quality"]["simlex"]["spearman"]
    md = (out / "results.md").read_text()
    # the corpus is prepared once, for the first epoch count, and reused by the second
    assert (out / "e1" / "corpus").resolve() == (out / "e2" / "corpus").resolve() == (out / "corpus").resolve()
    assert json.loads((out / "e2" / "results.json").read_text())["corpus"]["prepare_s"] == 0.0
    lines = md.splitlines()
    for tool in ("fastw2v", "gensim-file"):
        assert sum(line.startswith(f"| {tool} | ") for line in lines) == 2
    for tool in ("fastw2v", "gensim-file"):  # a budget row per run: each tool's best run that fits its time
        for c in time_budget.curve(points, tool):
            row = next(line for line in lines
                       if line.startswith(f"| {c['median_wall_s']:.1f} s ({tool}, {c['epochs']} ep.) |"))
            cells = [cell.strip() for cell in row.strip("|").split("|")[1:]]
            for who, cell in zip(("fastw2v", "gensim-file"), cells):
                best = time_budget.best_within(points, who, c["median_wall_s"], "analogy")
                assert cell == ("-" if best is None else f"{best['analogy']:.1f} ({best['epochs']} ep.)")
                assert who != tool or cell != "-"  # a tool's own run fits its own time
    assert (out / "quality_per_second.png").read_bytes().startswith(PNG_SIGNATURE)


def test_best_within_takes_the_best_run_that_fits():
    from bench.time_budget import best_within

    points = [{"epochs": e, "tools": {"t": {"median_wall_s": w, "analogy": a}}}
              for e, w, a in ((1, 10.0, 30.0), (2, 20.0, 40.0), (3, 30.0, 35.0))]
    assert best_within(points, "t", 5.0, "analogy") is None
    assert best_within(points, "t", 10.0, "analogy")["epochs"] == 1
    assert best_within(points, "t", 29.9, "analogy")["epochs"] == 2
    assert best_within(points, "t", 100.0, "analogy")["epochs"] == 2  # more time, a lower score: not taken
    assert best_within(points, "other", 100.0, "analogy") is None
