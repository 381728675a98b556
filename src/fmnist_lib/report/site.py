"""The Jupyter Book build: the executed notebooks rendered into `_build/html`, warnings as errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..errors import ReportError
from .execute import Paths


def build_site(root: Path) -> Path:
    """Render the executed notebooks with Jupyter Book, from scratch, warnings as errors."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book if jupyter_book.exists() else "jupyter-book"), "build", str(root), "--all",
               "-W", "-n", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        problems = [line for line in result.stdout.splitlines() + result.stderr.splitlines()
                    if "WARNING" in line or "ERROR" in line] or result.stderr.splitlines()[-20:]
        raise ReportError("The site did not build:\n" + "\n".join(problems[:30]))
    return Paths(root).site
