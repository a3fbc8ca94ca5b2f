#!/bin/sh
# Inspection gate: fail when the scan report has a CRITICAL finding.
report=${1:?usage: sh check-report.sh REPORT}
if grep -q '"severity": "CRITICAL"' "$report"; then
  echo "check-report: CRITICAL finding(s) in $report:" >&2
  grep '"severity": "CRITICAL"' "$report" >&2
  exit 1
fi
echo "check-report: no CRITICAL findings in $report"
