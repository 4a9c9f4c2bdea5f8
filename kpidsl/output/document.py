"""A neutral document: a small tree of headings, paragraphs, lists and tables.

The bonus regulation (`output.regulation`) is built once as this tree and written by
three writers — Markdown and HTML (`output.docwrite`) and Word (`output.wordfile`) — so
the three say the same words in the same order.  Text is plain: the writers escape it
for their format.  A name in backticks (`` `roas` ``) is shown as code, as the reports'
statement texts write names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

ParagraphStyle = Literal["body", "lead", "note", "formula"]


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 is a chapter, 2 a section, 3 a subsection; `anchor` for links."""

    tag: ClassVar[str] = "heading"  # for templates, which cannot ask for a type

    level: int
    text: str
    anchor: str = ""
    number: str = ""  # a chapter's number ("2."), shown before the text

    @property
    def shown(self) -> str:
        return f"{self.number} {self.text}" if self.number else self.text


@dataclass(frozen=True)
class Paragraph:
    tag: ClassVar[str] = "paragraph"  # for templates, which cannot ask for a type

    text: str
    style: ParagraphStyle = "body"


@dataclass(frozen=True)
class Bullets:
    tag: ClassVar[str] = "bullets"  # for templates, which cannot ask for a type

    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    """A table: the header, the body rows, an optional total row.

    `numeric` are the columns shown right-aligned (numbers, money); `wide` says the
    table needs a landscape page in print (the role's KPI table has eleven columns);
    `kind` names it for the writers' styles and for tests (`kpi`, `scale`, `example` …);
    `key` is what the table is about (a role's or an employee's name)."""

    tag: ClassVar[str] = "table"  # for templates, which cannot ask for a type

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: tuple[str, ...] | None = None
    numeric: frozenset[int] = frozenset()
    kind: str = ""
    key: str = ""
    caption: str = ""
    wide: bool = False

    def __post_init__(self) -> None:
        for row in (*self.rows, *((self.footer,) if self.footer is not None else ())):
            if len(row) != len(self.columns):
                raise ValueError(f"a {self.kind or 'table'} row has {len(row)} cells for {len(self.columns)} columns")


Block = Heading | Paragraph | Bullets | Table


@dataclass
class Document:
    """A whole document: its title lines, language and blocks in reading order.

    `contents` asks the writer for a table of contents (a TOC field in Word, a list of
    the level-1 headings in HTML and Markdown)."""

    title: str
    subtitle: str
    lang: str
    blocks: list[Block] = field(default_factory=list)
    contents: str = ""  # the heading of the table of contents; "" for none
    contents_hint: str = ""  # shown in Word until the contents field is updated
    footer: str = ""  # one line at the end (the version, in the regulation)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def headings(self, level: int = 1) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading) and b.level == level]

    def chapters(self) -> list[Chapter]:
        """The blocks grouped by level-1 heading (the blocks before the first in a chapter
        without one); a chapter with a wide table prints on landscape pages."""
        out: list[Chapter] = []
        for block in self.blocks:
            if not out or (isinstance(block, Heading) and block.level == 1):
                out.append(Chapter(block if isinstance(block, Heading) and block.level == 1 else None, []))
                if out[-1].heading is not None:
                    continue
            out[-1].blocks.append(block)
        return out

    def tables(self, kind: str = "") -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table) and (not kind or b.kind == kind)]


@dataclass
class Chapter:
    heading: Heading | None
    blocks: list[Block]

    @property
    def wide(self) -> bool:
        return any(isinstance(b, Table) and b.wide for b in self.blocks)
