"""Gold-set evaluation: retrieval and answer metrics, several configurations side by side.

``python -m rag eval --gold tests/data/gold.jsonl --retriever hybrid,hybrid-rrf,dense,bm25``

The seams: :mod:`~rag.eval.gold` (the question file), :mod:`~rag.eval.metrics` (what a hit,
a keyword match and each number mean), :mod:`~rag.eval.runners` (the project's pipeline per
configuration, :func:`~rag.eval.runners.evaluate`), :mod:`~rag.eval.baseline` (the LangChain
tutorial pipeline to compare against), :mod:`~rag.eval.faithfulness` (the optional LLM judge),
:mod:`~rag.eval.report` (tables, plot, markdown) and :mod:`~rag.eval.cli`.

Nothing is imported here, so that loading one seam (the gold parser in a benchmark, the
metrics in a test) does not load the models behind the others.
"""
