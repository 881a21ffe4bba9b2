"""Product knowledge: parse catalogs, chunk, embed, index, retrieve (the RAG engine)."""
