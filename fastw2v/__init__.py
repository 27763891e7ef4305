"""fastw2v: fast word2vec (skip-gram and CBOW) on multicore CPUs.

>>> import fastw2v
>>> model = fastw2v.train("data/text8_head10M.txt.gz", epochs=1)   # doctest: +SKIP
>>> model.save("vectors.txt")                                      # doctest: +SKIP
>>> fastw2v.evaluate_analogies("vectors.txt").accuracy                # doctest: +SKIP
"""

from .errors import FastW2VError
from .text.vocab import Vocabulary
from .training.driver import RunControl, TrainOptions, Word2VecModel, resume, train

# (no top-level ``evaluate``: it would hide the module ``fastw2v.vectors.evaluate``)
from .vectors.evaluate import evaluate_analogies, evaluate_word_pairs
from .vectors.query import WordVectors, analogy, load_vectors, most_similar
from .vectors.word2vec_format import load_word2vec, save_word2vec

__all__ = ["FastW2VError", "RunControl", "TrainOptions", "Vocabulary", "Word2VecModel", "WordVectors", "analogy",
           "evaluate_analogies", "evaluate_word_pairs", "load_vectors", "load_word2vec",
           "most_similar", "resume", "save_word2vec", "train"]
__version__ = "0.1.0"
