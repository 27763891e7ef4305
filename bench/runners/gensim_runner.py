"""Train gensim's Word2Vec (or FastText) on one corpus file and write the vectors (word2vec text format).

Usage: python gensim_runner.py --mode iterable|file|fasttext CORPUS OUTPUT SETTINGS_JSON PHASES_JSON

``iterable`` streams the corpus through ``LineSentence`` (Python reads and splits
every line, once for the vocabulary and once per epoch); ``file`` passes
``corpus_file`` and lets gensim's Cython code read the file in every worker.
``fasttext`` trains ``gensim.models.FastText`` with ``corpus_file`` (character
n-grams ``min_n=minn``, ``max_n=maxn``, ``bucket``; ``maxn`` 0: none) and writes
the vocabulary words' vectors (each the mean of its own row and its n-gram rows).
Settings (JSON): model, dim, window, negative, sample, min_count, epochs, alpha,
min_alpha, threads, seed, minn, maxn, bucket. Timings of each phase go to PHASES_JSON.
"""

import json
import sys
import time

T0 = time.perf_counter()


def main(argv):
    if len(argv) != 6 or argv[0] != "--mode" or argv[1] not in ("iterable", "file", "fasttext"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, corpus, output, settings, phases_path = argv[1], argv[2], argv[3], json.loads(argv[4]), argv[5]
    import gensim
    from gensim.models import FastText, Word2Vec
    from gensim.models.word2vec import LineSentence

    s = settings
    phases = {"import_s": time.perf_counter() - T0}
    common = {"vector_size": s["dim"], "window": s["window"], "negative": s["negative"], "hs": 0,
              "sample": s["sample"], "min_count": s["min_count"], "epochs": s["epochs"],
              "alpha": s["alpha"], "min_alpha": s["min_alpha"], "workers": s["threads"],
              "seed": s["seed"], "sg": 1 if s["model"] == "sg" else 0}
    if mode == "fasttext":  # max_n 0 < min_n: gensim uses no n-grams (and no buckets)
        model = FastText(min_n=s.get("minn", 3), max_n=s.get("maxn", 0), bucket=s.get("bucket", 2_000_000),
                         **common)
    else:
        model = Word2Vec(**common)
    t = time.perf_counter()
    if mode == "iterable":
        sentences = LineSentence(corpus)
        model.build_vocab(corpus_iterable=sentences)
        phases["vocab_s"] = time.perf_counter() - t
        t = time.perf_counter()
        model.train(corpus_iterable=sentences, total_examples=model.corpus_count, epochs=model.epochs)
    else:
        model.build_vocab(corpus_file=corpus)
        phases["vocab_s"] = time.perf_counter() - t
        t = time.perf_counter()
        model.train(corpus_file=corpus, total_words=model.corpus_total_words, epochs=model.epochs)
    phases["train_s"] = time.perf_counter() - t
    t = time.perf_counter()
    model.wv.save_word2vec_format(output, binary=False)
    phases["save_s"] = time.perf_counter() - t
    phases["total_in_process_s"] = time.perf_counter() - T0
    phases["vocab_size"] = len(model.wv)
    phases["version"] = gensim.__version__
    with open(phases_path, "w") as f:
        json.dump(phases, f)
    print(f"gensim {gensim.__version__} ({mode}): {len(model.wv)} vectors written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
