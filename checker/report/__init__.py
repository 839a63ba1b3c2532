"""Reports read results only: the terminal table, report.json, the Markdown claims table.

Submodules load on first use, so `checker list` (Markdown only) does not pay
for the runner's imports.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submod_attrs={
        "json_report": ["report_dict", "write_json_report"],
        "markdown": ["claims_table", "last_verdicts", "summary_markdown"],
        "files": ["write_reports"],
        "ci": ["github_annotations", "write_junit"],
        "html": ["write_html_report"],
        "terminal": ["print_problems", "print_results"],
    },
)
