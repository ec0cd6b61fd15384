"""The chat page's layout and events (Gradio Blocks), and its two HTTP endpoints.

Phone first: a title bar with "New conversation", a short intro that folds away once the
conversation starts (it keeps the example questions, so they stay reachable), the chat
filling the rest of the screen, and the question box with its Send button at the bottom.

Events: a question is posted once (``trigger_mode="once"``; ``accept`` stops the chain for a
blank box and for a question sent while an answer is being made); the reply streams into the
chat; the turns go to a hidden JSON component that ``page.js`` keeps in the tab's
``sessionStorage``, and a reload rebuilds the conversation from it. "New conversation" is a
``gr.ClearButton``.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from ..catalog import Catalog
from .handlers import ChatHandler
from .i18n import LANGUAGES, PAGE, documents_markdown, intro_markdown

if TYPE_CHECKING:
    import gradio as gr

    from ..app import Assistant

TITLE = "Career assistant"
#: For search engines and link previews (a crawler runs no script, so both languages).
DESCRIPTION = (
    "Ask about careers from a small library of articles and notes; every answer "
    "quotes its sources. Hỏi đáp về nghề nghiệp, có trích dẫn nguồn."
)
CHAT_API_DESCRIPTION = (
    "Answer a question for a person to read. The session keeps the conversation, so a "
    "follow-up can refer to earlier turns. Returns Markdown: the answer with [n] markers, then "
    "the numbered sources."
)
ASK_API_DESCRIPTION = (
    "Answer a question as JSON: answer (with [n] markers), abstained, notice, language, and "
    "sources (number, title, path, passage, score, url, kind, language, quotes). The session "
    "keeps the conversation, like /chat."
)


def static_text(name: str) -> str:
    """A file of ``assistant/ui/static``."""
    return (files("assistant.ui") / "static" / name).read_text("utf-8")


def build_app(bot: Assistant, *, title: str = TITLE, catalog: Catalog | None = None) -> gr.Blocks:
    """The chat page. Launch it with ``launch_app`` (or ``serve``), which adds its script,
    styles, link-preview tags and safe settings.

    Args:
        bot: the assistant the page asks.
        title: the page title.
        catalog: what the intro, the examples and the sources describe; when not given, read
            from the corpus, and again when it changes (each page load shows the current one).
    """
    import gradio as gr

    handler = ChatHandler(bot, catalog)
    catalog = handler.catalog
    words = PAGE["en"]  # until the page loads and says which language the browser prefers
    private: dict[str, Any] = {"api_visibility": "private"}
    # The page's, /chat's and /ask's answers share one pool of workers (queue(...,
    # default_concurrency_limit=N) in serve.py): N answers at once in all, not N each.
    answers: dict[str, Any] = {"concurrency_id": "answers"}

    # delete_cache: Gradio deletes what it wrote for this page hourly and at shutdown.
    with gr.Blocks(
        title=title, analytics_enabled=False, fill_height=True, delete_cache=(3600, 3600)
    ) as app:
        with gr.Row(elem_id="top-bar", equal_height=True):
            heading = gr.Markdown(f"# {words['heading']}", elem_id="heading", container=False)
            new = gr.ClearButton(
                value=words["new"],
                variant="secondary",
                size="sm",
                scale=0,
                min_width=120,
                elem_id="new-conversation",
            )
        with gr.Accordion(words["about"], open=True, elem_id="intro") as intro:
            intro_text = gr.Markdown(intro_markdown(catalog, "en"), elem_id="intro-text")
            examples = {}
            for language in LANGUAGES:
                questions = catalog.examples(language)
                examples[language] = gr.Dataset(
                    components=[gr.Textbox(visible=False)],
                    samples=[[q] for q in questions],
                    label=PAGE[language]["examples"],
                    layout="gallery",
                    elem_id=f"examples-{language}",
                    visible=language == "en" and bool(questions),
                    elem_classes=["examples"],
                )
            documents = gr.Markdown(documents_markdown(catalog, "en"), elem_id="documents")
        chat = gr.Chatbot(
            label=words["chat"],
            show_label=False,
            elem_id="chat",
            scale=1,
            height="100%",
            min_height=200,
            autoscroll=False,
            sanitize_html=True,
            render_markdown=True,
            buttons=[],
            feedback_options=None,
            latex_delimiters=[],
            group_consecutive_messages=True,
            layout="bubble",
            allow_tags=False,
            placeholder=words["empty_chat"],
        )
        with gr.Row(elem_id="composer", equal_height=True):
            box = gr.Textbox(
                label=words["question"],
                show_label=False,
                placeholder=words["placeholder"],
                lines=1,
                max_lines=5,
                scale=1,
                container=False,
                elem_id="question",
                max_length=None,
            )
            send = gr.Button(
                words["send"],
                variant="primary",
                interactive=False,
                scale=0,
                min_width=88,
                elem_id="send",
            )
        turns = gr.JSON(value=None, visible="hidden", elem_id="turns")
        language_box = gr.Textbox(visible=False)
        length_box = gr.Number(visible=False, precision=0)  # a question's length as typed
        pending = gr.State(None)  # the question being answered, cut to the limit
        asked = gr.State(None)  # its length before the cut (the reply says it was cut)
        busy = gr.State(False)

        # The browser sends at most the question's first `limit` characters (and its length,
        # for the notice): a long paste stays far below the server's request size limit.
        send_cut = (
            "(m, c, b, n) => { window.careerChat?.started(m); const t = typeof m === 'string' "
            f"? m : ''; let q = t.slice(0, {handler.limit}); "
            "if (/[\\ud800-\\udbff]$/.test(q)) q = q.slice(0, -1); "
            "return [q, c, b, t.length]; }"
        )

        def ask(trigger: Any) -> Any:
            """The chain a Send, an Enter or an example starts."""
            # accept raises a silent gr.Error for a blank box or a second send, which stops
            # the chain there: nothing is posted and nothing else runs.
            return trigger(
                handler.accept,
                [box, chat, busy, length_box],
                [chat, box, send, pending, busy, intro, asked],
                queue=False,
                trigger_mode="once",
                show_progress="hidden",
                js=send_cut,
                **private,
            ).success(
                None,
                None,
                None,
                js="() => window.careerChat?.showQuestion()",
                **private,
            )

        def answer_then_finish(dependency: Any) -> Any:
            answering = dependency.success(
                handler.answer,
                [pending, chat, turns, asked],
                [chat, turns],
                show_progress="hidden",
                **answers,
                **private,
            )
            finish: dict[str, Any] = {
                "fn": lambda text: (gr.update(interactive=bool((text or "").strip())), False, None),
                "inputs": [box],
                "outputs": [send, busy, pending],
                "queue": False,
                "show_progress": "hidden",
                "js": "(t) => { window.careerChat?.finished(); return [t]; }",
                **private,
            }
            answering.then(**finish)
            # A question the server refused (queue full, over the rate limit) never runs, and
            # Gradio runs only .failure() after it: its toast says why; the page is usable again.
            answering.failure(**finish)
            return answering

        answering = [answer_then_finish(ask(box.submit)), answer_then_finish(ask(send.click))]
        for dataset in examples.values():
            picked = dataset.click(
                handler.pick_example,
                [dataset, busy],
                [box],
                queue=False,
                show_progress="hidden",
                **private,
            )
            answering.append(answer_then_finish(ask(picked.success)))

        box.change(
            None,
            [box],
            [send],
            js="(t) => window.careerChat?.sendState(t)",
            queue=False,
            show_progress="hidden",
            **private,
        )
        turns.change(
            None,
            [turns],
            None,
            js="(t) => { window.careerChat?.save(t); }",
            queue=False,
            show_progress="hidden",
            **private,
        )
        new.add([chat, turns])  # a question being typed stays
        new.click(
            lambda: (gr.Accordion(open=True), False, None),
            None,
            [intro, busy, pending],
            cancels=answering,
            queue=False,
            show_progress="hidden",
            js="() => { window.careerChat?.cleared(); }",
            **private,
        )
        chat.clear(
            lambda: (None, gr.Accordion(open=True)),
            None,
            [turns, intro],
            queue=False,
            show_progress="hidden",
            **private,
        )

        def localize(language: str | None) -> tuple[Any, ...]:
            """The page in the browser's language (Gradio's own i18n knows no Vietnamese)."""
            language = language if language in LANGUAGES else "en"
            said, catalog = PAGE[language], handler.catalog
            return (
                gr.update(value=f"# {said['heading']}"),
                gr.update(value=said["new"]),
                gr.Accordion(label=said["about"]),
                gr.update(value=intro_markdown(catalog, language)),
                gr.update(value=documents_markdown(catalog, language)),
                gr.update(label=said["chat"], placeholder=said["empty_chat"]),
                gr.update(label=said["question"], placeholder=said["placeholder"]),
                gr.update(value=said["send"]),
                *(
                    gr.Dataset(
                        samples=[[q] for q in catalog.examples(lang)],
                        visible=lang == language and bool(catalog.examples(lang)),
                    )
                    for lang in examples
                ),
            )

        app.load(
            localize,
            [language_box],
            [heading, new, intro, intro_text, documents, chat, box, send, *examples.values()],
            queue=False,
            show_progress="hidden",
            js="() => [window.careerChat?.localize() ?? 'en']",
            **private,
        )
        app.load(
            handler.restore,
            [turns],
            [chat, turns],
            show_progress="hidden",
            js="() => [window.careerChat?.load() ?? null]",
            **private,
        ).then(
            lambda kept: gr.Accordion(open=not kept),
            [turns],
            [intro],
            queue=False,
            show_progress="hidden",
            **private,
        )

        # The HTTP API: two endpoints, each keeping its session's conversation.
        api_history = gr.State([])
        chat_out = gr.Markdown(visible=False)
        ask_out = gr.JSON(visible=False)
        chat_api = gr.Button(visible=False)
        ask_api = gr.Button(visible=False)
        chat_api.click(
            handler.chat_api,
            [box, api_history],
            [chat_out, api_history],
            api_name="chat",
            api_description=CHAT_API_DESCRIPTION,
            postprocess=False,
            show_progress="hidden",
            **answers,
        )
        ask_api.click(
            handler.ask_api,
            [box, api_history],
            [ask_out, api_history],
            api_name="ask",
            api_description=ASK_API_DESCRIPTION,
            postprocess=False,
            show_progress="hidden",
            **answers,
        )
    return app
