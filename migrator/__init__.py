"""migrator: move a Tistory blog into WordPress through the REST API."""

__version__ = "0.1.0"
