"""The term table of one chunk store: every concept the material names, where it is defined,
its other spellings and its siblings.

A TIL note is mostly a glossary in disguise. Terms come from four places:

- **heading**: a section headed by a term (``하이퍼바이저(Hypervisor)``); its definition is the
  section's first line if that is a noun phrase, else an early "X는 …다." sentence;
- **label**: a list item ``노드(Node): 클러스터의 일부…`` or ``etcd — 키-값 저장소…``;
- **bold**: ``**서비스 메시**`` in the note's own markdown (the chunker drops the markup);
- **title**: a reference page's title (``인그레스란?``).

Terms with the same ``group`` (headings under one parent, labels of one list) are siblings:
the instructive distractors, and the answers grading must reject.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from langchain_core.documents import Document

from rag.config import QuizSettings, Settings, StructureSettings
from rag.index.store import ChunkStore
from rag.quiz.prose import (
    SEP,
    SUBJECT_PARTICLE,
    contains,
    good_sentence,
    hangul_share,
    is_term,
    lines,
    near_duplicate,
    noun_final,
    sentences,
    skip,
    split_body,
    split_label,
)
from rag.structure import is_structural, template_of
from rag.text import compact

_TITLE_SUFFIX = re.compile(r"\s*(이란|란)\s*(무엇인가요|무엇인가|뭘까|\?)?\s*\??$")
_INLINE_DEF = (
    re.compile(r"^(?:[-*+]\s+)?(?P<label>[^:：—–]{1,40}?)\s*[:：]\s+(?P<desc>\S.{7,})$"),
    re.compile(r"^(?:[-*+]\s+)?(?P<label>[^:：—–]{1,40}?)\s+[—–]\s+(?P<desc>\S.{7,})$"),
)
_BOLD = re.compile(r"\*\*(?P<a>[^*\n]{1,40})\*\*|__(?P<b>[^_\n]{1,40})__")


@dataclass
class Term:
    name: str
    aliases: tuple[str, ...]
    label: str
    source: str
    kind: str  # note | reference
    section: str  # where the term is defined
    group: str  # sibling key: terms with the same group are siblings
    origin: str  # heading | label | bold | title
    doc: Document | None = None
    definition: str = ""  # the source sentence, unmasked
    form: str = ""  # noun (a noun-phrase definition) | subject ("X는 …다") | explain
    docs: list[Document] = field(default_factory=list)  # the whole section, for contrasts

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class TermTable:
    """Terms, spellings and sibling groups of one :class:`ChunkStore`, built once."""

    def __init__(self, store: ChunkStore, settings: Settings | None) -> None:
        self.store = store
        self.settings = settings
        self.tuning: QuizSettings = settings.quiz if settings else QuizSettings()
        self.terms: list[Term] = []
        self._by_key: dict[tuple[str, str], list[Term]] = defaultdict(list)
        self._df: dict[str, int] = {}
        self._lower = [d.page_content.casefold() for d in store.docs]
        self._is_term: dict[str, bool] = {}
        structure = settings.structure if settings else StructureSettings()
        self.template = template_of(store, structure)
        for (source, section), docs in store.sections.items():
            if docs and not skip(docs[0]):
                self._section_terms(source, section, docs)
        self._bold_terms()
        self._index()

    # -- building --------------------------------------------------------------------

    def _term_like(self, name: str) -> bool:
        if name not in self._is_term:
            # A template heading ("학습 목표 1", "새로 배운 내용") is never a term or an option.
            self._is_term[name] = is_term(name) and not is_structural(name, self.template)
        return self._is_term[name]

    def _add(self, term: Term) -> None:
        key = (term.source, compact(term.name))
        if not compact(term.name):
            return
        for known in self._by_key.get(key, []):
            if not known.definition and term.definition:
                # A later, better place for the same term (heading vs. its own page title).
                known.doc, known.definition, known.form = term.doc, term.definition, term.form
                known.section = term.section
            known.aliases = tuple(dict.fromkeys([*known.aliases, *term.aliases]))
            return
        self._by_key[key].append(term)
        self.terms.append(term)

    def _section_terms(self, source: str, section: str, docs: list[Document]) -> None:
        """The term a section's heading (or a page's title) names, then its inline labels."""
        meta = docs[0].metadata
        kind = meta.get("kind", "note")
        path = [p for p in section.split(SEP) if p] if section else []
        if path:
            label, origin, group = path[-1], "heading", SEP.join(path[:-1])
        elif kind == "reference" and meta.get("title"):
            label, origin, group = _TITLE_SUFFIX.sub("", meta["title"]), "title", "\x00"
        else:
            label = ""
        name, aliases = split_label(_TITLE_SUFFIX.sub("", label)) if label else ("", [])
        if name and self._term_like(name):
            term = Term(
                name,
                tuple(aliases),
                label,
                source,
                kind,
                section,
                f"{source}\x1f{group}",
                origin,
                docs=docs,
            )
            self._define(term, docs, child=len(path) > 1)
            self._add(term)
        for doc in docs:
            self._inline_terms(doc)

    def _define(self, term: Term, docs: list[Document], child: bool) -> None:
        """The section's definition: its first line if that is a noun phrase, else the first
        early "X는 …다." sentence about the term; in a note, a label's first sentence."""
        first_four = sentences(docs[0])[:4]
        if not first_four:
            return
        first = first_four[0]
        if good_sentence(first) and noun_final(first) and not first.endswith("."):
            term.doc, term.definition, term.form = docs[0], first, "noun"
            return
        for sent in first_four:
            if not good_sentence(sent):
                continue
            for name in term.names:
                if sent.startswith(name) and SUBJECT_PARTICLE.match(sent[len(name) :]):
                    term.doc, term.definition, term.form = docs[0], sent, "subject"
                    return
        # A note's list-item label is followed by the student's own explanation of it.
        if child and term.kind == "note" and good_sentence(first):
            term.doc, term.definition, term.form = docs[0], first, "explain"

    def _inline_terms(self, doc: Document) -> None:
        """``노드(Node): 클러스터의 일부…`` and ``etcd — 키-값 저장소…`` lines."""
        for line in lines(doc):
            for pattern in _INLINE_DEF:
                match = pattern.match(line)
                if not match:
                    continue
                label, desc = match.group("label").strip(), match.group("desc").strip()
                name, aliases = split_label(label)
                if hangul_share(desc) < 0.3 or not self._term_like(name):
                    break
                first = split_body(desc)[0]
                if not good_sentence(first) or compact(name) in compact(first):
                    break
                meta = doc.metadata
                term = Term(
                    name,
                    tuple(aliases),
                    label,
                    meta["source"],
                    meta.get("kind", "note"),
                    meta["section"],
                    f"{meta['source']}\x1f{meta['section']}\x1finline",
                    "label",
                    doc,
                    first,
                    "noun" if noun_final(first) else "explain",
                    docs=[doc],
                )
                self._add(term)
                break

    def _bold_terms(self) -> None:
        """Bold words in a note's source lines: the chunker drops the markup, so read it from
        the note file itself (notes only; pages are already plain text)."""
        corpus_dir = self.settings.corpus_dir if self.settings else None
        if corpus_dir is None:
            return
        files: dict[str, list[str]] = {}
        for doc in self.store.docs:
            meta = doc.metadata
            if meta.get("kind") != "note" or not meta.get("start_line") or skip(doc):
                continue
            source = meta["source"]
            if source not in files:
                try:
                    files[source] = (corpus_dir / source).read_text(encoding="utf-8").splitlines()
                except OSError:
                    files[source] = []
            for line in files[source][int(meta["start_line"]) - 1 : int(meta["end_line"])]:
                for match in _BOLD.finditer(line):
                    self._bold_term(doc, match.group("a") or match.group("b"))

    def _bold_term(self, doc: Document, marked: str) -> None:
        name, aliases = split_label(marked)
        if not self._term_like(name) or not contains(doc.page_content, name):
            return
        meta = doc.metadata
        source, section = meta["source"], meta["section"]
        term = Term(
            name,
            tuple(aliases),
            name,
            source,
            "note",
            section,
            f"{source}\x1f{section}\x1fbold",
            "bold",
            docs=[doc],
        )
        # "**서비스 메시**는 …이다." is the student marking a definition.
        for sent in sentences(doc):
            rest = sent[len(name) :] if sent.startswith(name) else ""
            if rest and SUBJECT_PARTICLE.match(rest) and good_sentence(sent):
                term.doc, term.definition, term.form = doc, sent, "subject"
                break
        self._add(term)

    def _index(self) -> None:
        """Lookups over the finished table: spellings, known names, sibling groups, and which
        chunk defines or opens which term."""
        # ``파드`` <-> ``Pod``: every spelling of a term, from all its headings and labels.
        groups: dict[str, set[str]] = defaultdict(set)
        for term in self.terms:
            names = set(term.names)
            merged = set(names)
            for n in names:
                merged |= groups.get(compact(n), set())
            for n in merged:
                groups[compact(n)] = merged
        self.aliases = groups
        # Longest first, so "가상 머신" wins over "머신" when both are known terms.
        known: dict[str, str] = {}
        for term in self.terms:
            for n in term.names:
                if len(compact(n)) >= 2:
                    known.setdefault(n, term.name)
        self.known = sorted(known.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.bold = {compact(t.name) for t in self.terms if t.origin == "bold"}
        # Groups in first-seen order (a dict, not a set): the same corpus must give the same
        # items in every process, whatever the string hash seed.
        self._groups_of: dict[str, dict[str, None]] = defaultdict(dict)
        self._members: dict[str, list[str]] = defaultdict(list)
        self._defined: dict[str, list[Term]] = defaultdict(list)
        self._first_chunk: dict[str, list[Term]] = defaultdict(list)
        for t in self.terms:
            self._groups_of[compact(t.name)][t.group] = None
            self._members[t.group].append(t.name)
            if t.doc is not None and t.definition:
                self._defined[t.doc.metadata["chunk_id"]].append(t)
            if t.origin == "heading" and t.docs:
                self._first_chunk[t.docs[0].metadata["chunk_id"]].append(t)

    # -- lookups ---------------------------------------------------------------------

    def defined_in(self, chunk_id: str) -> list[Term]:
        """Terms whose definition is in this chunk."""
        return self._defined.get(chunk_id, [])

    def headed_by(self, chunk_id: str) -> list[Term]:
        """Heading terms whose section starts with this chunk."""
        return self._first_chunk.get(chunk_id, [])

    def siblings_of_name(self, name: str) -> list[str]:
        """Names sharing a sibling group with any term called ``name`` (for grading)."""
        key = compact(name)
        out = [m for g in self._groups_of.get(key, ()) for m in self._members[g]]
        return [m for m in dict.fromkeys(out) if compact(m) != key]

    def spellings(self, name: str) -> list[str]:
        group = self.aliases.get(compact(name), {name})
        return [name, *sorted(g for g in group if compact(g) != compact(name))]

    def df(self, surface: str) -> int:
        """How many chunks contain ``surface`` (case-folded substring)."""
        key = surface.casefold()
        if key not in self._df:
            self._df[key] = sum(1 for text in self._lower if key in text)
        return self._df[key]

    def siblings(self, term: Term) -> list[Term]:
        return [t for t in self.terms if t.group == term.group and t is not term]

    def distractors(self, term: Term) -> list[str]:
        """Siblings first (same section/topic), then the rest of the note/page, then the
        corpus; defined terms before undefined ones in each tier. Distinct, never the answer
        or a spelling of it."""
        limit = self.tuning.distractors
        same_source = [t for t in self.terms if t.source == term.source and t is not term]
        same_kind = [t for t in self.terms if t.kind == term.kind and t.source != term.source]
        ordered: list[str] = []
        taken = [*term.names]
        spellings = {compact(x) for x in self.spellings(term.name)}

        def usable(names: set[str]) -> bool:
            if any(compact(a) in spellings for a in names):
                return False
            # Two terms that are one concept ("스레드 풀", "thread pool") are one option.
            return not any(near_duplicate(a, x) for a in names for x in taken)

        for tier in (self.siblings(term), same_source, same_kind):
            for want_defined in (True, False):
                for t in tier:
                    if len(ordered) >= limit:
                        return ordered
                    if bool(t.definition) != want_defined:
                        continue
                    names = {*t.names, *self.spellings(t.name)}
                    if usable(names):
                        ordered.append(t.name)
                        taken.extend(names)
        return ordered
