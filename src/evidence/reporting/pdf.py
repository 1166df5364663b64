"""Print a page to PDF with headless Chromium (Debian's ``chromium``, the browser the tests use),
offline: the pages load nothing from another host, and Chromium is started without a profile."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from evidence.errors import EvidenceError
from evidence.files import staged

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PRINT_TIMEOUT_SECONDS = 300


class PrintError(EvidenceError):
    """Chromium is missing or could not print the page."""


def find_chromium() -> str:
    """The Chromium executable: ``$EVIDENCE_CHROMIUM`` if set, else the first on the PATH."""
    chosen = os.environ.get("EVIDENCE_CHROMIUM")
    if chosen:
        return chosen
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PrintError(
        "no Chromium found to print the PDF: install Debian's chromium (`make chromium`) "
        "or set EVIDENCE_CHROMIUM to its path"
    )


def print_pdf(page: Path, pdf: Path, timeout: float = PRINT_TIMEOUT_SECONDS) -> Path:
    """Print ``page`` (an HTML file) to ``pdf`` (A4, backgrounds on, Chromium's own header and
    footer off: the page's print stylesheet sets its header), atomically; returns ``pdf``."""
    command = [
        find_chromium(),
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
    ]
    if os.geteuid() == 0:  # Chromium refuses to run as root inside its sandbox
        command.append("--no-sandbox")
    with tempfile.TemporaryDirectory(prefix="evidence-chromium-") as profile, staged(pdf) as temp:
        result = subprocess.run(
            [*command, f"--user-data-dir={profile}", f"--print-to-pdf={temp}", Path(page).resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0 or not temp.is_file() or not temp.read_bytes().startswith(b"%PDF"):
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise PrintError(f"Chromium could not print {page} to PDF (exit {result.returncode}):\n{tail}")
    return pdf
