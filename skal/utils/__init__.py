"""Helpers shared by the learner and the strategies."""

from ._chunking import one_blas_thread

__all__ = ["one_blas_thread"]
