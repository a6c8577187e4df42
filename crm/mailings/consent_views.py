"""Consent per purpose and topic interests on a person's record (staff)."""
