"""The reader: from an exception, response or raw HTTP parts to an ErrorRecord."""
