"""Catalog understanding: what each column of a seller's table means, and the products it holds.

- `vocabulary` (+ `lexicon`, its data): the documented header vocabulary (role → header names in
  seven languages and the platforms' export columns), numbered pairs, option and row-kind columns.
- `values`: typed cells: amounts with decimal commas, availability words, dates and date ranges,
  packed cells ("k=v,k=v|k=v"), values that are never product facts (links, ids, flags, JSON).
- `packed`: packed cells said the way a shopper reads them (tier prices, bookings, tickets).
- `header`: which row is the header (template rows above it) and which sheet holds the products.
- `feeds`: XML feeds (Google Merchant Center RSS / Atom, plain product XML) read safely as tables.
- `layout`: export platforms recognised by their signature columns, and what their columns mean.
- `rows`: each row read into typed fields; `grouping`: variants under their product, tier rows
  folded; `build`: rows → ProductRecords with sale windows and labelled facts.
- `checks`: whole-import checks (oversized cells, mixed currencies, outlier prices) and warnings
  said once per kind.
"""

from echome.knowledge.understand.build import understand_rows

__all__ = ["understand_rows"]
