"""The evaluation sets that ship inside the package (``fastw2v eval``'s defaults).

Their sources and licences are in ``README.md`` next to them, which ships too.
"""
