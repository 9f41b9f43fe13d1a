"""``python -m formcheck`` runs the command-line interface."""

from formcheck.cli import main

raise SystemExit(main())
