"""Recipes that train the project's own small default model from nothing.

``codec.py`` (a small DAC-VAE), ``semantic.py`` (a small PE-A-Frame trained with the small CLAP
and T5 text towers so that frames align with text), ``text.py`` (the corpus tokenizer and the
small text towers), ``profiles.py`` (tiny / cpu / gpu settings) and ``build.py`` (the resumable
``sa build-default`` recipe). Import the submodules directly; this package imports nothing heavy.
"""
