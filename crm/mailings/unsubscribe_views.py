"""One-click unsubscribe (RFC 8058) and the preference centre."""
