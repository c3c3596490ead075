"""One module per tab: plain numpy functions, and ``build(kinds)`` that lays the tab out inside a gr.Blocks."""
