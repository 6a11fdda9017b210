"""Förderdatenbank des Bundes (foerderdatenbank.de): Bund, Länder and EU programs.

The official XML export is the primary path (``export``); the HTML detail and list pages are the
fallback and the way to verify one program (``html``). Both yield the same record, keyed by the
path below ``Foerderprogramm/`` without ``.html`` (the slug alone is not unique).
"""

from fundmatch.scrapers.foerderdatenbank.harvest import harvest, parse_file
from fundmatch.scrapers.foerderdatenbank.source import BASE_URL, SOURCE

__all__ = ["BASE_URL", "SOURCE", "harvest", "parse_file"]
