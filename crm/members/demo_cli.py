"""Demo data commands."""


def register(group) -> None:
    """Filled in with the seed-demo command."""
