"""Reports read results only: the terminal table, report.json, and the files that follow."""

from checker.report.json_report import report_dict, write_json_report
from checker.report.terminal import print_problems, print_results

__all__ = ["print_problems", "print_results", "report_dict", "write_json_report"]
