"""fundmatch: find and apply for the funding programs that fit a municipality's planned measures."""

__version__ = "0.1.0"
