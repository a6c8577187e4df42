"""CSV import commands; see importer.py."""


def register(group) -> None:
    """Filled in with the import command."""
