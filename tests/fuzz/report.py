"""How the fuzz tells what it found: one paragraph per class of failure."""

from __future__ import annotations

import json
import os

import pytest

from tests.fuzz.harness import Finding


def fail_on(findings: list[Finding]) -> None:
    """Fail the test with every finding (and write them to BV_FUZZ_REPORT when set)."""
    if not findings:
        return
    path = os.environ.get("BV_FUZZ_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            for finding in findings:
                out.write(json.dumps(vars(finding), ensure_ascii=False) + "\n")
    lines = [f"{len(findings)} kind(s) of answer that is not calm:"]
    for finding in findings:
        lines.append(f"- {finding.kind} ×{finding.count}: {finding.summary}")
        lines.append(f"    e.g. {finding.example}")
    pytest.fail("\n".join(lines), pytrace=False)
