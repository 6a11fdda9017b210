"""fundmatch: find and apply for the funding programs that fit a municipality's planned measures."""

__version__ = "0.1.0"


def create_app(settings=None, **options):
    """The web app (see ``fundmatch.web.create_app``); imported lazily so the CLI starts fast."""
    from fundmatch.web import create_app as factory

    return factory(settings, **options)
