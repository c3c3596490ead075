"""Losses as plain functions of tensors, each tested on hand-computed values."""
