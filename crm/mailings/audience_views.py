"""Audiences, static lists and the suppression list (staff)."""
