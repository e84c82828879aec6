"""Lesson Markdown turned into what a teacher prints or edits: chat Markdown, print-ready
HTML, and a Word document with real headings, lists and tables; `[[cut]]` becomes the
reply slip's cut line and `[[pagebreak]]` a page break."""

import html
import io
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.errors import BadInputError

CUT, PAGEBREAK = "[[cut]]", "[[pagebreak]]"


def chat_markdown(markdown: str) -> str:
    return markdown.replace(CUT, "✂ - - - - - - - - 沿此线剪下 - - - - - - - -").replace(PAGEBREAK, "")


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", serif;
       font-size: 12pt; line-height: 1.65; color: #111; max-width: 178mm; margin: 0 auto; }
h1 { font-size: 20pt; text-align: center; margin: 0 0 10pt; }
h2 { font-size: 14pt; border-bottom: 1px solid #999; padding-bottom: 2pt; margin-top: 14pt; }
h3 { font-size: 12.5pt; margin: 10pt 0 4pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; }
th, td { border: 1px solid #444; padding: 5pt 6pt; text-align: left; min-height: 18pt; }
td { height: 22pt; }
blockquote { margin: 6pt 0; padding: 4pt 10pt; border-left: 3pt solid #bbb; background: #f6f6f6; }
.cut { border-top: 1.5px dashed #333; margin: 22pt 0 12pt; padding-top: 4pt; text-align: center;
       font-size: 10pt; color: #333; page-break-inside: avoid; }
.cut + h2, .cut ~ table { page-break-inside: avoid; }
.pagebreak { page-break-after: always; }
"""


def to_html(markdown: str, title: str) -> str:
    body = _parser().render(markdown)
    body = body.replace(f"<p>{html.escape(CUT)}</p>", '<div class="cut">✂ 沿此线剪下</div>')
    body = body.replace(f"<p>{html.escape(PAGEBREAK)}</p>", '<div class="pagebreak"></div>')
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def to_docx(markdown: str, title: str) -> bytes:
    """Real Word structure: headings, bullet lists, tables and the reply slip after a
    dashed cut line, so teachers can edit it."""
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Docx()
    document.core_properties.title = title
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3"):
        style = document.styles[style_name]
        style.font.name = "SimSun"
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    document.styles["Normal"].font.size = Pt(11)
    tokens = _parser().parse(markdown)
    i = 0
    list_styles: list[str] = []
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            level = int(token.tag[1])
            heading = document.add_heading(_inline(tokens[i + 1]), level=0 if level == 1 else level - 1)
            if level == 1:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
            i += 3
            continue
        if token.type in ("bullet_list_open", "ordered_list_open"):
            list_styles.append("List Bullet" if token.type == "bullet_list_open" else "List Number")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            list_styles.pop()
        elif token.type == "paragraph_open":
            text = _inline(tokens[i + 1])
            if text == CUT:
                cut = document.add_paragraph("✂ - - - - - - - - - - - - 沿此线剪下 - - - - - - - - - - - -")
                cut.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif text == PAGEBREAK:
                document.add_page_break()
            elif list_styles:
                document.add_paragraph(text, style=list_styles[-1])
            else:
                paragraph = document.add_paragraph()
                _add_runs(paragraph, tokens[i + 1])
            i += 3
            continue
        elif token.type == "blockquote_open":
            pass
        elif token.type == "table_open":
            i = _add_table(document, tokens, i)
            continue
        i += 1
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _inline(token: Token) -> str:
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline")) or (
        token.content
    )


def _add_runs(paragraph, token: Token) -> None:
    bold = False
    for child in token.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type in ("text", "code_inline"):
            paragraph.add_run(child.content).bold = bold
        elif child.type in ("softbreak", "hardbreak"):
            paragraph.add_run("\n")


def _add_table(document, tokens: list[Token], start: int) -> int:
    from docx.shared import Cm

    rows: list[list[str]] = []
    i = start
    while tokens[i].type != "table_close":
        if tokens[i].type == "tr_open":
            rows.append([])
        elif tokens[i].type == "inline":
            rows[-1].append(_inline(tokens[i]).strip())
        i += 1
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        if r:  # room to write a name or a signature by hand
            table.rows[r].height = Cm(1.0)
        for c, cell in enumerate(row):
            table.cell(r, c).text = cell
            if r == 0:
                for run in table.cell(r, c).paragraphs[0].runs:
                    run.bold = True
    return i + 1


def write_lesson(data: bytes, path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise BadInputError(f"{path} already exists: use --force to overwrite it")
    path.write_bytes(data)
