"""Client capture: hooks in HTTP clients that record error responses where they arrive."""
