"""The index: the chunk store (commit point, BM25 tokens, manifest), Chroma vectors, the
embedding backends, and the fetched-page cache."""
