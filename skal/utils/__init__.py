"""Helpers shared by the learner and the strategies."""
