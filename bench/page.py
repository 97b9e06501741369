"""The report already written, read back: a run of the standalone parts alone (`STANDALONE`:
the simulated ones, and those whose section names its own run) rebuilds the page with the
sections, summary rows and machine table of the other parts kept as they were (their figures
are not on file)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Page"]


@dataclass
class Page:
    machine: list[str] = field(default_factory=list)  # the machine and run table
    summary: list[str] = field(default_factory=list)  # the summary table's rows, no header
    sections: dict[str, list[str]] = field(default_factory=dict)  # title: lines after it

    @classmethod
    def read(cls, text: str) -> Page:
        page = cls()
        heading, block = "", []
        for line in [*text.splitlines(), "## "]:
            if not line.startswith("## "):
                block.append(line)
                continue
            page._keep(heading, block)
            heading, block = line[3:], []
        return page

    def _keep(self, heading: str, block: list[str]) -> None:
        while block and not block[-1].strip():
            block.pop()
        if heading == "Machine and run":
            self.machine = [line for line in block if line.startswith("|")]
        elif heading == "Summary":
            rows = [line for line in block if line.startswith("| ")]
            self.summary = rows[1:]  # below the header (the separator starts with "|-")
        elif heading[:1].isdigit():
            self.sections[heading] = block

    def rows_not_of(self, prefixes: tuple[str, ...]) -> list[str]:
        """The summary rows whose figure starts with none of `prefixes`."""
        return [row for row in self.summary if not row[2:].startswith(prefixes)]
