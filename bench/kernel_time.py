"""Training speed alone, in-process: the epoch loop timed over an encoded corpus.

    python bench/kernel_time.py CHECKOUT CORPUS [--threads N] [--model sg|cbow] [--dim D]
                                [--window W] [--sample S] [--repeat R]
                                [--maxn N [--minn N] [--bucket B]] [--share-negatives G]

Imports fastw2v from CHECKOUT (a source tree: this one, or an older commit's
``git worktree``), encodes CORPUS in memory once, then trains one epoch
``--repeat`` times from fresh vectors and prints the best training words/s
(the first epoch, which may load the kernels, is not counted). Without the
process start, the reading and the writing, small differences in the kernel
show that the end-to-end A/B (``bench/ab.py``) drowns in this machine's drift;
run it for two checkouts in turn, several times, and compare the pairs.
"""

from __future__ import annotations

import argparse
import sys


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkout")
    p.add_argument("corpus")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", default="sg")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--maxn", type=int, default=0, help="subwords (fastText's -maxn); 0: none")
    p.add_argument("--minn", type=int, default=3)
    p.add_argument("--bucket", type=int, default=2_000_000)
    p.add_argument("--share-negatives", type=int, default=0)
    o = p.parse_args()
    sys.path.insert(0, o.checkout)
    try:  # the layout by stage (December 2026 on)
        from fastw2v.text.corpus import Corpus
        from fastw2v.text.encode import vocab_and_corpus
        from fastw2v.training import driver
        from fastw2v.training.model import TrainState, TrainStats, Word2VecModel, initial_vectors
        try:
            from fastw2v.training.options import TrainOptions
        except ImportError:
            from fastw2v.training.model import TrainOptions
    except ImportError:  # the flat layout before it
        from fastw2v import training as driver
        from fastw2v.corpus import Corpus
        from fastw2v.encode import vocab_and_corpus
        from fastw2v.model import TrainOptions, TrainState, TrainStats, Word2VecModel, initial_vectors
    extra = {}
    if o.maxn:
        extra.update(maxn=o.maxn, minn=o.minn, bucket=o.bucket)
    if o.share_negatives:
        extra.update(share_negatives=o.share_negatives)
    opts = TrainOptions(epochs=1, threads=o.threads, model=o.model, dim=o.dim, window=o.window,
                        sample=o.sample, **extra).resolved()
    vocab, encoded = vocab_and_corpus(Corpus([o.corpus]), min_count=opts.min_count, max_vocab_size=0,
                                      max_sentence_length=opts.max_sentence_length)
    rows, layers = len(vocab), {}
    if o.maxn:  # input rows: one per word, then the n-gram buckets; output rows: one per word
        from fastw2v.training.model import input_rows
        rows, layers = input_rows(opts, len(vocab)), {"out_rows": len(vocab)}
    rates = []
    for _ in range(o.repeat):
        syn0, syn1 = initial_vectors(rows, opts.dim, opts.seed, **layers)
        model = Word2VecModel(vocab, syn0, syn1, opts, TrainStats(words_per_epoch=encoded.n_words))
        driver.run_epochs(model, encoded, driver.RunControl(), TrainState())
        rates.append(encoded.n_words / model.stats.train_seconds)
    print(f"{o.checkout}: best {max(rates[1:]) / 1e6:.3f}M words/s over {len(rates) - 1} epochs "
          f"({opts.model}, dim {opts.dim}, maxn {o.maxn}, {opts.threads} threads, {encoded.n_words:,} words)")


if __name__ == "__main__":
    main()
