"""Metrics: FID / KID / Inception Score / sharpness / reconstruction (``fid``, ``kid``, ``inception_score``,
``sharpness``, ``reconstruction``, ``adjusted_fid``, feature extractors in ``features``) and classification
reports (``classification``). Nothing is imported until used; the CLI is ``python -m zoo.evaluate``."""
