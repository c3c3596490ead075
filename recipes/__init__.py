"""Recipes: one module per paper setup (``python -m recipes.<name>``); each only chooses and wires parts."""
