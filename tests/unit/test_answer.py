"""How an extractive answer words its quotes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
from langchain_core.documents import Document

from assistant.answer import Answer, ExtractiveAnswerer, Source, combine, without_attribution
from assistant.question import held_terms
from assistant.retrieval import Generality, Hit, Query, Searcher
from assistant.terms import roles_named
from assistant.text import Aliases


def _unit(similarity: float, axis: int) -> np.ndarray:
    """A unit vector with ``similarity`` to the query vector ``_unit(1.0, 5)``."""
    v = np.zeros(6)
    v[0], v[axis] = similarity, (1 - similarity**2) ** 0.5
    return v


def _searcher(
    sentences: Mapping[str, Sequence[tuple[Any, ...]]],
    aliases: Aliases | None = None,
    generic: dict[tuple[str, int], float] | None = None,
) -> Searcher:
    """A searcher whose passages (by id) hold ``sentences`` (text, vector, and the line of
    the passage it starts on if not the first), in English; ``generic``: how generic some of
    them are in their document (``Searcher.generality``)."""

    class Lexical:
        roles: frozenset[str] = frozenset()

        @staticmethod
        def rarity(word: str) -> float:
            return 1.0

    class Index:
        lexical = Lexical()

    class Fake:
        index = Index()

        @staticmethod
        def sentences(ids: list[str]) -> list[tuple[str, str, dict[str, object], np.ndarray]]:
            return [
                (i, text, {"n": n, "language": "en", "line": line[0] if line else 0}, vector)
                for i in ids
                for n, (text, vector, *line) in enumerate(sentences[i])
            ]

        @staticmethod
        def prototypes(texts: tuple[str, ...]) -> np.ndarray:
            return np.eye(6)[[4]]  # the way into a job lies along the fifth axis

        @staticmethod
        def generality(path: str) -> Generality:
            return Generality(sentences=generic or {})

        @staticmethod
        def document_text(path: str) -> str:
            return " ".join(
                t for i, held in sentences.items() if f"{i}.md" == path for t, *_ in held
            )

        def elsewhere(self, hits: list[Hit], *subjects: Any) -> set[str]:
            return Searcher.elsewhere(cast(Searcher, self), hits, *subjects)

        def places(self, text: str) -> list[str]:
            return Searcher.places(cast(Searcher, self), text)

        @staticmethod
        def subject_names(text: str, language: str = "") -> list[set[tuple[str, ...]]]:
            return []

        def document_terms(self, path: str) -> set[tuple[str, ...]]:
            return held_terms(self.document_text(path))

        def document_names(self, path: str) -> tuple[frozenset[int], frozenset[str]]:
            text = self.document_text(path)
            named = roles_named(text, self.index.lexical.roles)
            return frozenset(self.aliases.entities(text)), frozenset(named)  # type: ignore[attr-defined]

    fake = Fake()
    fake.aliases = aliases or Aliases()  # type: ignore[attr-defined]
    return cast(Searcher, fake)


def _hits(*ids: str) -> list[Hit]:
    """Hits on the passages ``ids``, each the only passage of its document ``<id>.md``."""
    return [Hit(Document(page_content="", metadata={"path": f"{i}.md"}, id=i), 1.0) for i in ids]


def test_quotes_leave_out_the_attribution_their_citation_gives() -> None:
    assert (
        without_attribution(
            "Moving from AE to AM takes about 2-3 years, according to the article, depending on "
            "the agency."
        )
        == "Moving from AE to AM takes about 2-3 years, depending on the agency."
    )
    assert (
        without_attribution(
            'According to the article "Key account executive là gì?", an AE serves the client.'
        )
        == "An AE serves the client."
    )
    assert without_attribution("Theo bài viết, từ AM lên AD mất khoảng 5–6 năm.") == (
        "Từ AM lên AD mất khoảng 5–6 năm."
    )
    assert without_attribution("AE phục vụ khách hàng (theo bài viết).") == "AE phục vụ khách hàng."
    assert without_attribution("The article says an AE serves the client.") == (
        "The article says an AE serves the client."
    )


def test_the_passage_ranked_first_is_quoted_when_its_best_sentence_is_close() -> None:
    sentences = {  # a list naming the question's words, and the passage ranked first
        "list": [(f"List item {n} about the question.", _unit(0.96, n)) for n in (1, 2, 3)],
        "top": [("The answer itself, in the passage retrieval put first.", _unit(0.91, 4))],
    }
    hits = _hits("top", "list")
    query = Query("what is it?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences)).answer(query, hits, "en")
    assert "The answer itself" in answer.answer, answer.answer
    assert [s.path for s in answer.sources] == ["list.md", "top.md"]


def test_a_figure_worked_out_over_two_sentences_is_quoted_whole() -> None:
    sentences = {
        "example": [
            (
                "A worked example: on a $400,000 home the brokerage receives $10,000.",
                _unit(0.95, 1),
            ),
            ("With a 70/30 split, the agent keeps $7,000 before taxes.", _unit(0.80, 2)),
        ],
        "other": [("Agents find buyers through referrals and open houses.", _unit(0.93, 3))],
    }
    hits = _hits("example", "other")
    query = Query("how much do I take home?", _unit(1.0, 5), [], [])
    answerer = ExtractiveAnswerer(_searcher(sentences))
    money = answerer.answer(query, hits, "en", kind="money").answer
    assert money.startswith("A worked example") and "$7,000" in money, money
    # Asked for no amount, the next sentence is only quoted on its own merit.
    assert "$7,000" not in answerer.answer(query, hits, "en").answer


def test_what_a_role_does_goes_on_after_what_it_is() -> None:
    sentences = {
        "role": [
            ("A DevOps engineer builds the systems that take code to production.", _unit(0.95, 1)),
            ("They automate builds and tests, and manage infrastructure as code.", _unit(0.80, 2)),
        ],
        "other": [("Most people reach a senior title in about 5-7 years.", _unit(0.90, 3))],
    }
    hits = _hits("role", "other")
    answerer = ExtractiveAnswerer(_searcher(sentences))
    query = Query("what does a devops engineer actually do", _unit(1.0, 5), [], [])
    duties = answerer.answer(query, hits, "en").answer
    assert duties.startswith("A DevOps engineer") and "They automate" in duties, duties
    # Asked something else of the role, the next sentence is quoted on its own merit.
    query = Query("is a devops engineer a good job", _unit(1.0, 5), [], [])
    assert "They automate" not in answerer.answer(query, hits, "en").answer


def test_a_sentence_that_only_names_a_term_is_quoted_with_what_follows() -> None:
    sentences = {
        "glossary": [
            ("KAM (Key Account Manager).", _unit(0.97, 1)),
            ("The person responsible for a company's most important clients.", _unit(0.70, 2)),
        ],
    }
    aliases = Aliases.from_groups([["KAM", "Key Account Manager"]])
    hits = [Hit(Document(page_content="", metadata={"path": "g.md"}, id="glossary"), 1.0)]
    query = Query("what about KAM?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences, aliases)).answer(query, hits, "en").answer
    assert "most important clients" in answer, answer


def test_a_sentence_close_to_all_of_its_document_gives_way_to_a_fact() -> None:
    sentences = {
        "guide": [
            ("New agents ask about the licence, the exam and the pay.", _unit(0.93, 1)),
            ("The exam takes three hours and costs $60-$100.", _unit(0.91, 2)),
        ],
    }
    hits = [Hit(Document(page_content="", metadata={"path": "g.md"}, id="guide"), 1.0)]
    query = Query("how long is the exam?", _unit(1.0, 5), [], [])
    plain = ExtractiveAnswerer(_searcher(sentences)).answer(query, hits, "en").answer
    assert plain.startswith("New agents ask"), plain
    generic = {("guide", 0): 0.05, ("guide", 1): -0.03}  # the introduction is like the rest
    answer = ExtractiveAnswerer(_searcher(sentences, generic=generic)).answer(query, hits, "en")
    assert answer.answer.startswith("The exam takes three hours"), answer.answer


def test_a_lead_in_is_quoted_with_the_lines_it_introduces() -> None:
    sentences = {  # a list written as plain lines, not marked as one
        "kinds": [
            ("The kinds of account work are as follows:", _unit(0.97, 1), 0),
            ("Deciding: advising the client on strategy.", _unit(0.60, 2), 1),
            ("Persuading: getting the agency's ideas approved.", _unit(0.60, 3), 2),
            ("More on each of them below.", _unit(0.60, 4), 2),
            ("Executing: managing the project.", _unit(0.60, 1), 3),
        ],
    }
    hits = [Hit(Document(page_content="", metadata={"path": "k.md"}, id="kinds"), 1.0)]
    query = Query("what kinds of work are there?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences)).answer(query, hits, "en").answer
    # One quote, up to the first line that is not one sentence: the list has ended there.
    assert answer == (
        "The kinds of account work are as follows: Deciding: advising the client on strategy. "
        "Persuading: getting the agency's ideas approved [1]."
    ), answer


def test_a_comparison_is_answered_where_a_passage_sets_both_sides_side_by_side() -> None:
    sentences = {
        "intro": [  # the closest sentence names one side only, with nothing about the other
            ("The writer role is where most people start.", _unit(0.95, 1)),
            ("Agencies hire many of them.", _unit(0.60, 2)),
        ],
        "roles": [
            ("Agencies also hire designers.", _unit(0.70, 3)),
            ("The writer drafts the copy from a brief.", _unit(0.85, 4)),
            ("The editor checks it and decides what is published.", _unit(0.80, 1)),
        ],
    }
    hits = _hits("intro", "roles")
    query = Query("writer vs editor?", _unit(1.0, 5), [], [])
    answerer = ExtractiveAnswerer(_searcher(sentences))
    sides = [lambda s: "writer" in s, lambda s: "editor" in s]
    answer = answerer.answer(query, hits, "en", sides=sides)
    # The two sentences in a row that name one side each, in the passage's order.
    assert answer.answer == (
        "The writer drafts the copy from a brief [1]. "
        "The editor checks it and decides what is published [1]."
    ), answer.answer
    assert [s.path for s in answer.sources] == ["roles.md"]
    # One sentence that names both comes alone; a passage that names one side only, nothing.
    sentences["intro"].append(("A writer writes and an editor edits.", _unit(0.50, 3)))
    answer = answerer.answer(query, hits, "en", sides=sides)
    assert answer.answer.startswith("The writer drafts"), answer.answer  # better scored
    both = answerer.answer(query, hits[:1], "en", sides=sides)
    assert both.answer == "A writer writes and an editor edits [1].", both.answer
    del sentences["intro"][-1]
    assert answerer.answer(query, hits[:1], "en", sides=sides).answer == ""


def test_what_is_asked_of_a_role_outweighs_its_name() -> None:
    sentences = {
        "role": [
            ("An Account Executive (AE) works at an agency.", _unit(0.93, 1)),
            ("Most code in Python.", _unit(0.92, 2)),
        ],
    }
    aliases = Aliases.from_groups([["AE", "Account Executive"]], ["AE"])
    hits = [Hit(Document(page_content="", metadata={"path": "r.md"}, id="role"), 1.0)]
    answerer = ExtractiveAnswerer(_searcher(sentences, aliases), max_sentences=1)
    # Every sentence about the role names it; "code" is what this question asks of it.
    query = Query("what languages does an account executive code in", _unit(1.0, 5), [], [])
    assert answerer.answer(query, hits, "en").answer == "Most code in Python [1]."
    # What the role does is asked by its name alone.
    query = Query("what does an account executive do", _unit(1.0, 5), [], [])
    assert answerer.answer(query, hits, "en").answer.startswith("An Account Executive")


def test_two_sentences_in_a_row_of_a_passage_are_quoted_as_one_place() -> None:
    sentences = {
        "intro": [
            ("The writer is the first step of the ladder.", _unit(0.95, 1)),
            ("It is where most careers begin.", _unit(0.93, 2)),
        ],
        "other": [("Writers present their ideas to clients.", _unit(0.94, 3))],
        "work": [("The writer drafts the copy from a brief.", _unit(0.93, 4))],
    }
    hits = _hits("intro", "other", "work")
    query = Query("and then?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences), max_sentences=3).answer(query, hits, "en")
    # Four sentences from three places; the one that goes on from the first comes after it.
    assert answer.answer == (
        "The writer is the first step of the ladder [1]. It is where most careers begin [1]. "
        "Writers present their ideas to clients [2]. The writer drafts the copy from a brief [3]."
    ), answer.answer


def test_refusals_of_two_parts_say_once_what_they_share() -> None:
    tail = "I can answer questions about what my sources cover, such as Nurse (RN)."
    answers = [
        Answer(f"I don't know: my sources give no salary for a pilot. {tail}", abstained=True),
        Answer(f"I don't know: my sources do not cover that question. {tail}", abstained=True),
    ]
    joined = combine(answers, "en")
    assert joined.abstained and joined.answer.count(tail) == 1, joined.answer
    assert "salary for a pilot" in joined.answer and "do not cover" in joined.answer
    # Two answers that quote the same sentence are not cut: only refusals are.
    source = Source("corpus/nurse.md", "Nurse", 0, 0.9, "Nurses work shifts.")
    said = Answer("Nurses work shifts [1].", [source])
    assert combine([said, said], "en").answer == "Nurses work shifts [1]. Nurses work shifts [1]."


def test_the_sides_of_a_question_about_two_things_are_headed_with_their_names() -> None:
    tail = "I can answer questions about what my sources cover, such as Nurse (RN)."
    source = Source("corpus/nurse.md", "Nurse", 0, 0.9, "Nurses work 12-hour shifts.")
    nurse = Answer("Nurses work 12-hour shifts [1].", [source])
    pilot = Answer(f"I don't know: my sources say nothing about hours. {tail}", abstained=True)
    joined = combine([nurse, pilot], "en", ["Nurse", "Pilot"])
    # The side refused says what its sources lack, not what else they cover.
    assert joined.answer == (
        "Nurse: Nurses work 12-hour shifts [1].\n\n"
        "Pilot: I don't know: my sources say nothing about hours."
    )
    assert not joined.abstained and joined.sources == [source]
    # Both refused: each says what it lacks, and the offer is made once.
    joined = combine([pilot, pilot], "en", ["Pilot", "Co-pilot"])
    assert joined.abstained and joined.answer.count(tail) == 1, joined.answer
    assert joined.answer.startswith("Pilot: I don't know") and "\n\nCo-pilot: " in joined.answer


def test_a_place_asked_about_is_answered_from_a_document_that_names_it() -> None:
    sentences = {
        "us": [("A nurse earns $60,000-$80,000 a year in the US.", _unit(0.95, 1))],
        "vn": [("A nurse in Vietnam earns 8-12 million dong a month.", _unit(0.90, 2))],
    }
    hits = _hits("us", "vn")
    query = Query("How much does a nurse earn in Vietnam?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences)).answer(query, hits, "en")
    assert answer.answer.startswith("A nurse in Vietnam earns"), answer.answer
    assert "$60,000" not in answer.answer, answer.answer
    # Asked with no place, the nearer sentence leads.
    query = Query("How much does a nurse earn?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences)).answer(query, hits, "en")
    assert answer.answer.startswith("A nurse earns $60,000"), answer.answer


def test_a_question_about_a_role_is_answered_from_documents_that_name_it() -> None:
    aliases = Aliases.from_groups(
        [["RN", "Registered Nurse"], ["PT", "Physical Therapist"]],
        titles=["Registered Nurse", "Physical Therapist"],
    )
    sentences = {
        "pt": [("You can start without a degree in a few months.", _unit(0.95, 1))],
        "rn": [("A Registered Nurse (RN) needs a nursing degree.", _unit(0.90, 2))],
    }
    hits = _hits("pt", "rn")
    query = Query("can I be an RN without a degree?", _unit(1.0, 5), [], [])
    answer = ExtractiveAnswerer(_searcher(sentences, aliases)).answer(query, hits, "en")
    assert answer.answer.startswith("A Registered Nurse (RN) needs"), answer.answer
    assert "few months" not in answer.answer, answer.answer


def test_a_list_goes_on_in_the_passages_before_and_after_under_its_heading() -> None:
    from assistant.answer import Scored, _Layout, _list_runs

    def hit(i: str, chunk: int, section: str = "Licences") -> Hit:
        meta = {"path": "a.md", "section": section, "chunk": chunk}
        return Hit(Document(page_content="", metadata=meta, id=i), 1.0)

    # Passage 1 leads the list and holds its first item (two sentences on one line); 2 holds
    # the second; 3 the third, then a paragraph; 4, under another heading, opens with items.
    items = {"p1": {1: "A: one.", 2: "More on A."}, "p2": {0: "B."}, "p3": {0: "C."}}
    items["p4"] = {0: "Other."}
    ends = {"p1": 2, "p2": 0, "p3": 1, "p4": 0}
    lines = {("p1", 0): 0, ("p1", 1): 1, ("p1", 2): 1, ("p2", 0): 0, ("p3", 0): 0}
    lines |= {("p3", 1): 1, ("p4", 0): 0}
    hits = [hit("p1", 1), hit("p2", 2), hit("p3", 3), hit("p4", 4, "Pay")]
    layout = _Layout(items, ends, lines)
    layout.place(hits)
    chosen = Scored(1.0, "p2", "B.", np.zeros(2), 0)
    runs = _list_runs(chosen, layout)
    assert runs == [
        ("p1", [(1, "A: one."), (2, "More on A.")]),
        ("p2", [(0, "B.")]),
        ("p3", [(0, "C.")]),
    ]
    # Without the passage before among the hits, the list starts where its passage does.
    without = _Layout(items, ends, lines)
    without.place(hits[1:])
    assert _list_runs(chosen, without)[0][0] == "p2"
    # A sentence that is no item has no list.
    assert _list_runs(Scored(1.0, "p3", "Then.", np.zeros(2), 1), layout) == []


def test_a_sentence_cut_off_at_the_end_of_its_passage_goes_on_in_the_next() -> None:
    from assistant.answer import Scored, _cut_off, _Layout

    def hit(i: str, chunk: int) -> Hit:
        meta = {"path": "a.md", "section": "", "chunk": chunk}
        return Hit(Document(page_content="", metadata=meta, id=i), 1.0)

    layout = _Layout({}, {"p1": 1, "p2": 0}, openings={"p2": "and ask for feedback."})
    layout.place([hit("p1", 1), hit("p2", 2)])
    cut = Scored(1.0, "p1", "Learn the business, take small projects,", np.zeros(2), 1)
    assert _cut_off(cut, layout) == [("p2", [(0, "and ask for feedback.")])]
    # A sentence with its stop, or one before the end of its passage, is whole.
    assert _cut_off(cut._replace(text="Learn the business."), layout) == []
    assert _cut_off(cut._replace(n=0), layout) == []
    # Nor does a passage that opens with a capital go on with it.
    layout.openings["p2"] = "Ask for feedback."
    assert _cut_off(cut, layout) == []


def test_asked_how_to_become_one_the_sentence_nearest_the_way_in_comes_first() -> None:
    sentences = {
        "def": [("A paralegal is a legal assistant.", _unit(0.96, 1))],
        "way": [("Most start with a one-year certificate course.", _unit(0.93, 4))],
    }
    hits = _hits("def", "way")
    answerer = ExtractiveAnswerer(_searcher(sentences), max_sentences=1)
    asked = Query("how do I become a paralegal?", _unit(1.0, 5), [], [])
    assert answerer.answer(asked, hits, "en").answer.startswith("Most start")
    other = Query("what is a paralegal?", _unit(1.0, 5), [], [])
    assert answerer.answer(other, hits, "en").answer.startswith("A paralegal")


def test_a_sentence_about_reaching_another_role_is_no_way_in() -> None:
    from assistant.terms import with_terms

    def vector(question: float, way_in: float, axis: int) -> np.ndarray:
        v = np.zeros(6)
        v[0], v[4], v[axis] = question, way_in, (1 - question**2 - way_in**2) ** 0.5
        return v

    aliases = with_terms(Aliases(), [["Account Executive", "AE"], ["Account Manager", "AM"]])
    sentences = {
        "up": [("An AE becomes an AM after two years.", vector(0.90, 0.43, 1))],
        "in": [
            ("An AE usually starts after a marketing degree.", vector(0.89, 0.40, 3)),
            ("The AE works with clients.", vector(0.5, 0.1, 2)),
            ("The AE writes reports.", vector(0.4, 0.05, 2)),
        ],
    }
    hits = _hits("up", "in")
    answerer = ExtractiveAnswerer(_searcher(sentences, aliases), max_sentences=1)
    asked = Query("how do I become an AE?", _unit(1.0, 5), [], [])
    assert answerer.answer(asked, hits, "en").answer.startswith("An AE usually")


def test_an_answer_does_not_open_with_a_sentence_that_points_back() -> None:
    sentences = {
        "ae": [
            ("The AE is the entry level of account management.", _unit(0.90, 1)),
            ("It is the most basic position in an agency.", _unit(0.96, 2)),
        ],
    }
    answerer = ExtractiveAnswerer(_searcher(sentences), max_sentences=1, margin=0.01)
    answer = answerer.answer(Query("is AE the lowest level?", _unit(1.0, 5), [], []), _hits("ae"))
    assert answer.answer.startswith("The AE is the entry level"), answer.answer
    assert "It is the most basic position" in answer.answer
