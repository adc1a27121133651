"""A user's own documents: HTML and PDF text kept beside the index, bad files skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mss_qa.backends.embedders import Embedder
from mss_qa.chunk import chunk_document
from mss_qa.index import DocumentStore, IngestReport, ingest, load_index, open_store
from mss_qa.ingest import html_to_text
from mss_qa.pipeline import Pipeline
from mss_qa.settings import Settings
from mss_qa.types import Document
from tests.conftest import make_settings, write_folder

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbor Bridge   project</title>
  <style>body { color: #333; } p::before { content: "styled"; }</style>
  <script>var tracking = "<p>not prose</p>";</script>
</head>
<body>
  <nav><a href="/">Home</a> | <a href="/news">News</a></nav>
  <h1>Harbor Bridge &amp; Tunnel</h1>
  <p>The Harbor Bridge project is led by the engineer
     <b>Amara Okafor</b>, who joined the city in 2019.</p>
  <p>Construction of the bridge began in April 2023.<br>The tunnel will open later.</p>
  <ul><li>Steel from Ghent</li><li>Cables from Osaka</li></ul>
  <script type="application/ld+json">{"headline": "hidden"}</script>
</body>
</html>
"""

PDF_PAGES = [
    ["River Survey 2024",
     "The annual river survey counted 4,200 grey herons along the Meander in 2024.",
     "Volunteers walked every bank of the river between May and July."],
    ["Methods",
     "Counts were made at dawn by teams of two observers using the same maps each year."],
]


def write_pdf(path: Path, pages: list[list[str]]) -> None:
    """A real PDF with a text layer, as word processors write them."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def write_scan_like_pdf(path: Path) -> None:
    """A PDF with a page but no text layer (what a scanner produces, minus the image)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))


def assert_offsets_round_trip(settings: Settings, source: str) -> str:
    """Every stored passage and sentence of `source` is exactly its span of the stored copy."""
    stored = DocumentStore(settings).read(source)
    chunks = [c.chunk for c in open_store(settings).all_chunks() if c.chunk.source == source]
    assert chunks
    for chunk in chunks:
        assert stored[chunk.start : chunk.end] == chunk.text
        for sentence in chunk.sentences:
            assert sentence.source == source
            assert stored[sentence.start : sentence.end] == sentence.text
    return stored


@pytest.fixture(scope="module")
def user_docs(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """A user's folder with one HTML page and one PDF, ingested into its own collection."""
    folder = tmp_path_factory.mktemp("user-docs") / "docs"
    folder.mkdir()
    (folder / "bridge.html").write_text(PAGE, encoding="utf-8")
    write_pdf(folder / "survey.pdf", PDF_PAGES)
    settings = make_settings(folder.parent, collection="my-docs")
    report = ingest([folder], settings, embedder)
    assert sorted(report.added) == ["bridge.html", "survey.pdf"], report.summary()
    return settings


def test_html_blocks_become_paragraphs_and_scripts_vanish() -> None:
    assert html_to_text(PAGE) == (
        "Harbor Bridge project\n\n"
        "Home | News\n\n"
        "# Harbor Bridge & Tunnel\n\n"
        "The Harbor Bridge project is led by the engineer Amara Okafor, who joined the city "
        "in 2019.\n\n"
        "Construction of the bridge began in April 2023.\nThe tunnel will open later.\n\n"
        "- Steel from Ghent\n\n"
        "- Cables from Osaka\n"
    )


def test_html_headings_and_list_items_are_chunked_as_such() -> None:
    page = ("<html><body><p>Notes on the monitor.</p><h2>Version <b>2.0</b></h2>"
            "<p><em>Release date: 14 March 2025</em></p><ul><li><p>Faster sensors.</p></li>"
            "<li>Alerts</li></ul></body></html>")
    text = html_to_text(page)
    assert text == ("Notes on the monitor.\n\n## Version 2.0\n\nRelease date: 14 March 2025\n\n"
                    "- Faster sensors.\n\n- Alerts\n")
    chunks = chunk_document(Document("notes.html", text), max_words=30)
    assert [[s.text for s in c.sentences] for c in chunks] == [
        ["Notes on the monitor."],
        ["Version 2.0", "Release date: 14 March 2025", "- Faster sensors.", "- Alerts"],
    ]


def test_html_without_closing_head_and_with_tables_and_pre() -> None:
    markup = ("<html><head><title>T</title><body><table><tr><th>Year</th><th>Count</th></tr>"
              "<tr><td>2024</td><td>4,200</td></tr></table><pre>keep   this\n  layout</pre>")
    assert html_to_text(markup) == ("T\n\n| Year | Count |\n\n| 2024 | 4,200 |\n\n"
                                    "keep   this\n  layout\n")


def test_the_rows_of_an_html_table_are_cited_and_answer(
    tmp_path: Path, small_pipeline: Pipeline
) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / "station.html").write_text(
        "<html><body><h1>Northgate Station</h1><p>The Northgate Station was opened in 1911 "
        "and is managed by Daniel Ferr&eacute;.</p><table><tr><th>Fact</th><th>Value</th>"
        "</tr><tr><td>Platforms</td><td>9</td></tr><tr><td>Chief architect</td>"
        "<td>Lena Strom</td></tr></table></body></html>")
    settings = make_settings(tmp_path, collection="station")
    ingest([folder], settings, small_pipeline.embedder)
    pipeline = Pipeline(settings, embedder=small_pipeline.embedder, llm=small_pipeline.llm)
    spans = [s.text for c in pipeline.index.chunks for s in c.sentences]
    assert "| Chief architect | Lena Strom |" in spans and "| Platforms | 9 |" in spans
    answer = pipeline.ask("Who was the chief architect of Northgate Station?")
    assert "Ferr" not in answer.answer


def test_html_in_a_declared_legacy_charset(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "legacy"
    folder.mkdir()
    page = ('<html><head><meta charset="iso-8859-1"></head><body><p>The café on the quay '
            'reopened in May 2024 after the repairs.</p></body></html>')
    (folder / "cafe.htm").write_bytes(page.encode("latin-1"))
    settings = make_settings(tmp_path)
    assert ingest([folder], settings, embedder).added == ["cafe.htm"]
    assert "The café on the quay" in assert_offsets_round_trip(settings, "cafe.htm")


def test_html_text_is_stored_under_the_original_name(user_docs: Settings) -> None:
    stored = assert_offsets_round_trip(user_docs, "bridge.html")
    assert stored == html_to_text(PAGE)
    assert "tracking" not in stored and "color" not in stored and "<" not in stored
    sentences = [s.text for c in open_store(user_docs).all_chunks()
                 for s in c.chunk.sentences if c.chunk.source == "bridge.html"]
    assert "Construction of the bridge began in April 2023." in sentences


def test_pdf_text_is_stored_under_the_original_name(user_docs: Settings) -> None:
    stored = assert_offsets_round_trip(user_docs, "survey.pdf")
    flat = " ".join(stored.split())
    for line in PDF_PAGES[0] + PDF_PAGES[1]:
        assert line in flat
    # Pages are separate paragraphs of the stored text.
    assert stored.index("Methods") > stored.index("\n\n") > stored.index("July")


def test_answers_cite_the_html_and_pdf_text(
    user_docs: Settings, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    pipeline = Pipeline(user_docs, embedder=embedder, llm=small_pipeline.llm)
    documents = DocumentStore(user_docs)
    for question, expected, source in [
        ("Who leads the Harbor Bridge project?", "Okafor", "bridge.html"),
        ("How many grey herons did the river survey count in 2024?", "4,200", "survey.pdf"),
    ]:
        answer = pipeline.ask(question)
        assert answer.status == "answered", (question, answer.answer, answer.reason)
        assert expected in answer.answer
        assert answer.citations and answer.citations[0].source == source
        for citation in answer.citations:
            assert documents.read(citation.source)[citation.start : citation.end] == \
                citation.quote


def test_bad_files_are_skipped_with_reasons_and_the_rest_ingested(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("The harbour reopened to ships on 2 May 2024.\n")
    (folder / "huge.txt").write_text("The harbour is very large indeed. " * 200)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    (folder / "fake.pdf").write_bytes(b"\x89PNG\r\n\x1a\n not a pdf at all")
    write_scan_like_pdf(folder / "scan.pdf")
    (folder / "scripts.html").write_text("<html><script>alert('hi')</script><style>p{}</style>")
    (folder / "binary.html").write_bytes(b"<html>\x00\x01\x02</html>")
    (folder / "empty.htm").write_text("")
    settings = make_settings(tmp_path, max_file_bytes=4096)
    report = ingest([folder], settings, embedder)
    assert report.added == ["good.md"]
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert reasons.pop("huge.txt") == "larger than 4096 bytes (6800 bytes)"
    assert reasons.pop("broken.pdf").startswith("not a readable PDF")
    assert reasons.pop("fake.pdf").startswith("not a readable PDF")
    assert reasons == {
        "scan.pdf": "no text found (a scanned PDF needs OCR first)",
        "scripts.html": "no text found",
        "binary.html": "binary content",
        "empty.htm": "empty",
    }
    summary = report.summary()
    assert "added 1" in summary and "skipped 7" in summary
    assert "skipped " + str(folder / "scan.pdf") + ": no text found" in summary


def _deleting(path: Path, after: int) -> Callable[[int], None]:
    """A progress hook that deletes `path` once `after` files have been processed."""
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        if done == after:
            path.unlink()

    return progress


def _assert_consistent(settings: Settings, embedder: Embedder, report: IngestReport,
                       expected: set[str]) -> None:
    documents = DocumentStore(settings)
    stored = {c.chunk.source for c in open_store(settings).all_chunks()}
    assert stored == set(documents.names()) == expected, report.summary()
    for source in expected:
        assert_offsets_round_trip(settings, source)
    assert {c.source for c in load_index(settings, embedder.name).chunks} == expected


def test_a_file_that_disappears_mid_ingest_leaves_the_index_consistent(
    tmp_path: Path, embedder: Embedder
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    names = [f"note{i}.txt" for i in range(8)]
    for i, name in enumerate(names):
        (folder / name).write_text(f"Note {i} says the ferry left at {i + 6} o'clock sharp.\n")
    settings = make_settings(tmp_path)

    # New file vanishes after discovery, before it is read: skipped, the rest ingested.
    first = ingest([folder], settings, embedder, progress=_deleting(folder / "note6.txt", 2))
    assert [s.path.name for s in first.skipped] == ["note6.txt"]
    assert first.skipped[0].reason.startswith("cannot be read")
    _assert_consistent(settings, embedder, first, set(names) - {"note6.txt"})

    # An indexed file vanishes during a later run: it is removed from the index too.
    (folder / "note1.txt").write_text("Note 1 now says the ferry was cancelled today.\n")
    second = ingest([folder], settings, embedder, progress=_deleting(folder / "note5.txt", 3))
    assert second.changed == ["note1.txt"] and second.removed == ["note5.txt"]
    _assert_consistent(settings, embedder, second, set(names) - {"note5.txt", "note6.txt"})


def test_the_cli_shows_progress_rates_and_a_summary(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(7):
        (folder / f"page{i}.html").write_text(
            f"<html><body><p>Page {i} reports that the library opened {i + 2} new rooms.</p>"
        )
    (folder / "notes.doc").write_bytes(b"\xd0\xcf\x11\xe0")  # legacy Word: not read
    env = {**os.environ, "MSS_QA_INDEX_DIR": str(tmp_path / "index"),
           "MSS_QA_COLLECTION": "cli-docs"}
    result = subprocess.run([sys.executable, "-m", "mss_qa.apps.cli", "ingest", str(folder)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "file/s" in result.stderr and "chunks/s" in result.stderr
    assert "added 7, changed 0, unchanged 0, removed 0, skipped 1" in result.stderr
    assert f"skipped {folder / 'notes.doc'}: unsupported file type .doc" in result.stderr


def ingest_notes(tmp_path: Path, embedder: Embedder, text: str, collection: str,
                 **overrides: object) -> Settings:
    """A user's folder holding one Markdown file, CHANGES.md, ingested into `collection`."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "CHANGES.md").write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, collection=collection, **overrides)
    ingest([folder], settings, embedder)
    return settings


CHANGELOG = """# Harbor Bridge monitor: release notes

## Version 2.0

*Release date: 14 March 2025*

- Sensors report every 5 minutes instead of every hour.
- Alerts go to the duty engineer by text message.

## Version 1.0

*Release date: 2 June 2023*

- First release, with 12 strain sensors on the main span.
"""


def test_a_changelog_date_is_cited_with_the_release_heading_it_belongs_to(
    tmp_path: Path, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    settings = ingest_notes(tmp_path, embedder, CHANGELOG, "notes")
    assert_offsets_round_trip(settings, "CHANGES.md")
    pipeline = Pipeline(settings, embedder=embedder, llm=small_pipeline.llm)
    for question, date, heading in [
        ("When was version 2.0 released?", "14 March 2025", "Version 2.0"),
        ("When was version 1.0 released?", "2 June 2023", "Version 1.0"),
    ]:
        answer = pipeline.ask(question)
        assert answer.status == "answered", (question, answer.answer, answer.reason)
        assert date in answer.answer
        # The date line alone does not say which release it is for: its heading is cited.
        assert [c.quote for c in answer.citations] == [heading, f"*Release date: {date}*"]


LONG_CHANGELOG = """# Harbor Bridge monitor: release notes

## Version 2.0

- Sensors report every 5 minutes instead of every hour.
- The dashboard shows wind speed on the main span.
- Strain readings are kept for ten years.
- Alerts go to the duty engineer by text message.

## Version 1.0

- First release, with 12 strain sensors on the main span.
"""


def test_a_chunk_deep_in_a_section_is_read_under_its_heading(
    tmp_path: Path, embedder: Embedder, small_pipeline: Pipeline
) -> None:
    settings = ingest_notes(tmp_path, embedder, LONG_CHANGELOG, "long-notes", chunk_max_words=12)
    stored = {c.chunk.sentences[0].text: c.chunk for c in open_store(settings).all_chunks()}
    alerts = stored["- Alerts go to the duty engineer by text message."]
    assert alerts.heading is not None and alerts.heading.text == "Version 2.0"
    pipeline = Pipeline(settings, embedder=embedder, llm=small_pipeline.llm)
    answer = pipeline.ask("Which version sends alerts to the duty engineer by text message?")
    assert answer.status == "answered", (answer.answer, answer.reason)
    assert "2.0" in answer.answer
    documents = DocumentStore(settings)
    for citation in answer.citations:
        assert documents.read(citation.source)[citation.start:citation.end] == citation.quote


def test_the_chunk_that_opens_a_section_is_found_for_what_its_heading_says(
    tmp_path: Path, embedder: Embedder
) -> None:
    notes = ("## Version 3.0 (14 March 2025)\n\n" + "".join(
        f"- The monitor now reports sensor group {n} to the control room.\n"
        for n in range(1, 9)))
    settings = ingest_notes(tmp_path, embedder, notes, "dated-notes", chunk_max_words=12)
    pipeline = Pipeline(settings, embedder=embedder)
    ranked = pipeline.retriever.retrieve("When was version 3.0 released?", 4)
    # The later chunks of the section carry the heading to show it, but are not searched by
    # it: they would all match its words and crowd out the chunk that opens with it.
    assert ranked[0].chunk.sentences[0].text == "Version 3.0 (14 March 2025)"
    assert ranked[0].chunk.heading is None
    assert all(e.chunk.sentences[0].text == "Version 3.0 (14 March 2025)" for e in ranked)


DATA = Path(__file__).parent / "data"


def test_a_word_document_keeps_its_headings_lists_and_table_rows(
    tmp_path: Path, small_pipeline: Pipeline
) -> None:
    # Written by python-docx with Word's default template: styles, not direct formatting,
    # make its headings and bullets, and its table has a header row.
    folder = write_folder(tmp_path / "word", {})
    (folder / "northgate.docx").write_bytes((DATA / "northgate.docx").read_bytes())
    settings = make_settings(tmp_path, collection="word")
    assert ingest([folder], settings, small_pipeline.embedder).added == ["northgate.docx"]
    stored = assert_offsets_round_trip(settings, "northgate.docx")
    assert stored == (
        "# Northgate Station Renovation\n\n"
        "The renovation of Northgate Station began in March 2023 and is due to finish in "
        "2026.\n\n"
        "The project manager is Daniel Ferré, who reports to the city transport board.\n\n"
        "## Key facts\n\n"
        "| Item | Value |\n\n| Chief architect | Lena Strom |\n\n| Daily passengers | 58,000 |\n\n"
        "- New escalators on every platform\n\n- A second entrance on Elm Street\n\n"
        "Work stops during the winter holidays. Trains keep running throughout.\n")
    pipeline = Pipeline(settings, embedder=small_pipeline.embedder, llm=small_pipeline.llm)
    answer = pipeline.ask("Who is the project manager of the Northgate Station renovation?")
    assert answer.status == "answered" and "Daniel Ferré" in answer.answer, answer.reason
    assert answer.citations[0].source == "northgate.docx"
    assert stored[answer.citations[0].start:answer.citations[0].end] == answer.citations[0].quote


def _docx(document_xml: bytes, name: str = "word/document.xml") -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(name, document_xml)
    return buffer.getvalue()


def test_unreadable_word_documents_are_skipped_with_reasons(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mss_qa.ingest

    body = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
            b'main"><w:body>%s</w:body></w:document>')
    text = b"<w:p><w:r><w:t>The ferry sails at noon every day of the week.</w:t></w:r></w:p>"
    folder = tmp_path / "word"
    folder.mkdir()
    (folder / "good.docx").write_bytes(_docx(body % text))
    (folder / "large.docx").write_bytes(_docx(body % (text * 40)))
    (folder / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an OLE file, as Word "
                                      b"writes an encrypted document")
    (folder / "other.docx").write_bytes(_docx(b"<x/>", name="content.xml"))
    (folder / "cut.docx").write_bytes(_docx(body % text)[:-40])
    (folder / "entities.docx").write_bytes(_docx(
        b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
        + body % b"<w:p><w:r><w:t>&a;</w:t></w:r></w:p>"))
    (folder / "broken.docx").write_bytes(_docx(body % b"<w:p><w:r>"))
    (folder / "blank.docx").write_bytes(_docx(body % b"<w:p/><w:tbl><w:tr><w:tc><w:p/></w:tc>"
                                                     b"</w:tr></w:tbl>"))
    monkeypatch.setattr(mss_qa.ingest, "MAX_DOCX_XML_BYTES", 2000)
    report = ingest([folder], make_settings(tmp_path), embedder)
    assert report.added == ["good.docx"]
    reasons = {s.path.name: s.reason for s in report.skipped}
    assert reasons.pop("large.docx") == "its text part is larger than 2000 bytes"
    assert reasons.pop("old.docx").startswith("not a readable .docx file: File is not a zip")
    assert reasons.pop("cut.docx").startswith("not a readable .docx file")
    assert reasons.pop("broken.docx").startswith("not a readable .docx file: mismatched tag")
    assert reasons == {
        "other.docx": "not a Word document (no word/document.xml inside)",
        "entities.docx": "not a readable .docx file: its XML declares entities",
        "blank.docx": "no text found",
    }


DISTRICTS = [("North Quarter", "1,240", "18"), ("Mill Lane", "860", "11"),
             ("Harbour Side", "2,015", "26"), ("Old Town", "1,530", "21"),
             ("Riverbank", "640", "9"), ("Station Hill", "1,105", "15"),
             ("Elm Park", "780", "12"), ("West Gate", "1,920", "24"),
             ("Kiln Row", "455", "7"), ("Marsh End", "1,310", "19")]


def test_rows_far_from_their_table_header_are_read_and_cited_with_it(
    tmp_path: Path, small_pipeline: Pipeline
) -> None:
    # Without the header, "| West Gate | 1,920 | 24 |" does not say which figure is the
    # pipe: the households figure was given for the kilometres of pipe.
    rows = "".join(f"<tr><td>{d}</td><td>{h}</td><td>{k}</td></tr>" for d, h, k in DISTRICTS)
    folder = write_folder(tmp_path / "water", {"network.html": (
        "<html><body><h1>Water network</h1><p>The new pipe network reached ten districts of "
        "Brindlemoor in 2025.</p><table><tr><th>District</th><th>Households connected</th>"
        f"<th>Pipe laid (km)</th></tr>{rows}</table></body></html>")})
    settings = make_settings(tmp_path, collection="water")
    ingest([folder], settings, small_pipeline.embedder)
    pipeline = Pipeline(settings, embedder=small_pipeline.embedder, llm=small_pipeline.llm)
    header = "| District | Households connected | Pipe laid (km) |"
    far = [c for c in pipeline.index.chunks if "| West Gate |" in c.text]
    assert far and header not in far[0].text  # the row's chunk does not hold the header
    evidence = pipeline.retriever.retrieve("How many kilometres of pipe were laid in West Gate?",
                                           4)
    shown = next(e.chunk for e in evidence if "| West Gate |" in e.chunk.text)
    # After the section's heading, as a chunk deep in a section is read.
    assert [s.text for s in shown.sentences[:2]] == ["Water network", header]
    answer = pipeline.ask("How many kilometres of pipe were laid in West Gate?")
    quotes = [c.quote for c in answer.citations]
    assert answer.status == "answered", answer.reason
    # Every row cited comes with the header (the small model may pick a neighbouring row,
    # but reads the column: the answer is the row's pipe figure, not its households).
    assert quotes[0] == header and len(quotes) == 2, answer.answer
    row = [cell.strip() for cell in quotes[1].strip("|").split("|")]
    assert answer.answer.split()[0] == row[2], (answer.answer, row)
