"""`python -m mss_qa` runs the command line."""

from mss_qa.apps.cli import main

main()
