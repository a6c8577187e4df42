"""The authenticated endpoint that takes raw bounce messages."""
