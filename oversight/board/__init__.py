"""The exposure board (曝光台): items, follow-ups, redaction, appeals and the public pages."""
