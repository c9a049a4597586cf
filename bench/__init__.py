"""Benchmarks: how close answers are to the embedding floor, and how cost grows with the corpus.

``python -m bench`` (``make bench``) runs them all and writes ``bench/RESULTS.md``.
"""
