"""Print passed/failed/skipped counts of a junit XML file and group failures by cause.

The cause of a failure is the last line of its error message (the exception, usually
the server's SQLSTATE error), with names, numbers and quoted identifiers blanked so that
the same missing feature met by many tests counts once.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter


def cause(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    pick = ""
    for ln in lines:  # the exception line, not the SQL echo or the traceback
        if re.match(r"^(E\s+)?[\w.]+(Error|Exception|Failure|Timeout|Warning)\b", ln) or \
                ln.startswith(("sqlalchemy.exc.", "psycopg.", "AssertionError", "Failed:")):
            pick = ln
    pick = pick or (lines[-1] if lines else "")
    pick = re.sub(r"^E\s+", "", pick)
    pick = re.sub(r'"[^"]*"', '"…"', pick)
    pick = re.sub(r"'[^']*'", "'…'", pick)
    pick = re.sub(r"\b\d+\b", "N", pick)
    return pick[:160]


def main(suite: str, path: str) -> None:
    root = ET.parse(path).getroot()
    counts = Counter()
    causes: Counter[str] = Counter()
    setup: Counter[tuple[str, str]] = Counter()
    for case in root.iter("testcase"):
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                kind = "failed"
                text = (child.get("message") or "") + "\n" + (child.text or "")
                causes[cause(text)] += 1
                if (child.get("message") or "").startswith("failed on setup"):
                    cls = (case.get("classname") or "").rsplit(".", 1)[-1].split("_omendb")[0]
                    setup[(cls, cause(text))] += 1
            elif child.tag == "skipped":
                kind = "skipped"
        counts[kind] += 1
    total = sum(counts.values())
    print(f"    {suite}: {counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['skipped']} skipped ({total} tests)")
    if causes:
        print("    main failure causes (count  cause):")
        for text, n in causes.most_common(25):
            print(f"    {n:6d}  {text}")
    big = [(k, n) for k, n in setup.most_common() if n >= 5]
    if big:
        print("    whole test classes failing in their shared setup (one cause, many tests):")
        for (cls, text), n in big:
            print(f"    {n:6d}  {cls}: {text}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
