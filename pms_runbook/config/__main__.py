"""python -m pms_runbook.config [--readme]: print the table of settings, or rewrite README's copy of it."""
import sys
from pathlib import Path

from .table import README_END, README_START, markdown

if "--readme" not in sys.argv[1:]:
    sys.stdout.write(markdown())
    sys.exit(0)
readme = Path(__file__).resolve().parents[2] / "README.md"
head, rest = readme.read_text(encoding="utf-8").split(README_START, 1)
readme.write_text(head + README_START + markdown() + README_END + rest.split(README_END, 1)[1], encoding="utf-8")
