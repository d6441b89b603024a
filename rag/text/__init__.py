"""The one Korean text layer: Kiwi analysis, the term parser, normalisation, word lists.

Import from here; the submodules are the layer's seams (``kiwi``, ``terms``, ``normalize``,
``wordlists``, ``asks``).
"""

from rag.text.asks import asks_code, asks_comparison, asks_list, compared_heads
from rag.text.dates import DATE_WORDS, DateSpan, find_dates, strip_dates
from rag.text.kiwi import (
    CONTENT_TAGS,
    NOUN_TAGS,
    add_user_words,
    analyse_lines,
    get_kiwi,
    key_terms,
    morphemes,
    split_sentences,
    tokenize,
    unknown_words,
)
from rag.text.normalize import (
    CODE_FENCE,
    CONTROL_CHARS,
    code_lines,
    compact,
    ends_in_fence,
    match_form,
    normalize,
)
from rag.text.terms import (
    SEPARATOR,
    Label,
    breadcrumb,
    has_batchim,
    heading_names,
    is_english,
    josa,
    parse_label,
    short_name,
    term_candidates,
    topic_names,
)
from rag.text.wordlists import (
    ENGLISH_STOPWORDS,
    GENERIC_HEADINGS,
    KOREAN_STOPWORDS,
    is_generic_heading,
)

__all__ = [
    "asks_code",
    "asks_comparison",
    "asks_list",
    "compared_heads",
    "CODE_FENCE",
    "CONTENT_TAGS",
    "CONTROL_CHARS",
    "DATE_WORDS",
    "DateSpan",
    "ENGLISH_STOPWORDS",
    "GENERIC_HEADINGS",
    "KOREAN_STOPWORDS",
    "NOUN_TAGS",
    "SEPARATOR",
    "Label",
    "add_user_words",
    "breadcrumb",
    "code_lines",
    "compact",
    "ends_in_fence",
    "find_dates",
    "strip_dates",
    "analyse_lines",
    "get_kiwi",
    "has_batchim",
    "heading_names",
    "is_english",
    "is_generic_heading",
    "josa",
    "key_terms",
    "match_form",
    "morphemes",
    "normalize",
    "parse_label",
    "short_name",
    "split_sentences",
    "term_candidates",
    "tokenize",
    "topic_names",
    "unknown_words",
]
