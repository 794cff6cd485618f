#!/usr/bin/env python3
"""Regenerate docs/screenshots/ (the web console's main pages, shown in the README).

Runs the browser tests (tests/e2e) with MUTUALAID_SCREENSHOTS set: each test saves the pages it walks through as
PNG files, 1366×768 for the offices and 360 px wide for the phone pages. Needs chromium and chromium-driver
(.ci/run installs them). Usage: python scripts/screenshots.py [pytest options]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The pages the browser tests save (docs/screenshots/<name>.png): name, what it shows.
PAGES = [
    ("town-home", "town admin's home"),
    ("policy", "policy and subsidy table"),
    ("policy-errors", "publishing refused, errors by field"),
    ("household", "a household: enrolment and fees"),
    ("ledger", "trial balance"),
    ("county", "county: towns behind target first"),
    ("review-queue", "reviewer's queue"),
    ("claim-review", "claim with photos and the computed decision"),
    ("phone-household", "coordinator on a phone"),
    ("phone-member", "member on a phone"),
    ("phone-claim", "member's claim filed with photos"),
    ("payout-batch", "a month's payout batch prepared by the town admin (tests/e2e/test_payouts.py)"),
    ("payout-approved", "the batch approved by town finance, ready for the bank file"),
    ("phone-village-payouts", "a coordinator's 本村补助 on a phone"),
    ("town-report", "the town files its quarterly report (tests/e2e/test_supervision.py)"),
    ("county-reports", "county: quarterly reports to review"),
    ("county-report-review", "county: returning a report needs a comment, said in Chinese"),
    ("evaluation", "county: the November evaluation scorecard"),
    ("town-trend", "a town's trend charts, fund health and run-dry probability"),
    ("disclosure-draft", "a month's disclosure drafted from the ledger (tests/e2e/test_disclosure.py)"),
    ("disclosure", "the disclosure published, with links to its public page, village PDFs and exports"),
    ("audit-log", "the town's audit log searched by action"),
    ("design", "one-click scheme design from the town's funds and participants (tests/e2e/test_design.py)"),
    ("design-simulation", "the designed table's solvency simulation: run-dry probability and charts"),
    ("design-solvency", "a draft policy's own table simulated; the outcome then shows beside publish"),
]


def main() -> int:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["MUTUALAID_SCREENSHOTS"] = str(out)
    env.setdefault("TEST_DATABASE_NAME", "test_screenshots")
    env.setdefault("MUTUALAID_HOME", str(ROOT / "var"))
    python = ROOT / ".venv" / "bin" / "python"
    command = [
        str(python if python.exists() else sys.executable),
        "-m",
        "pytest",
        "tests/e2e",
        "-q",
        *sys.argv[1:],
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    print("\n".join(sorted(p.name for p in out.glob("*.png"))))
    missing = [name for name, _ in PAGES if not (out / f"{name}.png").exists()]
    if missing:
        print("missing:", ", ".join(missing))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
