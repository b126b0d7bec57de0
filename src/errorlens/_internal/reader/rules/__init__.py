"""Per record field, an ordered tuple of small candidate rules: the first that yields wins."""
