"""One module per part of the page; each exposes ``render(...)``."""
