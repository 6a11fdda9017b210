"""fundmatch: find and apply for the funding programs that fit a municipality's planned measures."""

__version__ = "0.2.0"
"""The one place of the version: the package metadata, the API document and the user agent read it."""


def create_app(settings=None, **options):
    """The web app (see ``fundmatch.web.create_app``); imported lazily so the CLI starts fast."""
    from fundmatch.web import create_app as factory

    return factory(settings, **options)
