"""Upload, preview and confirm a CSV import of organisations and people."""
