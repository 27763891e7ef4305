"""Vectors out: word2vec files, nearest neighbours and analogies, evaluation, word classes."""
