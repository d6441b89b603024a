"""Quizzes that teach: items generated from the notes (and their references), graded
tolerantly, and the missed ones scheduled for review.

Front ends call :class:`~rag.quiz.service.QuizService`. The modules, bottom up (each imports
only those before it):

- ``items``: :class:`QuizItem`, :class:`Grade`, :class:`QuizBatch`, the item types;
- ``prose``: the quiz's reading of chunk text (sentences, names, matching);
- ``terms``, ``facts``, ``analysis``: the corpus analyser (term table, facts per chunk);
- ``topics`` (topic -> chunks, the dropdown), ``pick`` (sampling), ``llm_items``,
  ``generate`` (items from facts, :func:`generate_quiz`), ``grade``;
- ``review`` (FSRS schedule in SQLite), ``export`` (Anki, CSV), ``session`` (one student's
  pass through a quiz);
- ``service`` (:class:`QuizService`) and ``cli`` (``python -m rag quiz``).
"""

from rag.quiz.export import export_apkg, export_csv
from rag.quiz.generate import candidate_items, generate_quiz, is_supported
from rag.quiz.grade import grade
from rag.quiz.items import GENERATORS, TF_CHOICES, TYPES, Grade, QuizBatch, QuizItem
from rag.quiz.review import ReviewStore
from rag.quiz.service import QuizService
from rag.quiz.session import AnsweredQuestion, QuizSession, QuizStateError
from rag.quiz.topics import list_topics, select_chunks

__all__ = [
    "GENERATORS",
    "TF_CHOICES",
    "TYPES",
    "AnsweredQuestion",
    "Grade",
    "QuizBatch",
    "QuizItem",
    "QuizService",
    "QuizSession",
    "QuizStateError",
    "ReviewStore",
    "candidate_items",
    "export_apkg",
    "export_csv",
    "generate_quiz",
    "grade",
    "is_supported",
    "list_topics",
    "select_chunks",
]
