"""A `Document` (`output.document`) as Markdown or as one self-contained HTML page.

Markdown is written here, every text through the reports' escaper (`render.md_ticks`:
a `|` or `<` in a KPI's title cannot break a table or open HTML); a cell's lines are
joined with `<br>`.  HTML comes from the template `reports/regulation.html.j2`,
rendered in the reports' sandbox with autoescaping, with the reports' stylesheet and
its own print rules (A4; the chapters with wide tables on landscape pages).
"""

from __future__ import annotations

from kpidsl.base.resources import resource_dir
from kpidsl.output.document import Bullets, Document, Heading, Paragraph, Table
from kpidsl.output.render import html_ticks, md_ticks

HTML_TEMPLATE = "regulation.html.j2"


def to_markdown(doc: Document) -> str:
    out = [f"# {md_ticks(doc.title)}", "", f"**{md_ticks(doc.subtitle)}**", ""]
    if doc.contents:
        out += [f"## {md_ticks(doc.contents)}", ""]
        out += [f"- {_md_heading(h)}" for h in doc.headings(1)]
        out.append("")
    for block in doc.blocks:
        out += _md_block(block)
        out.append("")
    if doc.footer:
        out += ["---", "", f"*{md_ticks(doc.footer)}*"]
    return "\n".join(out).rstrip() + "\n"


def _md_block(block: Heading | Paragraph | Bullets | Table) -> list[str]:
    if isinstance(block, Heading):
        return [f"{'#' * (block.level + 1)} {_md_heading(block)}"]
    if isinstance(block, Paragraph):
        text = md_ticks(block.text)
        return [f"**{text}**" if block.style == "formula" else f"*{text}*" if block.style == "note" else text]
    if isinstance(block, Bullets):
        return [f"{i}. {md_ticks(item)}" if block.numbered else f"- {md_ticks(item)}"
                for i, item in enumerate(block.items, start=1)]
    return _md_table(block)


def _md_heading(h: Heading) -> str:
    """The number as is (escaping would write `1\\.`), the text escaped."""
    return (f"{h.number} " if h.number else "") + md_ticks(h.text)


def _md_cell(text: str, bold: bool = False) -> str:
    shown = "<br>".join(md_ticks(line) for line in text.split("\n"))
    return f"**{shown}**" if bold and shown else shown


def _md_table(table: Table) -> list[str]:
    out = [f"*{md_ticks(table.caption)}*", ""] if table.caption else []
    out.append("| " + " | ".join(_md_cell(c) for c in table.columns) + " |")
    out.append("|" + "|".join("---:" if i in table.numeric else "---" for i in range(len(table.columns))) + "|")
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    if table.footer is not None:
        out.append("| " + " | ".join(_md_cell(c, bold=True) for c in table.footer) + " |")
    return out


def to_html(doc: Document) -> str:
    from jinja2 import StrictUndefined

    from kpidsl.output.sandbox import render_capped, sandbox

    env = sandbox([str(resource_dir("reports"))], autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["ticks"] = html_ticks
    return render_capped(env.get_template(HTML_TEMPLATE).generate({"doc": doc, "chapters": doc.chapters()}))
