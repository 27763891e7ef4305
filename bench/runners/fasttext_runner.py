"""Train fastText as plain word2vec (no subwords) and write the vectors (.vec text format).

Usage: python fasttext_runner.py CORPUS OUTPUT SETTINGS_JSON PHASES_JSON

``minn=0, maxn=0, wordNgrams=1`` switch subwords off (the binding then also sets
``bucket=0``, so no hashed n-gram rows are allocated), ``loss='ns'``, ``t`` is the
subsampling threshold. fastText's Python binding has no vector writer, so the
``.vec`` file (header ``count dim``, one ``word v1 ... vd`` line per word, 5
significant digits, as fastText's own writer prints them) is written here with
numpy; its time is part of the run and is also reported as ``save_s``.
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
    t = time.perf_counter()
    model = fasttext.train_unsupervised(
        input=corpus, model="skipgram" if s["model"] == "sg" else "cbow", dim=s["dim"],
        ws=s["window"], neg=s["negative"], loss="ns", t=s["sample"], minCount=s["min_count"],
        epoch=s["epochs"], lr=s["alpha"], thread=s["threads"], minn=0, maxn=0, wordNgrams=1,
        verbose=0)
    phases["train_s"] = time.perf_counter() - t  # vocabulary and training: one call
    t = time.perf_counter()
    words = model.get_words(on_unicode_error="replace")
    matrix = model.get_input_matrix()
    if matrix.shape[0] != len(words):  # only when subword buckets exist; not expected here
        import numpy as np
        matrix = np.vstack([model.get_word_vector(w) for w in words])
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
