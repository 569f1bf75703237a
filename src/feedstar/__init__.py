"""feedstar: an open analytics warehouse for a messenger + news-feed app."""

__version__ = "0.1.0"
