"""mss-qa: answers questions only from its sources, with exact-quote citations."""

from mss_qa import offline

offline.enforce()

__version__ = "0.1.0"
