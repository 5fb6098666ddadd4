"""recap-archiver: archive TV and drama recap sites and their comment threads into SQLite."""

__version__ = "0.1.0"
