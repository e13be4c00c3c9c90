"""The embedded Shanghai demo: data files in ``data/`` loaded by ``flask demo load``."""
