"""Pure renderers: data in, HTML or markdown out. No gradio, no services, no I/O beyond
checking that a linked note file exists.

``links`` (safe hrefs), ``chat`` (source cards, highlighting, messages), ``library`` (rows,
reports, banners), ``quiz`` (question, feedback, score).
"""
