"""The documentation pages and the generator of their figures from the shipped files (docs.generate)."""
