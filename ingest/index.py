"""TEMPORARY during the restructure: moved to ingest.sync (removed before landing)."""

from ingest.report import IngestReport
from ingest.sync import IndexBusyError, index_lock, sync_index

__all__ = ["IndexBusyError", "IngestReport", "index_lock", "sync_index"]
