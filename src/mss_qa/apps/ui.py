"""The chat UI (Gradio Blocks), a thin edge over `QAService` like the HTTP API.

Draft tokens stream into the chat and are then replaced by the verified answer; each answer
lists its citations as numbered quotes, and choosing one shows its article with the quoted
span highlighted. Thumbs up/down (with an optional comment) go to the feedback file.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from mss_qa.apps.service import QAService
from mss_qa.errors import MssQaError
from mss_qa.feedback import Feedback, record_feedback
from mss_qa.types import Answer

EXAMPLES = [
    "Who is Kenya's Interior Minister?",
    "How many Haitians have been displaced?",
    "Which alliance have Haiti's gangs formed?",
    "What is the population of Kenya?",
]

#: Element id of the highlighted quote in the article view.
HIGHLIGHT_ID = "mss-qa-highlight"

UI_CSS = """
.mss-notice { border-radius: 6px; padding: 6px 10px; margin-bottom: 6px; font-weight: 600; }
.mss-insufficient { background: #fff4e5; border-left: 4px solid #e08a00; color: #7a4a00; }
.mss-conflict { background: #eef2ff; border-left: 4px solid #4f46e5; color: #312e81; }
.mss-error { background: #fdecec; border-left: 4px solid #d93025; color: #7f1d1d; }
.mss-draft, .mss-read-as { color: #6b7280; font-style: italic; }
.mss-source-text { white-space: pre-wrap; line-height: 1.5; }
#mss-qa-highlight { background: #fde047; padding: 1px 0; scroll-margin: 40px; }
"""

_SCROLL_TO_HIGHLIGHT = (
    f"() => document.getElementById('{HIGHLIGHT_ID}')?.scrollIntoView({{block: 'center'}})"
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")

Message = dict[str, str]
Shown = dict[str, Any] | None


def _markdown_text(text: str) -> str:
    """Plain text made safe to drop into Markdown: no HTML, no formatting characters."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def _notice(kind: str, text: str) -> str:
    return f'<div class="mss-notice mss-{kind}">{html.escape(text)}</div>\n\n'


def _read_as(question: str) -> str:
    return f'<div class="mss-read-as">Read as: {html.escape(question)}</div>\n\n'


def render_answer(answer: dict[str, Any]) -> str:
    """An answer contract as chat Markdown: a notice for refusals and conflicts, then quotes."""
    if answer["status"] == "insufficient":
        parts = [_notice("insufficient", answer["answer"]), _markdown_text(answer["reason"])]
    elif answer["conflicts"]:
        parts = [_notice("conflict", "The sources disagree"), _markdown_text(answer["answer"])]
    else:
        parts = [_markdown_text(answer["answer"])]
    if answer["status"] == "answered" and answer.get("parts"):
        # A question that asked several things: each part's question (as answered) and answer.
        parts[-1:] = ["\n\n".join(f"*{_markdown_text(p['question'])}* {_markdown_text(p['answer'])}"
                                  for p in answer["parts"])]
    for c in answer["citations"]:
        parts.append(
            f"\n\n**[{c['n']}]** “{_markdown_text(c['quote'])}” — *{_markdown_text(c['source'])}*"
        )
    return "".join(parts)


def render_source(name: str, text: str, start: int, end: int) -> str:
    """A whole article as HTML with `text[start:end]` marked (element id `HIGHLIGHT_ID`)."""
    before, quote, after = (html.escape(t) for t in (text[:start], text[start:end], text[end:]))
    return (
        f'<article class="mss-source"><h3>{html.escape(name)}</h3>'
        f'<div class="mss-source-text">{before}<mark id="{HIGHLIGHT_ID}">{quote}</mark>'
        f"{after}</div></article>"
    )


def citation_choices(answer: Shown) -> list[tuple[str, int]]:
    """Radio choices for an answer's citations: "[n] source: quote…"."""
    if not answer:
        return []
    choices = []
    for i, c in enumerate(answer["citations"]):
        quote = " ".join(c["quote"].split())
        short = quote if len(quote) <= 90 else quote[:89] + "…"
        choices.append((f"[{c['n']}] {c['source']}: “{short}”", i))
    return choices


def _citations_radio(answer: Shown) -> Any:
    choices = citation_choices(answer)
    return gr.Radio(
        choices=choices,
        value=None,
        label="Citations: choose one to read it in its article"
        if choices
        else "Citations (none for this answer)",
    )


def _history(answers: list[Shown]) -> list[Message]:
    """Earlier exchanges for follow-up questions: the standalone question and its answer."""
    turns: list[Message] = []
    for a in answers:
        if a is not None:
            turns += [
                {"role": "user", "content": a["question"]},
                {"role": "assistant", "content": a["answer"]},
            ]
    return turns


def build_ui(service: QAService) -> gr.Blocks:
    """The chat UI over `service`; mount it with `gradio.mount_gradio_app` (CSS: `UI_CSS`)."""

    async def respond(
        question: str, conversation: list[Message], answers: list[Shown]
    ) -> AsyncIterator[tuple[Any, ...]]:
        try:
            items = service.stream(question, _history(answers))
        except MssQaError as exc:
            gr.Warning(str(exc))
            # The question stays in its box (the last of `outputs`), to be corrected;
            # nothing else changes, Ask included.
            yield (*(gr.skip() for _ in outputs[:-1]), question, gr.skip())
            return
        # The user's own words are shown as typed: not as Markdown, never as HTML.
        conversation = [*conversation, {"role": "user", "content": _markdown_text(question)}]
        answers = [*answers, None]
        draft = ""

        def show(content: str, answer: Shown = None, first: bool = False) -> tuple[Any, ...]:
            messages = [*conversation, {"role": "assistant", "content": content}]
            return (
                messages,
                messages,
                [*answers, answer],
                _citations_radio(answer),
                answer,
                "",
                # The box is emptied once, when the question is taken: what is typed while
                # the answer comes is the next question, and stays. Asking again waits
                # until this answer is done.
                "" if first else gr.skip(),
                gr.Button(interactive=False) if first else gr.skip(),
            )

        yield show('<span class="mss-draft">Searching the sources…</span>', first=True)
        try:
            async for item in items:
                if isinstance(item, Answer):
                    result = item.to_dict()
                    content = render_answer(result)
                    if result["question"] != " ".join(question.split()):
                        # A follow-up was rewritten: show how it was understood.
                        content = _read_as(result["question"]) + content
                    yield show(content, result)
                else:
                    draft += item
                    yield show(
                        f'<span class="mss-draft">Draft, being checked: {html.escape(draft)}</span>'
                    )
        except MssQaError as exc:
            yield show(_notice("error", str(exc)))

    def select_answer(answers: list[Shown], event: gr.SelectData) -> tuple[Any, ...]:
        index = event.index if isinstance(event.index, int) else event.index[0]
        answer = answers[index] if 0 <= index < len(answers) else None
        return _citations_radio(answer), answer, ""

    def show_source(choice: int | None, answer: Shown) -> str:
        if choice is None or not answer:
            return ""
        c = answer["citations"][choice]
        try:
            text = service.source_text(c["source"])
        except MssQaError as exc:
            return _notice("error", str(exc))
        return render_source(c["source"], text, c["start"], c["end"])

    def give_feedback(answers: list[Shown], comment: str, event: gr.LikeData) -> str:
        index = event.index if isinstance(event.index, int) else event.index[0]
        answer = answers[index] if 0 <= index < len(answers) else None
        if answer is None or not isinstance(event.liked, bool):
            return comment
        entry = Feedback(
            question=answer["question"],
            answer=answer["answer"],
            status=answer["status"],
            rating="up" if event.liked else "down",
            comment=comment.strip(),
        )
        try:
            record_feedback(service.settings.feedback_path, entry)
        except MssQaError as exc:
            gr.Warning(str(exc))
            return comment
        gr.Info("Thank you: feedback saved.")
        return ""

    def new_conversation() -> tuple[Any, ...]:
        return [], [], [], _citations_radio(None), None, "", ""

    ui = gr.Blocks(title="mss-qa")
    with ui:
        gr.Markdown(
            "## Ask the sources\n"
            "Answers come only from the collection's articles, and every claim is backed by an "
            "exact quote. When the articles do not answer, it says so. "
            "The same answers over HTTP: [API docs](/docs)."
        )
        conversation = gr.State([])
        answers = gr.State([])
        shown = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="mss-qa-chat",
                    height=520,
                    buttons=["copy"],
                    placeholder="Ask a question about the collection.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question",
                        placeholder="Who is Kenya's Interior Minister?",
                        elem_id="mss-qa-question",
                        scale=5,
                        max_lines=3,
                        submit_btn=False,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="mss-qa-ask", scale=1)
                gr.Examples(EXAMPLES, inputs=[question], label="Examples")
                with gr.Row():
                    comment = gr.Textbox(
                        label="Comment (optional): sent with your thumbs up or down",
                        elem_id="mss-qa-comment",
                        scale=5,
                    )
                    clear = gr.Button("New conversation", scale=1)
            with gr.Column(scale=2):
                citations = gr.Radio(
                    choices=[],
                    type="index",
                    label="Citations (ask a question first)",
                    elem_id="mss-qa-citations",
                )
                article = gr.HTML(elem_id="mss-qa-article", max_height=520)

        outputs = [chatbot, conversation, answers, citations, shown, article, question]
        gr.on(
            [ask.click, question.submit],
            respond,
            inputs=[question, conversation, answers],
            outputs=[*outputs, ask],  # `respond` yields one value per output, `ask` last
            concurrency_limit=None,  # the service serializes generation itself
            trigger_mode="once",  # one question at a time per page; Ask is off meanwhile
        ).then(lambda: gr.Button(interactive=True), outputs=[ask])
        chatbot.select(select_answer, inputs=[answers], outputs=[citations, shown, article])
        citations.input(show_source, inputs=[citations, shown], outputs=[article]).then(
            None, js=_SCROLL_TO_HIGHLIGHT
        )
        chatbot.like(give_feedback, inputs=[answers, comment], outputs=[comment])
        gr.on([clear.click, chatbot.clear], new_conversation, outputs=outputs)
    return ui
