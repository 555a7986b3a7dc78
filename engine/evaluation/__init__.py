"""Evaluation of generated and edited audio.

The independent event detector and its metrics: ``detector.py`` (the CRNN, save/load),
``detection.py`` (frames → events), ``detector_training.py`` (training on corpus timelines),
``metrics.py`` (event F1, order accuracy, similarity, Fréchet distance), ``scoring.py`` (audio +
captions → a report). Import the submodules directly; this package imports nothing heavy.
"""
