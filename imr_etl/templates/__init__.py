"""HTML templates for `imr-etl report`: string.Template files ($name placeholders)."""
