"""Catalog understanding: what each column of a seller's table means, and the products it holds.

- `vocabulary`: the documented header vocabulary (role → header names in seven languages and the
  platforms' export columns) and header normalisation.
- `values`: typed cells: amounts with decimal commas, availability words, dates, packed cells
  ("k=v,k=v|k=v"), values that are never product facts (links, ids, flags, JSON).
- `layout`: export platforms recognised by their signature columns.
- `build`: rows → ProductRecords: variants grouped under their parent, sale windows, labelled facts.
"""

from echome.knowledge.understand.build import understand_rows

__all__ = ["understand_rows"]
