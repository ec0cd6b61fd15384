"""Searcher behaviour on small corpora with the fake model."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from langchain_core.documents import Document

from assistant import Settings
from assistant.indexing import Embedder, Indexer, IndexReport
from assistant.retrieval import (
    ASKED_WEIGHT,
    SUBJECT_STANDS_OUT,
    SUBJECT_WEIGHT,
    Generality,
    Hit,
    LanguageAxis,
    LoadedIndex,
    Query,
    Searcher,
    asked_of_subject,
)
from assistant.store import Store
from assistant.testing import FakeEmbeddings

from .conftest import note

QA = {
    "qa-intro.md": "QA (Quality Assurance) is about improving the process so fewer defects "
    "are made.",
    "qa-lead.md": "A QA lead runs a team of testers.\n\nThe QA lead decides whether a release "
    "ships.",
    "qa-skills.md": "QA engineers need attention to detail.\n\nQA engineers write test plans.",
    "qa-tools.md": "QA teams track bugs in Jira.\n\nQA teams automate tests with Selenium.",
    "qa-pay.md": "A QA engineer earns more after learning to code.",
    "kpi.md": "A KPI (Key Performance Indicator) measures a goal. Every key performance "
    "indicator has a target.\n\nKey performance indicators are reviewed each quarter.",
}


def _indexed(
    corpus: Path, tmp_path: Path, notes: dict[str, tuple[str, str]]
) -> tuple[Settings, Embedder, Store, IndexReport]:
    """``notes`` (file name -> language, body) written to ``corpus`` and indexed with the
    fake model: the settings, the model, the store and the report of the build."""
    for name, (language, body) in notes.items():
        text = note(name.removesuffix(".md"), body).replace("language: en", f"language: {language}")
        (corpus / name).write_text(text, "utf-8")
    config = Settings(_env_file=None, corpus_dir=corpus, index_dir=tmp_path / "index")
    store = Store.from_settings(config)
    model = cast(Embedder, FakeEmbeddings())
    return config, model, store, Indexer(config, model, store).run()


def _searcher(corpus: Path, tmp_path: Path, notes: dict[str, tuple[str, str]]) -> Searcher:
    config, model, store, _ = _indexed(corpus, tmp_path, notes)
    return Searcher(config, model, store)


def test_a_long_form_the_corpus_seldom_writes_is_not_added_to_its_abbreviation(
    make_corpus: Path, tmp_path: Path
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    # "QA" is written in every note, "Quality Assurance" only where it is defined: a question
    # about a QA lead is not searched as one about quality assurance.
    assert searcher.expansions("what does a QA lead do?") == []
    # The corpus writes "key performance indicator" as often as "KPI": both are searched.
    assert "Key Performance Indicator" in searcher.expansions("what is a good KPI?")
    # Written out, a term is always searched with its abbreviation too.
    assert "QA" in searcher.expansions("what is quality assurance?")


def test_a_rare_spelling_of_a_term_counts_as_rare_as_its_commonest_one(
    make_corpus: Path, tmp_path: Path
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    # "Quality Assurance" is written only where "QA" is defined: asked with it, the question
    # is about every QA passage, not mostly about the definition.
    query = searcher.prepare("what does quality assurance involve?")
    assert set(query.token_weights) == {"quality", "assurance"}
    assert all(0 < w < 0.5 for w in query.token_weights.values())
    index = searcher.index
    weighted = searcher._lexical_scores(index, query)
    query.token_weights = {}
    plain = searcher._lexical_scores(index, query)
    definition = max(plain, key=plain.__getitem__)  # the one passage with "quality"
    assert weighted.get(definition, 0.0) < plain[definition]
    # The commonest spelling keeps its weight; a term with one spelling has none.
    assert searcher.prepare("what does a QA lead do?").token_weights == {}


def test_the_documents_holding_a_question_s_distinctive_words_get_the_focus(
    make_corpus: Path, tmp_path: Path
) -> None:
    docs = {
        "qa-tester.md": ("en", "A tester finds bugs. Testers who learn to code earn more."),
        "ke-toan.md": ("vi", "Kế toán viên muốn tăng lương thì nên học thêm chứng chỉ ACCA."),
        "seo.md": ("vi", "Người làm SEO nên học thêm HTML và muốn tăng lương thì đổi việc."),
        "sales.md": ("vi", "Nhân viên kinh doanh muốn tăng lương thì nên học thêm đàm phán."),
        "pm.md": ("en", "A project manager plans the work and learns to manage risks."),
    }
    searcher = _searcher(make_corpus, tmp_path, docs)
    query = searcher.prepare("tester muon tang luong thi nen hoc them gi")
    candidates = searcher.search(query, k=10)
    focus = searcher._focus(query, candidates)
    # "tester" is the one word of the question that only one document holds.
    assert max(focus, key=focus.__getitem__) == "corpus/qa-tester.md"
    assert focus["corpus/qa-tester.md"] > 0.5 and focus["corpus/ke-toan.md"] < 0.5


def test_a_term_the_corpus_glosses_is_searched_in_both_languages(
    make_corpus: Path, tmp_path: Path
) -> None:
    body = (
        "Thu nhập gồm lương cứng cộng hoa hồng (commission) trên mỗi lô hàng.\n\n"
        "Trưởng phòng xuất nhập khẩu (Import-Export Manager) duyệt giá cước."
    )
    searcher = _searcher(make_corpus, tmp_path, {"xnk.md": ("vi", body)})
    assert ["hoa hồng", "commission"] in searcher.index.lexical.glosses
    # An English question is embedded with the Vietnamese words the corpus glosses it as.
    assert searcher._dense_text("what commission do they get?").endswith("(hoa hồng)")
    assert "Trưởng phòng xuất nhập khẩu" in searcher._dense_text(
        "What does an import-export manager do?"
    )
    # And a Vietnamese question with the English ones (an English article would use them).
    assert searcher._dense_text("hoa hồng bao nhiêu?") == "hoa hồng bao nhiêu? (commission)"


def test_a_lexical_index_saved_by_another_version_is_built_again(
    make_corpus: Path, tmp_path: Path
) -> None:
    import json

    from assistant.lexical import LEARNED

    body = "Thu nhập gồm lương cứng cộng hoa hồng (commission) trên mỗi lô hàng."
    config, model, store, built = _indexed(make_corpus, tmp_path, {"xnk.md": ("vi", body)})
    saved = store.open(built.version).lexical_dir / "terms.json"
    # What an older version saved, marked with its version.
    saved.write_text(
        json.dumps({"version": LEARNED - 1, "groups": [], "roles": [], "glosses": []}), "utf-8"
    )
    searcher = Searcher(config, model, store)
    assert ["hoa hồng", "commission"] in searcher.index.lexical.glosses
    assert json.loads(saved.read_text("utf-8"))["version"] == LEARNED


def test_role_names_are_read_whole_and_through_the_corpus_s_glosses(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    notes = {
        "sales.md": ("en", "A Sales Executive at entry level sells. Entry-level pay is low."),
        "accounts.md": ("en", "An Account Executive at entry level serves one client."),
        "levels.md": ("en", "Each level has a title; the entry level is the first level."),
        "xnk.md": ("vi", "Trưởng phòng xuất nhập khẩu (Import-Export Manager) duyệt giá cước."),
        "ops.md": ("en", "The Import-Export Manager and the Sales Manager meet weekly."),
    }
    scope = Scope(_searcher(make_corpus, tmp_path, notes))
    # Words the corpus uses often name no role, joined by a hyphen or not.
    assert scope.unknown_roles("pay of an entry-level executive?") == []
    assert scope.unknown_roles("pay of an entry level executive?") == []
    assert scope.unknown_roles("pay of a quokka executive?") == ["quokka executive"]
    # A Vietnamese passage names the English role it is glossed as.
    assert "import-export manager" in scope._roles_in("Trưởng phòng xuất nhập khẩu duyệt giá.")


def test_a_role_named_only_in_a_list_beside_others_is_named_in_passing(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    notes = {
        "teller.md": (
            "vi",
            "Giao dịch viên là nhân viên ngồi tại quầy.\n\n"
            "Trong chi nhánh còn có thủ quỹ, chuyên viên tín dụng và kiểm soát viên.\n\n"
            "Kiểm soát viên duyệt các giao dịch lớn.",
        ),
        "csm.md": (
            "en",
            "Large companies split the work among roles such as a Renewals Manager or a "
            "Solutions Engineer.\n\nA Solutions Engineer runs the demos for each client.",
        ),
    }
    scope = Scope(_searcher(make_corpus, tmp_path, notes))
    # Only ever in a list, never first in a sentence nor in a heading: named in passing, as
    # the corpus writes it.
    assert scope.in_passing("thu quy lam nhung viec gi") == "thủ quỹ"
    assert scope.in_passing("chuyên viên tín dụng làm gì?") == "chuyên viên tín dụng"
    assert scope.in_passing("What does a renewals manager do?") == "Renewals Manager"
    # A sentence of its own is about it: the role is not named only in passing.
    assert scope.in_passing("kiem soat vien lam gi") is None
    assert scope.in_passing("What does a Solutions Engineer do?") is None
    # Words the corpus does not hold together name nothing in passing.
    assert scope.in_passing("What does a quokka manager do?") is None


def test_a_name_in_the_brackets_after_the_subject_of_a_sentence_is_not_in_passing(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    body = (
        "Kỹ thuật viên ô tô (KTV ô tô, thợ sửa ô tô, automotive technician) là người sửa xe.\n\n"
        "Xưởng có cố vấn dịch vụ, thợ sơn ô tô và thợ gò.\n\n"
        "Ngoài kỹ thuật viên, mỗi xưởng lớn còn có những người khác (thợ gò, thợ sơn ô tô)."
    )
    scope = Scope(_searcher(make_corpus, tmp_path, {"oto.md": ("vi", body)}))
    # Another name of the role that opens the sentence, glossed after it.
    assert scope.in_passing("luong tho sua o to bn") is None
    # Brackets far into a sentence list things beside others.
    assert (scope.in_passing("luong tho son o to bn") or "").startswith("thợ sơn")


def test_a_vietnamese_name_the_corpus_never_writes_after_its_head_is_unwritten(
    make_corpus: Path, tmp_path: Path
) -> None:
    """A head of two syllables ("giáo viên") or three ("kiến trúc sư") and a kind of it."""
    from assistant.scope import Scope

    teachers = (
        "Giáo viên mầm non chăm sóc trẻ.\n\n"
        "Trợ giảng (teaching assistant) trường quốc tế hỗ trợ giáo viên mầm non."
    )
    architects = (
        "Kiến trúc sư thiết kế công trình.\n\n"
        "Kiến trúc sư chính phụ trách đồ án và hướng dẫn kiến trúc sư mới ra trường."
    )
    searcher = _searcher(
        make_corpus, tmp_path, {"gvmn.md": ("vi", teachers), "kts.md": ("vi", architects)}
    )
    scope = Scope(searcher)
    hits = searcher.search("giáo viên mầm non")
    assert scope._unwritten_names("luong giao vien tieu hoc bn", "vi", hits) == [
        "giao vien tieu hoc"
    ]
    # The kind the corpus names, also past a gloss in brackets; and words that say when.
    assert scope._unwritten_names("luong giao vien mam non bn", "vi", hits) == []
    assert scope._unwritten_names("luong tro giang truong quoc te bn", "vi", hits) == []
    assert scope._unwritten_names("giao vien moi vao nghe luong bn", "vi", hits) == []
    # Asked in English, the passages need not name it as the question does.
    assert scope._unwritten_names("luong giao vien tieu hoc bn", "en", hits) == []
    # A landscape architect is a kind the corpus never writes; its levels are written.
    hits = searcher.search("kiến trúc sư")
    assert scope._unwritten_names("kien truc su canh quan luong bn", "vi", hits) == [
        "kien truc su canh quan"
    ]
    assert scope._unwritten_names("kien truc su chinh luong bn", "vi", hits) == []
    assert scope._unwritten_names("kien truc su moi ra truong luong bn", "vi", hits) == []


def test_a_name_a_question_capitalises_is_unknown_where_the_corpus_never_writes_it(
    make_corpus: Path, tmp_path: Path
) -> None:
    """Words capitalised inside a sentence name something: a word no passage holds, or
    words it holds but never in a row, are a name the corpus does not know."""
    from assistant.scope import Scope

    drivers = (
        "Tài xế công nghệ chạy xe máy hoặc ô tô qua app.\n\n"
        "Mai là người đầu tiên; xe cần linh hoạt về giờ giấc."
    )
    agents = "Real estate agents work in teams at an agency. Senior agents earn more."
    searcher = _searcher(
        make_corpus, tmp_path, {"tx.md": ("vi", drivers), "agent.md": ("en", agents)}
    )
    scope = Scope(searcher)
    hits = searcher.search("tài xế công nghệ")
    assert scope.unknown_names("Làm tài xế taxi Mai Linh cần gì?", "vi", hits) == ["Mai Linh"]
    # The first word of each sentence is capitalised whatever it is.
    assert scope.unknown_names("Tài xế cần gì? Bao nhiêu tuổi thì chạy được?", "vi", hits) == []
    hits = searcher.search("real estate agent")
    # Spelled nearly as a corpus word ("teams"), a name is still another name; but a word
    # mistyped is no name.
    assert scope.unknown_names("how many hours does Texas require", "en", hits) == ["Texas"]
    assert scope.unknown_names("What does an agent do at an Agncy?", "en", hits) == []
    assert scope.unknown_names("Do agents need a Master's degree?", "en", hits) == []
    # Written in a row, in the plural too; and a name asked of passages in the other language.
    assert scope.unknown_names("How much does a Senior Agent make?", "en", hits) == []
    assert scope.unknown_names("Do I need English to work as an agent?", "vi", hits) == []


def test_a_question_in_real_words_about_passages_in_the_other_language_is_asked_across(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    body = "Nhược điểm của nghề thợ sửa ô tô: môi trường nóng và ồn."
    searcher = _searcher(make_corpus, tmp_path, {"oto.md": ("vi", body)})
    hits = searcher.search("nhược điểm thợ sửa ô tô")
    assert Scope._asked_across("downsides of being an auto mechanic", "en", hits)
    # One word may be small talk; letters that make no word are none.
    assert not Scope._asked_across("hello", "en", hits)
    assert not Scope._asked_across("asdfghjkl qwertyuiop", "en", hits)
    # Asked in the passages' language, the corpus must write a word of it.
    assert not Scope._asked_across("nhuoc diem cua tho han", "vi", hits)


def test_a_name_after_at_or_in_that_the_corpus_never_writes_is_unknown(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    body = "Giao dịch viên ở Việt Nam làm việc tại ngân hàng và công ty tài chính."
    scope = Scope(_searcher(make_corpus, tmp_path, {"gdv.md": ("vi", body)}))
    assert scope.unknown_names("what does a teller do at a SaaS company?") == ["SaaS"]
    assert scope.unknown_names("lam giao dich vien o Singapore") == ["Singapore"]
    # Written as one word, typed with a slip, or not a name: none is unknown.
    assert scope.unknown_names("what does a teller do in Vietnam?") == []
    assert scope.unknown_names("giao dich vien o Vietnsm") == []
    assert scope.unknown_names("what does a teller do in saas?") == []
    # An abbreviation no passage writes names something the corpus does not cover: in an
    # English question, or in brackets after a name in any language.
    assert scope.unknown_names("what quota do SaaS tellers carry?", "en") == ["SaaS"]
    assert scope.unknown_names("giao dich vien ngoai hoi (FX) luong bn", "vi") == ["FX"]
    # Not a Vietnamese chat's shorthand, a figure's unit, a place, a word everyday language
    # uses, or the plural of an abbreviation the corpus writes.
    assert scope.unknown_names("SV nam 3 lam giao dich vien dc ko", "vi") == []
    assert scope.unknown_names("do tellers earn 500 USD a month?", "en") == []
    assert scope.unknown_names("is a teller paid more in the US?", "en") == []
    assert scope.unknown_names("and in big cities like NYC?", "en") == []
    # Asked what a role does: a word of it that no passage holds (long enough not to be a
    # chat spelling, and no typo of one it holds).
    assert scope.unknown_words("what does a cashier do?") == ["cashier"]
    assert scope.unknown_words("giao dich vienn lam gi") == []
    assert scope.unknown_words("gdv lam gi") == []
    # Nor a typo of a word that questions are made of, which no passage need hold.
    assert scope.unknown_words("what does a cashier actualy do?") == ["cashier"]


def _unit(*values: float) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def test_a_question_is_balanced_between_the_languages() -> None:
    # Coordinate 0 tells the language (English 0, Vietnamese 0.4: middle 0.2); coordinate 1,
    # what a text says. The question leans Vietnamese; two passages say the same thing.
    axis = LanguageAxis(_unit(1.0), middle=0.2)
    question = Query("q", _unit(0.4, 0.9), [], [])
    vietnamese, english = _unit(0.4, 0.9), _unit(0.0, 0.98)
    assert question.vector @ vietnamese > question.vector @ english + 0.05  # as the model ranks
    axis.balance(question)
    lean = float(question.vector @ axis.direction) - axis.middle
    assert question.ranking @ axis.direction == pytest.approx(axis.middle)
    assert question.lift == pytest.approx(lean * (lean + axis.middle))
    # Ranked by what they say, the passages are about equal...
    assert abs(question.ranking @ vietnamese - question.ranking @ english) < 0.02
    # ... and the similarity the refusal thresholds read stays that of the question's language.
    assert question.ranking @ vietnamese + question.lift == pytest.approx(
        question.vector @ vietnamese, abs=0.02
    )


def test_the_language_axis_is_measured_once_and_kept_with_the_index(tmp_path: Path) -> None:
    model = cast(Embedder, FakeEmbeddings(name="fake-for-the-axis"))  # not measured before
    axis = LanguageAxis.of(model, tmp_path)
    assert np.linalg.norm(axis.direction) == pytest.approx(1.0, abs=1e-5)
    kept = list(tmp_path.glob("languages-*.npy"))
    assert len(kept) == 1
    again = LanguageAxis.of(model, tmp_path)
    assert np.allclose(again.direction, axis.direction) and again.middle == axis.middle


def test_a_follow_up_is_ranked_with_the_vector_blended_with_the_earlier_turn(
    make_corpus: Path, tmp_path: Path
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    for mode in ("dense", "hybrid"):
        searcher.settings = searcher.settings.model_copy(update={"retrieval": mode})
        alone = searcher.prepare("and how long does that take?")
        follow = searcher.prepare("and how long does that take?", ["What does a QA lead do?"])
        assert not np.allclose(follow.vector, alone.vector)  # blended with the earlier turn
        assert not np.allclose(follow.ranking, alone.ranking), mode
        if mode == "dense":  # e5 alone: nothing taken out
            assert np.allclose(follow.ranking, follow.vector)


def test_a_document_whose_vectors_cannot_be_read_is_ranked_without_its_generality(
    make_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    lead = next(h for h in searcher.search("who decides whether a release ships?", k=3))
    path = str(lead.document.metadata["path"])
    assert path.endswith("qa-lead.md")

    def gone(path: str) -> None:
        raise RuntimeError("collection not found")  # a rebuild dropped the version meanwhile

    monkeypatch.setattr(type(searcher.index.version), "vectors_of", lambda self, path: gone(path))
    assert searcher.generality(path) == Generality()
    assert searcher.search("how do QA teams track bugs?", k=2)  # the question is still answered


def test_a_query_searched_again_for_more_passages_is_ranked_once(
    make_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, model, store, _ = _indexed(
        make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()}
    )
    searcher = Searcher(config, model, store)
    calls: list[int] = []
    rank = searcher._ranked

    def ranked(query: Query, n: int) -> list[Hit]:
        calls.append(n)
        return rank(query, n)

    monkeypatch.setattr(searcher, "_ranked", ranked)
    query = searcher.prepare("what does a QA lead do?")
    four = searcher.search(query, k=4)
    five = searcher.search(query, k=5)  # the scope's look at the next passage
    assert len(calls) == 1
    assert [h.document.id for h in five[:4]] == [h.document.id for h in four]
    assert len(five) == 5
    # A fresh query, or a rebuilt index, is ranked again.
    searcher.search(searcher.prepare("what does a QA lead do?"), k=4)
    assert len(calls) == 2
    (make_corpus / "qa-new.md").write_text(note("qa-new", "QA leads plan releases."), "utf-8")
    Indexer(config, model, store).run()
    searcher.refresh()
    assert searcher.search(query, k=4) and len(calls) == 3


def test_a_pinned_thread_reads_one_version_while_others_follow_the_rebuild(
    make_corpus: Path, tmp_path: Path
) -> None:
    config, model, store, _ = _indexed(
        make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()}
    )
    searcher = Searcher(config, model, store)
    before = searcher.index
    (make_corpus / "qa-new.md").write_text(note("qa-new", "QA leads plan releases."), "utf-8")
    with searcher.pinned() as pinned:
        assert pinned is before
        Indexer(config, model, store).run()
        searcher.refresh()
        assert searcher.index is before  # this thread: the version it started with
        with searcher.pinned() as inner:  # a pin inside a pin keeps the outer one
            assert inner is before
        assert searcher.index is before
        elsewhere: list[LoadedIndex] = []
        other = threading.Thread(target=lambda: elsewhere.append(searcher.index))
        other.start()
        other.join()
        assert elsewhere[0].manifest.version != before.manifest.version  # another: the new
    assert searcher.index.manifest.version != before.manifest.version


def _passages(path: str, first: list[float]) -> list[Hit]:
    """Passages of ``path`` whose 2-d vectors have these first coordinates (a similarity to
    the unit vector [1, 0])."""
    return [
        Hit(
            Document(page_content=f"{path} {i}", metadata={"path": path}, id=f"{path}{i}"),
            1.0,
            vector=np.array([a, 1.0 - a], dtype=np.float32),
        )
        for i, a in enumerate(first)
    ]


def test_a_passage_more_about_the_subject_than_its_siblings_loses_what_it_stands_out_by(
    make_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    subject = np.array([1.0, 0.0], dtype=np.float32)
    monkeypatch.setattr(searcher, "_subject_vector", lambda _: subject)

    def scores(question: str, top: list[Hit], names: list[str]) -> list[float]:
        for hit in top:
            hit.score = 1.0
        searcher._less_about_the_subject(top, searcher.prepare(question), names, SUBJECT_STANDS_OUT)
        return [round(h.score, 4) for h in top]

    # Of a document's passages, the one that stands out (0.9 against a median of 0.8) loses
    # SUBJECT_WEIGHT times 0.1; the others lose nothing. Two passages of another document are
    # too few for one of them to stand out.
    # A passage's similarity to the subject alone is its first coordinate.
    top = _passages("a.md", [0.9, 0.8, 0.8, 0.7]) + _passages("b.md", [0.9, 0.5])
    first, *others = scores("what tools does a QA lead use?", top, ["qa lead"])
    assert first == round(1.0 - SUBJECT_WEIGHT * 0.1, 4) < 1.0
    assert others == [1.0] * 5
    # Asked what the subject is, what it does or how it compares, or without a subject:
    # the passage about it is the answer.
    for question in ["what is a QA lead?", "what does a QA lead do?", "QA lead vs QA engineer"]:
        assert scores(question, top, ["qa lead"]) == [1.0] * 6, question
    assert scores("what tools are used?", top, []) == [1.0] * 6


def test_what_is_asked_of_a_subject_is_the_question_without_its_names() -> None:
    assert asked_of_subject("How do I become a QA tester?", ["QA", "qa tester"]) == (
        "How do I become a ?"
    )
    assert asked_of_subject("lam sao de tro thanh giao dich vien", ["Giao dịch viên"]) == (
        "lam sao de tro thanh"
    )
    # Nothing named, or nothing but the names: nothing is asked of a subject.
    assert asked_of_subject("how long does it take?", ["QA"]) == ""
    assert asked_of_subject("QA tester?", ["QA", "qa tester"]) == ""


def test_passages_gain_by_how_near_they_are_to_what_is_asked_of_the_subject(
    make_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = _searcher(make_corpus, tmp_path, {stem: ("en", body) for stem, body in QA.items()})
    tools = searcher.prepare("what tools does a QA lead use?")
    unnamed = searcher.prepare("what tools are used?")
    defined = searcher.prepare("what is a QA lead?")
    asked: list[str] = []

    def encode(text: str) -> np.ndarray:
        asked.append(text)
        return np.array([1.0, 0.0], dtype=np.float32)

    monkeypatch.setattr(searcher.embeddings, "encode_query", encode)

    # A passage's similarity to what is asked is its first coordinate.
    top = _passages("a.md", [0.9, 0.8, 0.8, 0.6]) + _passages("b.md", [0.9, 0.5])
    for hit in top:
        hit.score = 1.0
    searcher._by_what_is_asked(top, tools, ["qa lead"])
    assert asked == ["what tools does a use ?"]
    # Against the median of its document's candidates (0.8); two of another document are too
    # few to compare.
    assert [round(h.score, 4) for h in top] == [
        round(1.0 + ASKED_WEIGHT * 0.1, 4),
        1.0,
        1.0,
        round(1.0 - ASKED_WEIGHT * 0.2, 4),
        1.0,
        1.0,
    ]
    # A question that names no subject asks nothing of one, nor does one asking what it is.
    searcher._by_what_is_asked(top, unnamed, [])
    searcher._by_what_is_asked(top, defined, ["qa lead"])
    assert asked == ["what tools does a use ?"]


def test_the_corpus_knows_a_word_it_writes_with_an_ending() -> None:
    from assistant.lexical import LexicalIndex

    lexical = LexicalIndex.build(["a", "b"], ["Licenses are renewed every year.", "Responsible."])
    assert lexical.knows("renew") and lexical.knows("renewed") and lexical.knows("license")
    assert lexical.knows("responsibilities")  # the same stem
    # A short word or a longer ending is another word.
    assert not lexical.knows("rene") and not lexical.knows("renewing")


def test_a_word_typed_as_one_that_the_corpus_writes_as_two_is_known(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.question import Question
    from assistant.scope import Scope

    body = "Bảo hiểm bắt buộc cho ô tô khoảng 830.000 đồng một năm, cho xe máy 66.000 đồng."
    scope = Scope(_searcher(make_corpus, tmp_path, {"bh.md": ("vi", body)}))
    # "con oto thi sao?" after a question about motorbikes: "oto" is the corpus's "ô tô".
    question = Question.read("con oto thi sao?", ["bao hiem xe may 1 nam bn"])
    query = scope.searcher.prepare(question.text, question.history)
    hits = scope.searcher.search(query)
    assert scope.signals(question, query, hits).known_words == 1


def test_what_a_rate_is_counted_in_is_not_what_it_is_about(
    make_corpus: Path, tmp_path: Path
) -> None:
    from assistant.scope import Scope

    body = (
        "Thu nhập theo dịch vụ: cắt tóc nhận 30-40% giá, mỗi lượt gội 10.000 đồng. Thợ mới ra nghề."
    )
    scope = Scope(_searcher(make_corpus, tmp_path, {"toc.md": ("vi", body)}))
    assert scope._counted_in("bao nhiêu % mỗi lượt cắt") == {"moi", "luot"}
    assert scope._counted_in("how much per session") == {"per", "session"}
    # Typed without marks, "moi" is "mỗi" where the corpus writes "mỗi lượt", not "mới".
    assert scope._counted_in("bao nhieu % moi luot cat") == {"moi", "luot"}
    assert scope._counted_in("tho moi ra nghe luong bn") == set()


def test_the_subject_of_the_document_a_question_is_about_is_read_from_its_title(
    make_corpus: Path, tmp_path: Path
) -> None:
    (make_corpus / "tai-xe.txt").write_text(
        "Làm tài xế xe công nghệ: điều kiện và thu nhập\n\n"
        "Tài xế xe công nghệ (ride-hailing driver) là người chở khách qua ứng dụng.\n\n"
        "Thu nhập\n\nChạy xe máy toàn thời gian kiếm 7-10 triệu đồng mỗi tháng.\n\n"
        "Giờ làm\n\nNhiều tài xế chạy 10-12 tiếng mỗi ngày, cả ban đêm.\n",
        "utf-8",
    )
    searcher = _searcher(make_corpus, tmp_path, {})
    top = searcher.search("chay dem co nguy hiem ko", k=10)
    path = str(top[0].document.metadata["path"])
    assert path.endswith("tai-xe.txt")
    # A plain-text file's title is its file name; its first line heads its sections.
    assert "Làm tài xế xe công nghệ" in searcher.document_title(path)
    # The question names no subject: the document's, glossed in the other language, is it.
    assert searcher._document_subject(top) == ["Tài xế xe công nghệ", "ride-hailing driver"]
