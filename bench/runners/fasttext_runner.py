"""Train fastText (plain word2vec, or with subwords) and write the vectors (.vec text format).

Usage: python fasttext_runner.py CORPUS OUTPUT SETTINGS_JSON PHASES_JSON

Settings ``maxn`` 0 (or absent): ``minn=0, maxn=0, wordNgrams=1`` switch subwords
off (the binding then also sets ``bucket=0``, so no hashed n-gram rows are
allocated). ``maxn`` > 0: ``minn``, ``maxn`` and ``bucket`` as given, and each
word's vector is ``get_word_vector`` (the mean of its own row and its n-gram
rows), as the ``fasttext`` command line's ``.vec``. Always ``loss='ns'``; ``t`` is
the subsampling threshold. fastText's Python binding has no vector writer, so the
``.vec`` file (header ``count dim``, one ``word v1 ... vd`` line per word, 5
significant digits, as fastText's own writer prints them) is written here with
numpy; its time is part of the run and is also reported as ``save_s``.

A training error (fastText 0.9.3 raises "Encountered NaN." when the updates
diverge) is printed, recorded as ``error`` in PHASES_JSON, and exits with status 1.
"""

import io
import json
import sys
import time

T0 = time.perf_counter()


def write_vec(path, words, matrix):
    import numpy as np

    buf = io.StringIO()
    np.savetxt(buf, matrix, fmt="%.5g")
    rows = buf.getvalue().split("\n")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(f"{len(words)} {matrix.shape[1]}\n")
        f.write("".join(f"{w} {r}\n" for w, r in zip(words, rows)))


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    corpus, output, s, phases_path = argv[0], argv[1], json.loads(argv[2]), argv[3]
    import fasttext

    phases = {"import_s": time.perf_counter() - T0}
    subwords = s.get("maxn", 0) > 0
    ngrams = {"minn": s["minn"], "maxn": s["maxn"], "bucket": s["bucket"]} if subwords else {"minn": 0, "maxn": 0}
    phases["ngrams"] = ngrams
    t = time.perf_counter()
    try:
        model = fasttext.train_unsupervised(
            input=corpus, model="skipgram" if s["model"] == "sg" else "cbow", dim=s["dim"],
            ws=s["window"], neg=s["negative"], loss="ns", t=s["sample"], minCount=s["min_count"],
            epoch=s["epochs"], lr=s["alpha"], thread=s["threads"], wordNgrams=1, verbose=0, **ngrams)
    except (RuntimeError, ValueError) as exc:  # e.g. RuntimeError("Encountered NaN."): a failed run, not a crash
        phases["train_s"] = time.perf_counter() - t
        phases["error"] = f"fastText training failed: {type(exc).__name__}: {exc}"
        with open(phases_path, "w") as f:
            json.dump(phases, f)
        print(phases["error"], file=sys.stderr)
        return 1
    phases["train_s"] = time.perf_counter() - t  # vocabulary and training: one call
    t = time.perf_counter()
    words = model.get_words(on_unicode_error="replace")
    matrix = model.get_input_matrix()
    if subwords or matrix.shape[0] != len(words):  # n-gram buckets: each word's composed vector
        import numpy as np
        matrix = np.vstack([model.get_word_vector(w) for w in words]) if words else matrix[:0]
    write_vec(output, words, matrix)
    phases["save_s"] = time.perf_counter() - t
    phases["total_in_process_s"] = time.perf_counter() - T0
    phases["vocab_size"] = len(words)
    with open(phases_path, "w") as f:
        json.dump(phases, f)
    print(f"fastText: {len(words)} vectors written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
