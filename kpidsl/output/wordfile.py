"""A `Document` (`output.document`) as a Word file (.docx), made with python-docx.

A real Word document that HR can edit around the generated parts: Word's own heading
styles (so the navigation pane and the table of contents work), a TOC field marked for
update (Word fills it on opening), tables in the "Table Grid" style with a repeated header row,
page numbers in the footer, A4 pages with the usual Russian margins, and Times New Roman
set for every script (LibreOffice shows its metric twin Liberation Serif where it is
missing), so Cyrillic and ₽ show.
A chapter with a wide table (the KPI tables) gets landscape pages of its own.

python-docx is an optional dependency (`pip install 'kpidsl[docx]'`); without it
`to_docx` raises `WordUnavailable`, which says so.
"""

from __future__ import annotations

import io
import re
from typing import Any

from kpidsl.output.document import Bullets, Chapter, Document, Heading, Paragraph, Table

FONT = "Times New Roman"
MONO = "Courier New"
INSTALL = "pip install 'kpidsl[docx]'"
_TICKS = re.compile(r"`([^`\n]+)`")
LANGS = {"ru": "ru-RU", "en": "en-GB"}


class WordUnavailable(RuntimeError):
    """python-docx is not installed."""


def to_docx(doc: Document) -> bytes:
    try:
        import docx
    except ImportError:
        raise WordUnavailable(f"--format docx needs python-docx, which is not installed: {INSTALL}") from None
    word = docx.Document()
    _styles(word, LANGS.get(doc.lang, doc.lang))
    section = word.sections[0]
    _page(section, landscape=False)
    _footer(section)
    word.core_properties.title = doc.title
    word.core_properties.subject = doc.subtitle
    word.core_properties.language = LANGS.get(doc.lang, doc.lang)
    word.add_paragraph(doc.title, style="Title")
    word.add_paragraph(doc.subtitle, style="Subtitle")
    if doc.contents:
        contents = word.add_paragraph(style="Normal")
        contents.add_run(doc.contents).bold = True
        _toc(word.add_paragraph(), doc.contents_hint)
    landscape = False
    for chapter in doc.chapters():
        if chapter.wide != landscape:
            landscape = chapter.wide
            from docx.enum.section import WD_SECTION

            _page(word.add_section(WD_SECTION.NEW_PAGE), landscape)
        _chapter(word, chapter)
    if doc.footer:
        _runs(word.add_paragraph(style="Normal"), doc.footer, italic=True)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _chapter(word: Any, chapter: Chapter) -> None:
    if chapter.heading is not None:
        word.add_heading(chapter.heading.shown, level=1)
    for block in chapter.blocks:
        if isinstance(block, Heading):
            word.add_heading(block.shown, level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            p = word.add_paragraph(style="Normal")
            _runs(p, block.text, bold=block.style in ("lead", "formula"), italic=block.style == "note")
        elif isinstance(block, Bullets):
            for item in block.items:
                _runs(word.add_paragraph(style="List Number" if block.numbered else "List Bullet"), item)
        else:
            _table(word, block)


def _table(word: Any, table: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if table.caption:
        _runs(word.add_paragraph(style="Caption"), table.caption)
    rows = [table.columns, *table.rows, *((table.footer,) if table.footer is not None else ())]
    grid = word.add_table(rows=len(rows), cols=len(table.columns))
    grid.style = word.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = Pt(8) if table.wide else Pt(10)
    for r, row in enumerate(rows):
        bold = r == 0 or (table.footer is not None and r == len(rows) - 1)
        for c, text in enumerate(row):
            paragraph = grid.cell(r, c).paragraphs[0]
            if c in table.numeric and r > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for i, line in enumerate(text.split("\n")):
                if i:
                    paragraph.add_run().add_break()
                _runs(paragraph, line, bold=bold, size=size)
    _repeat_header(grid.rows[0])
    word.add_paragraph(style="Normal")  # Word joins two tables that touch


def _runs(paragraph: Any, text: str, bold: bool = False, italic: bool = False, size: Any = None) -> None:
    """`text` as runs, names in backticks in a monospaced face."""
    for i, part in enumerate(_TICKS.split(text)):
        if not part:
            continue
        run = paragraph.add_run(part)
        run.bold, run.italic = bold or None, italic or None
        if size is not None:
            run.font.size = size
        if i % 2:
            _font(run.font, MONO, run._element.get_or_add_rPr())


def _font(font: Any, name: str, rpr: Any) -> None:
    """`name` for every script: Latin, Cyrillic (hAnsi), East Asian and complex scripts."""
    from docx.oxml.ns import qn

    font.name = name
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _styles(word: Any, lang: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for style in word.styles:
        if getattr(style, "font", None) is None or style.type != 1:  # paragraph styles only
            continue
        _font(style.font, FONT, style.element.get_or_add_rPr())
    normal = word.styles["Normal"]
    normal.font.size = Pt(11)
    rpr = normal.element.get_or_add_rPr()
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), lang)
    language.set(qn("w:eastAsia"), lang)
    rpr.append(language)
    for level, size in ((1, 15), (2, 13), (3, 12)):
        heading = word.styles[f"Heading {level}"]
        heading.font.size = Pt(size)
        heading.font.color.rgb = RGBColor(0x1E, 0x4E, 0x79)
    word.styles["Title"].font.size = Pt(22)


def _page(section: Any, landscape: bool) -> None:
    """A4 with margins of 25 mm left, 15 mm right, 20 mm top and bottom."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height
    section.left_margin, section.right_margin = Mm(25), Mm(15)
    section.top_margin = section.bottom_margin = Mm(20)


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A Word field (`PAGE`, `TOC …`): begin, instruction, separate, shown text, end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            element.set(qn("w:dirty"), "true")  # Word recomputes it on opening
        return element

    paragraph.add_run()._r.append(char("begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    paragraph.add_run()._r.append(char("separate"))
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(char("end"))


def _toc(paragraph: Any, hint: str) -> None:
    _field(paragraph, 'TOC \\o "1-2" \\h \\z \\u', hint or "…")


def _footer(section: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph, "PAGE", "1")


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)

