"""Stand-alone scripts that train one peer tool; each runs as its own process.

They are run by file path (``python bench/runners/gensim_runner.py ...``) and import
nothing from ``bench`` or ``fastw2v``, so a run pays only for its own library.
"""
