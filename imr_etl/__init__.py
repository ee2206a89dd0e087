"""imr-etl: California IMR Final Determination Letters into a queryable warehouse.

The data's path, one module per stage:
text → normalize → parse (grammars/letter.lark) → records → load → views.
"""

__version__ = "0.1.0"
