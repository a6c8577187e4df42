"""Compose, preview, test-send, schedule, pause, resume and cancel mailings; reports."""
