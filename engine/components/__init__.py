"""Pretrained and small components behind interfaces: codec, semantic encoder, text encoders.

A checkpoint's ``config.json`` names each component by ``kind`` (see ``registry.py``); the
pipeline only ever talks to the interfaces in ``base.py``.
"""
