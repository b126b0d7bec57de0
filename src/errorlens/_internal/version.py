"""The package version, for the outputs that report it (a scope's version)."""

VERSION = "0.1.0"
