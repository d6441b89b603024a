"""The browser UI (Gradio 6): the only package that imports gradio.

``blocks.build_app`` assembles the tabs (``chat``, ``quiz``, ``library``) around one
``context.AppContext`` of services every session shares; ``views`` renders HTML and markdown
without gradio, so it is cheap to import and test. Importing this package imports no gradio.
"""

import os

# Before gradio is imported anywhere: it reads this at import time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
