#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The OpenMetrics checker itself: it passes a valid exposition and catches
each kind of mistake it claims to catch (TAP)."""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location(
    "omcheck", os.path.join(os.path.dirname(os.path.abspath(__file__)), "openmetrics-check.py"))
omcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(omcheck)

GOOD = """# TYPE a_notifications counter
# HELP a_notifications Calls, by \\"rule\\".
a_notifications_total{policy="p",rule="we\\"ird\\\\na\\nme",action="continue"} 3
a_notifications_total{policy="p",rule="r",action="errno"} 0
# TYPE a_latency_seconds histogram
# UNIT a_latency_seconds seconds
# HELP a_latency_seconds Time.
a_latency_seconds_bucket{le="0.00001"} 1
a_latency_seconds_bucket{le="0.5"} 4
a_latency_seconds_bucket{le="1.0"} 4
a_latency_seconds_bucket{le="+Inf"} 5
a_latency_seconds_count 5
a_latency_seconds_sum 2.5
# TYPE a_containers gauge
# HELP a_containers Now.
a_containers{policy=""} 0
# TYPE a_empty counter
# HELP a_empty A family with no samples yet.
# HELP a_untyped No TYPE: unknown.
a_untyped 1
# EOF
"""

# (what is wrong, the text): each must be rejected.
BAD = [
    ("no # EOF", GOOD.replace("# EOF\n", "")),
    ("text after # EOF", GOOD + "a_containers 1\n"),
    ("counter sample without _total", GOOD.replace("a_notifications_total{policy=\"p\",rule=\"r\"",
                                                   "a_notifications{policy=\"p\",rule=\"r\"")),
    ("counter family named _total", GOOD.replace("# TYPE a_notifications counter",
                                                 "# TYPE a_notifications_total counter")),
    ("bad metric name", GOOD.replace("a_containers{", "3a_containers{")),
    ("bad label name", GOOD.replace("policy=\"\"", "po-licy=\"\"")),
    ("bad escape in label", GOOD.replace("rule=\"r\"", "rule=\"r\\t\"")),
    ("unescaped quote in label", GOOD.replace("rule=\"r\"", "rule=\"r\"x\"")),
    ("raw newline in label", GOOD.replace("rule=\"r\"", "rule=\"r\n\"")),
    ("trailing comma", GOOD.replace("action=\"errno\"}", "action=\"errno\",}")),
    ("duplicate label", GOOD.replace("action=\"errno\"", "action=\"errno\",policy=\"q\"")),
    ("duplicate sample", GOOD.replace("a_containers{policy=\"\"} 0\n", "a_containers{policy=\"\"} 0\n"
                                      "a_containers{policy=\"\"} 1\n")),
    ("buckets not increasing in le", GOOD.replace("le=\"0.5\"", "le=\"0.000001\"")),
    ("bucket counts going down", GOOD.replace("{le=\"1.0\"} 4", "{le=\"1.0\"} 3")),
    ("no +Inf bucket", GOOD.replace("a_latency_seconds_bucket{le=\"+Inf\"} 5\n", "")),
    ("_count differs from +Inf", GOOD.replace("a_latency_seconds_count 5", "a_latency_seconds_count 6")),
    ("bucket without le", GOOD.replace("{le=\"0.5\"}", "{lx=\"0.5\"}")),
    ("unit not a suffix", GOOD.replace("# UNIT a_latency_seconds seconds", "# UNIT a_latency_seconds bytes")),
    ("stray comment", GOOD.replace("# TYPE a_containers gauge\n", "# a comment\n# TYPE a_containers gauge\n")),
    ("unknown type", GOOD.replace("a_containers gauge", "a_containers gauges")),
    ("interleaved family", GOOD.replace("# EOF\n", "a_notifications_total{policy=\"x\",rule=\"r\",action=\"kill\"} 1\n# EOF\n")),
    ("metadata after samples", GOOD.replace("a_containers{policy=\"\"} 0\n", "a_containers{policy=\"\"} 0\n# HELP a_containers Again.\n")),
    ("bad value", GOOD.replace("a_latency_seconds_sum 2.5", "a_latency_seconds_sum 2,5")),
    ("negative counter", GOOD.replace("action=\"continue\"} 3", "action=\"continue\"} -3")),
    ("two spaces before value", GOOD.replace("a_latency_seconds_sum 2.5", "a_latency_seconds_sum  2.5")),
    ("empty line", GOOD.replace("# TYPE a_containers", "\n# TYPE a_containers")),
    ("TYPE twice", GOOD.replace("# HELP a_containers Now.", "# TYPE a_containers gauge")),
]

print("1..%d" % (1 + len(BAD)))
problems, fams, samples = omcheck.check(GOOD)
print("%s 1 - the valid exposition passes (%d families, %d samples)%s" %
      ("not ok" if problems else "ok", fams, samples, "".join("\n# " + p for p in problems)))
failed = bool(problems)
for i, (what, text) in enumerate(BAD, 2):
    problems, _, _ = omcheck.check(text)
    print("%s %d - rejected: %s%s" % ("ok" if problems else "not ok", i, what,
                                       "".join("\n# " + p for p in problems[:2])))
    failed |= not problems
sys.exit(1 if failed else 0)
