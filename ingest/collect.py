"""Everything the index should hold, from the corpus folder and the pages its notes link to:
chunks, the sources whose old chunks must be kept, and a status row per source."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from ingest.chunking import chunk_note, chunk_reference
from ingest.notes import Note, NoteError, discover_notes, outside_corpus, parse_note, source_of
from ingest.report import IngestReport
from ingest.sections import Link
from ingest.web import FetchResult, PageFetcher
from rag.config import Settings

if TYPE_CHECKING:
    from rag.index.store import ChunkStore

Status = dict[str, dict[str, Any]]


def _collect_links(notes: list[Note]) -> dict[str, list[tuple[str, str]]]:
    """URL -> [(note source, anchor text), ...] in first-seen order, without repeats."""
    links: dict[str, list[tuple[str, str]]] = {}
    for note in notes:
        for link in note.links:
            entry = (note.source, link.text)
            entries = links.setdefault(link.url, [])
            if entry not in entries:
                entries.append(entry)
    return links


def _linked_from(entries: list[tuple[str, str]]) -> str:
    """``"a.md: anchor; b.md"``: where a page is linked from, as shown to users and stored."""
    return "; ".join(f"{source}: {text}" if text else source for source, text in entries)


def _file_signature(path: Path, settings: Settings) -> list[Any]:
    """What says a note file is unchanged since the last run: its size and modification time
    (nanoseconds), and the chunking settings its chunks were made with."""
    st = path.stat()
    tuning = settings.index
    return [
        st.st_size,
        st.st_mtime_ns,
        tuning.chunk_target_chars,
        tuning.chunk_max_chars,
        tuning.sentence_split_max_chars,
    ]


def _reusable(previous: ChunkStore | None) -> tuple[Status, dict[str, list[Document]]]:
    if previous is None:
        return {}, {}
    by_source: dict[str, list[Document]] = {}
    for doc in previous.docs:
        by_source.setdefault(doc.metadata["source"], []).append(doc)
    return previous.manifest.get("sources", {}), by_source


def _read_notes(
    settings: Settings, report: IngestReport, previous: ChunkStore | None = None
) -> tuple[list[Note], set[str], list[tuple[Note, list[Document], list[Any]]]]:
    """Parse the notes that changed; a note whose file signature is the one recorded last
    run keeps its chunks without being read (a one-line edit in a year of notes parses one
    note, not 2,000: 12 s of parsing and chunking otherwise)."""
    notes: list[Note] = []
    reused: list[tuple[Note, list[Document], list[Any]]] = []
    failed_sources: set[str] = set()
    old_status, old_docs = _reusable(previous)
    for path in discover_notes(settings.corpus_dir):
        why = outside_corpus(path, settings.corpus_dir)
        source = source_of(path, settings.corpus_dir)
        if why:
            # Skipped, not failed: a failed note keeps its old chunks, this one must not.
            report.notes_skipped.append({"source": source, "reason": why})
            continue
        try:
            signature = _file_signature(path, settings)
        except OSError:
            signature = []
        row = old_status.get(source, {})
        if signature and row.get("file") == signature and row.get("state") == "indexed":
            links = [Link(url, text, 0) for url, text in row.get("links", [])]
            note = Note(source, row.get("title", ""), row.get("date", ""), [], links,
                        row.get("body_date", ""))
            reused.append((note, old_docs.get(source, []), signature))
            continue
        try:
            notes.append(parse_note(path, settings.corpus_dir, settings.index.max_note_bytes))
        except NoteError as exc:
            report.notes_failed.append({"source": exc.source, "reason": exc.reason})
            failed_sources.add(exc.source)
        except Exception as exc:  # a parser bug must not cost the student the other notes
            source = source_of(path, settings.corpus_dir)
            report.notes_failed.append({"source": source, "reason": f"parse error: {exc}"})
            failed_sources.add(source)
    every = notes + [note for note, _, _ in reused]
    report.notes = len(every)
    report.notes_unchanged = len(reused)
    report.date_conflicts = [
        {"source": n.source, "date": n.date, "date_line": n.body_date} for n in every if n.body_date
    ]
    report.undated = sorted(n.source for n in every if not n.date)
    return notes, failed_sources, reused


def _note_chunks(
    notes: list[Note],
    settings: Settings,
    report: IngestReport,
    reused: list[tuple[Note, list[Document], list[Any]]] | None = None,
) -> tuple[list[Document], Status]:
    docs: list[Document] = []
    status: Status = {}
    tuning = settings.index
    corpus = Path(settings.corpus_dir)
    made = [
        (note, chunk_note(note, tuning.chunk_target_chars, tuning.chunk_max_chars), None)
        for note in notes
    ]
    every = [*made, *(reused or [])]
    for note, note_docs, signature in sorted(every, key=lambda x: x[0].source):
        docs.extend(note_docs)
        if signature is None:
            try:
                signature = _file_signature(corpus / note.source, settings)
            except OSError:
                signature = []
        status[note.source] = {
            "kind": "note",
            "title": note.title,
            "date": note.date,
            "state": "indexed",
            "chunks": len(note_docs),
            "reason": "",
            # For the next run: an unchanged file is not parsed again.
            "file": signature,
            "links": [[link.url, link.text] for link in note.links],
            "body_date": note.body_date,
        }
    for row in report.notes_failed:
        status[row["source"]] = {
            "kind": "note",
            "title": row["source"],
            "date": "",
            "state": "failed",
            "chunks": 0,
            "reason": row["reason"],
        }
    return docs, status


def _reference_chunks(
    result: FetchResult,
    entries: list[tuple[str, str]],
    date: str,
    settings: Settings,
    report: IngestReport,
) -> tuple[list[Document], dict[str, Any]]:
    """A fetched page's chunks and status row; a failed page has none (its old chunks stay)."""
    first_note, first_anchor = entries[0]
    linked_from = _linked_from(entries)
    if result.status == "failed" or not result.text.strip():
        reason = result.reason or "no text could be extracted"
        report.failed.append({"url": result.url, "reason": reason})
        return [], {
            "kind": "reference",
            # The note's anchor text names a dead link better than its URL does.
            "title": result.title or first_anchor or first_note,
            "state": "failed",
            "chunks": 0,
            "reason": reason,
            "linked_from": linked_from,
        }
    if result.status == "cached":
        report.cached += 1
    else:
        report.fetched += 1
    tuning = settings.index
    ref_docs = chunk_reference(
        result.url,
        result.title,
        result.text,
        linked_from,
        date,
        tuning.chunk_target_chars,
        tuning.chunk_max_chars,
    )
    return ref_docs, {
        "kind": "reference",
        "title": result.title,
        "state": result.status,
        "chunks": len(ref_docs),
        "reason": result.reason,
        "linked_from": linked_from,
        "fetched_at": result.fetched_at,
    }


def build_chunks(
    settings: Settings,
    report: IngestReport,
    progress: bool = False,
    previous: ChunkStore | None = None,
) -> tuple[list[Document], set[str], Status]:
    """Read notes, fetch references, chunk everything; ``previous`` (the committed store,
    same chunking version) lends the chunks of notes whose files did not change.

    Returns the chunks, the sources whose previous chunks must be kept (a note that failed
    to read, a page that failed to fetch), and a status row per source for the library view.
    """
    t0 = time.perf_counter()
    notes, keep_sources, reused = _read_notes(settings, report, previous)
    report.timings["parse"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    docs, status = _note_chunks(notes, settings, report, reused)
    notes = notes + [note for note, _, _ in reused]
    # Recorded after "fetch" together with the reference pages, so the key order stays.
    note_chunk_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    links = _collect_links(notes)
    dates = {n.source: n.date for n in notes}
    with PageFetcher(settings) as fetcher:
        results = fetcher.fetch_many(list(links), progress=progress)
    report.timings["fetch"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for result in results:
        entries = links[result.url]
        ref_docs, row = _reference_chunks(
            result, entries, dates.get(entries[0][0], ""), settings, report
        )
        if row["state"] == "failed":
            keep_sources.add(result.url)
        docs.extend(ref_docs)
        status[result.url] = row
    report.timings["chunk"] = note_chunk_seconds + time.perf_counter() - t0
    return docs, keep_sources, status
