"""Choosing a quiz from a pool of candidate items: one item per fact, spread over
generators, chunks and terms, the student's own notes drawn more often than the pages they
link to. Shared by the rule-based path and the LLM path (which picks item by item)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from rag.quiz.items import QuizItem
from rag.text import compact


def _is_note(item: QuizItem) -> bool:
    return (item.citation or {}).get("kind") == "note"


def pick(
    items: list[QuizItem],
    n: int,
    rng: random.Random,
    taken: Iterable[QuizItem] = (),
    note_weight: float = 3.0,
) -> list[QuizItem]:
    """Up to ``n`` items, one per fact, none repeating a fact or a question in ``taken``."""
    taken = list(taken)
    buckets = _buckets(items, rng, taken, note_weight)
    order = sorted(buckets)
    rng.shuffle(order)
    chosen: list[QuizItem] = []
    used_chunks = {i.chunk_id for i in taken}
    used_terms = {compact(i.term) for i in taken}
    # First pass: a new chunk and a new concept every time; then relax to one item per fact.
    for strict in (True, False):
        progress = True
        while len(chosen) < n and progress:
            progress = False
            for gen in order:
                bucket = buckets[gen]
                for idx, item in enumerate(bucket):
                    if strict and (
                        item.chunk_id in used_chunks or compact(item.term) in used_terms
                    ):
                        continue
                    chosen.append(bucket.pop(idx))
                    used_chunks.add(item.chunk_id)
                    used_terms.add(compact(item.term))
                    progress = True
                    break
                if len(chosen) >= n:
                    break
    return chosen


def _buckets(
    items: list[QuizItem], rng: random.Random, taken: list[QuizItem], note_weight: float
) -> dict[str, list[QuizItem]]:
    """One random item per fact not yet taken, grouped by generator, each group in a
    weighted random order."""
    seen_facts = {i.fact_key for i in taken}
    seen_q = {compact(i.question) for i in taken}
    by_fact: dict[tuple[str, str], list[QuizItem]] = {}
    for item in items:
        if item.fact_key in seen_facts or compact(item.question) in seen_q:
            continue
        by_fact.setdefault(item.fact_key, []).append(item)
    pool = [rng.choice(group) for group in by_fact.values()]
    buckets: dict[str, list[QuizItem]] = defaultdict(list)
    for item in pool:
        buckets[item.generator].append(item)
    for gen, bucket in buckets.items():
        # Weighted shuffle (key u^(1/w)): with note_weight 3 the student's own notes come up
        # three times as often as the (much longer) reference pages they link to.
        keys = {id(i): rng.random() ** (1 / (note_weight if _is_note(i) else 1.0)) for i in bucket}
        buckets[gen] = sorted(bucket, key=lambda i: keys[id(i)], reverse=True)
    return buckets
