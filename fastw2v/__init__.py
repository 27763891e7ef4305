"""fastw2v: fast word2vec (skip-gram and CBOW) on multicore CPUs.

>>> import fastw2v
>>> model = fastw2v.train("data/text8_head10M.txt.gz", epochs=1)   # doctest: +SKIP
>>> model.save("vectors.txt")                                      # doctest: +SKIP
"""

from .errors import FastW2VError
from .train import TrainOptions, Word2VecModel, train
from .vectors import load_word2vec, save_word2vec
from .vocab import Vocabulary

__all__ = ["FastW2VError", "TrainOptions", "Vocabulary", "Word2VecModel", "load_word2vec",
           "save_word2vec", "train"]
__version__ = "0.1.0"
