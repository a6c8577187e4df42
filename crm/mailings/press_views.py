"""The public press page, its Atom feed, attachments and a recipient's web version."""
