"""Small helpers shared across the library (file writing, image grids)."""
