"""Read source files into Documents.

Plain text (.txt, .md) is kept exactly as decoded from disk. HTML, PDF and Word (.docx) files
are reduced to their text first; that extracted text is the Document (and the copy stored
beside the index), so every citation's offsets point into text that can be shown and checked
verbatim.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

from mss_qa.types import Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class SourceFile:
    """A candidate file and the name it is cited by."""

    path: Path
    source: str


class Unusable(Exception):
    """A file whose content cannot become a Document; the message is the reason."""


def discover(paths: Iterable[Path]) -> Iterator[SourceFile]:
    """Expand files and folders into candidate files, named relative to the folder given;
    a file given twice (itself and in its folder) under the same name, once."""
    found: set[tuple[str, str]] = set()
    for path in paths:
        for candidate in _walk(path) if path.is_dir() else [SourceFile(path, path.name)]:
            key = (os.path.realpath(candidate.path), candidate.source)
            if key not in found:
                found.add(key)
                yield candidate


def _walk(root: Path) -> Iterator[SourceFile]:
    """Everything under `root` that is not a folder (hidden names left out), in name order:
    files, and also broken links and the like, so that reading can say why it skips them.
    Symbolic links to folders are followed, each real folder once (by its own path when the
    tree holds it too), so a link that points back up the tree is not a loop."""
    visited: set[str] = set()
    found = []
    for folder, folders, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in visited:
            folders.clear()
            continue
        visited.add(real)
        # Real folders before links to folders: a folder reached both ways is named by its
        # own path, whatever order the system lists them in.
        folders[:] = sorted((name for name in folders if not name.startswith(".")),
                            key=lambda name: (os.path.islink(os.path.join(folder, name)), name))
        for name in files:
            if not name.startswith("."):
                child = Path(folder, name)
                found.append(SourceFile(child, child.relative_to(root).as_posix()))
    yield from sorted(found, key=lambda f: f.source.split("/"))


def read_document(candidate: SourceFile, max_bytes: int = MAX_FILE_BYTES) -> Document | Skipped:
    """Read one file; unreadable, binary, empty, huge or unsupported files become `Skipped`."""
    path = candidate.path
    extract = _EXTRACTORS.get(path.suffix.lower())
    if extract is None:
        return Skipped(path, f"unsupported file type {path.suffix or '(none)'}")
    try:
        candidate.source.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(path, "its name is not UTF-8 text (it could not be cited by name); "
                             "rename it")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return Skipped(path, "not a regular file")
        if info.st_size > max_bytes:
            return Skipped(path, f"larger than {_size(max_bytes)} ({_size(info.st_size)})")
        raw = path.read_bytes()
    except OSError as exc:
        # Includes a file deleted between discovery and reading.
        if path.is_symlink() and exc.errno == errno.ENOENT:
            return Skipped(path, f"broken symbolic link (to {os.readlink(path)})")
        return Skipped(path, f"cannot be read: {exc.strerror or exc}")
    try:
        text = extract(raw)
    except Unusable as exc:
        return Skipped(path, str(exc))
    if not text.strip():
        return Skipped(path, "empty" if not raw.strip() else "no text found")
    return Document(source=candidate.source, text=text)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _plain_text(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusable("not UTF-8 text (UTF-16: save it as UTF-8)")
    if b"\x00" in raw:
        raise Unusable("binary content")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unusable("not UTF-8 text") from None


_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


def _html_text(raw: bytes) -> str:
    if b"\x00" in raw:
        raise Unusable("binary content")
    try:
        markup = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        declared = _DECLARED_CHARSET.search(raw[:4096])
        try:
            markup = raw.decode(declared.group(1).decode("ascii")) if declared else ""
        except (LookupError, UnicodeDecodeError):
            markup = ""
        if not markup:
            raise Unusable("not UTF-8 text and no usable <meta charset>") from None
    try:
        return html_to_text(markup)
    except Exception as exc:  # html.parser is lenient; this is for the markup it is not
        raise Unusable(f"not readable HTML: {type(exc).__name__}: {exc}") from exc


# Elements that start a new paragraph of text; <br> starts a new line, a table row is a line.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption dd details div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr legend li main nav ol p pre section summary table "
    "tbody thead tfoot title tr ul".split()
)
_HEADING_LEVEL = {f"h{n}": n for n in range(1, 7)}
# Elements whose content is never prose (the head's <title> excepted).
_HIDDEN_TAGS = frozenset("script style noscript template svg math iframe object head".split())


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden: list[str] = []
        self._in_title = False
        self._pre = 0
        self._cells = 0  # cells so far in the current table row
        # Written before the next text of a heading ("## ") or list item ("- "), in Markdown's
        # way, so that chunking reads them as such: a heading opens a chunk.
        self._marker = ""

    def _break(self, paragraph: bool) -> None:
        line = "".join(self._line)
        self._line = []
        if not self._pre:
            line = " ".join(line.split())
        if line.strip():
            self.lines.append(line)
        if paragraph and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            # </head> may be omitted: the body ends the head.
            self._hidden = [t for t in self._hidden if t != "head"]
        elif tag in _HIDDEN_TAGS:
            self._hidden.append(tag)
        elif tag == "title":
            self._in_title = True
        if tag == "pre":
            self._pre += 1
        self.handle_startendtag(tag, attrs)
        if tag in _HEADING_LEVEL:
            self._marker = "#" * _HEADING_LEVEL[tag] + " "
        elif tag == "li":
            self._marker = "- "

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._break(paragraph=False)
        elif tag in _BLOCK_TAGS:
            self._break(paragraph=True)
        elif tag in ("td", "th"):
            # A row is one line, written as Markdown writes it: "| Platforms | 9 |".
            self._line.append("| " if self._cells == 0 else " | ")
            self._cells += 1
        if tag == "tr":
            self._cells = 0

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS and tag in self._hidden:
            del self._hidden[len(self._hidden) - 1 - self._hidden[::-1].index(tag):]
        elif tag == "title":
            self._in_title = False
        elif tag in _BLOCK_TAGS:
            if tag == "tr" and self._cells:
                self._line.append(" |")
                self._cells = 0
            self._break(paragraph=True)
        if tag in _HEADING_LEVEL or tag == "li":
            self._marker = ""
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
            self._break(paragraph=True)

    def handle_data(self, data: str) -> None:
        if self._hidden and not (self._in_title and self._hidden == ["head"]):
            return
        if self._marker and data.strip() and not "".join(self._line).strip():
            self._line.append(self._marker)
            self._marker = ""
        self._line.append(data)

    def text(self) -> str:
        self.close()
        self._break(paragraph=True)
        return "\n".join(self.lines).strip("\n") + "\n"


def html_to_text(markup: str) -> str:
    """The readable text of an HTML page: scripts and styles dropped, whitespace collapsed,
    each block element (paragraph, heading, list item, table row, ...) on its own paragraph,
    headings marked "# " to "###### ", list items "- " and table rows "| a | b |" as
    Markdown writes them."""
    parser = _TextExtractor()
    parser.feed(markup)
    return parser.text()


def _pdf_text(raw: bytes) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf reports recoverable damage as warnings on its logger; the reason we keep is ours.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unusable("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unusable:
        raise
    except PyPdfError as exc:
        raise Unusable(f"not a readable PDF: {exc}") from exc
    except Exception as exc:  # pypdf on damaged input can fail in many other ways
        raise Unusable(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    # Pages become paragraphs; NULs and lone carriage returns never reach the stored text.
    text = "\n\n".join(page.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
                       for page in pages)
    if not text.strip():
        raise Unusable("no text found (a scanned PDF needs OCR first)")
    return text + "\n"


# The XML of a .docx's text, uncompressed: far above any real document's, far below what a
# small archive built to expand without end would take.
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WORD_HEADING = re.compile(r"(?:heading|title)\s*(\d)?", re.IGNORECASE)


def _docx_text(raw: bytes) -> str:
    """The text of a Word document, as the HTML reader writes a page: one paragraph per
    block, headings "# ", list items "- ", table rows "| a | b |"."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            try:
                part = archive.getinfo("word/document.xml")
            except KeyError:
                raise Unusable("not a Word document (no word/document.xml inside)") from None
            if part.file_size > MAX_DOCX_XML_BYTES:
                raise Unusable(f"its text part is larger than {_size(MAX_DOCX_XML_BYTES)}")
            with archive.open(part) as stream:
                xml = stream.read(MAX_DOCX_XML_BYTES + 1)
    except Unusable:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError,
            OSError, EOFError, ValueError) as exc:
        # RuntimeError: encrypted; NotImplementedError: a compression zipfile lacks.
        raise Unusable(f"not a readable .docx file: {exc}") from exc
    if len(xml) > MAX_DOCX_XML_BYTES:
        raise Unusable(f"its text part is larger than {_size(MAX_DOCX_XML_BYTES)}")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # never in Word's own output
        raise Unusable("not a readable .docx file: its XML declares entities")
    try:
        body = ElementTree.fromstring(xml).find(f"{_W}body")
    except ElementTree.ParseError as exc:
        raise Unusable(f"not a readable .docx file: {exc}") from exc
    if body is None:
        raise Unusable("not a readable .docx file: no document body")
    blocks: list[str] = []
    for element in body:
        if element.tag == f"{_W}p":
            blocks.append(_docx_paragraph(element))
        elif element.tag == f"{_W}tbl":
            blocks += _docx_rows(element)
    text = "\n\n".join(block for block in blocks if block.strip())
    if not text:
        raise Unusable("no text found")
    return text + "\n"


def _docx_paragraph(paragraph: ElementTree.Element) -> str:
    text = " ".join(_docx_runs(paragraph).split())
    properties = paragraph.find(f"{_W}pPr")
    if not text or properties is None:
        return text
    style_tag = properties.find(f"{_W}pStyle")
    style = style_tag.get(f"{_W}val", "") if style_tag is not None else ""
    heading = _WORD_HEADING.fullmatch(style)
    outline = properties.find(f"{_W}outlineLvl")
    if heading is not None:
        level = int(heading.group(1) or 1)
    elif outline is not None and outline.get(f"{_W}val", "") in tuple("012345678"):
        level = int(outline.get(f"{_W}val", "0")) + 1  # 9 is Word's "body text"
    else:
        # A numbered or bulleted paragraph: numbering of its own, or from a list style.
        listed = properties.find(f"{_W}numPr") is not None or style.lower().startswith("list")
        return f"- {text}" if listed else text
    return f"{'#' * min(max(level, 1), 6)} {text}"


def _docx_runs(element: ElementTree.Element) -> str:
    """The visible text under `element`, in order: text, tabs and breaks as spaces; deleted
    text, field codes and the fallback copy of drawn text boxes left out."""
    pieces = []
    for child in element:
        if child.tag == f"{_W}t":
            pieces.append(child.text or "")
        elif child.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
            pieces.append(" ")
        elif child.tag != _FALLBACK:
            pieces.append(_docx_runs(child))
    return "".join(pieces)


def _docx_rows(table: ElementTree.Element) -> list[str]:
    """Each row of a table (and of tables inside it) as "| a | b |"."""
    rows = []
    for row in table.iter(f"{_W}tr"):
        cells = [" ".join(" ".join(_docx_runs(p).split())
                          for p in cell.iter(f"{_W}p")).strip()
                 for cell in row.findall(f"{_W}tc")]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    return rows


_EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    ".txt": _plain_text,
    ".md": _plain_text,
    ".html": _html_text,
    ".htm": _html_text,
    ".pdf": _pdf_text,
    ".docx": _docx_text,
}
