"""Rule matching, thresholds, subtopics and kinds — each decision with its reason."""

from __future__ import annotations

import random
import re
from pathlib import Path

from sitegen.classify.assign import assign_paper
from sitegen.classify.textmatch import TextIndex, compile_pattern, compile_phrase
from sitegen.models import AssignSettings, KindRule, Paper, Rule, SourceRef, Taxonomy, Topic


def paper(title: str, abstract: str = "") -> Paper:
    return Paper(slug="p", title=title, abstract=abstract, sources=(SourceRef(Path("a.txt"), 1),))


def rule(*phrases: str, weight: float = 3, scope: str = "both", pattern: str | None = None) -> Rule:
    return Rule(weight=weight, scope=scope, phrases=phrases, pattern=pattern)


def taxonomy(*topics: Topic, kinds: tuple[KindRule, ...] = (), **settings) -> Taxonomy:
    return Taxonomy(path=Path("t.yaml"), topics=topics, kind_rules=kinds, settings=AssignSettings(**settings))


PEFT = Topic(id="peft", title="PEFT", description="", rules=(rule("lora", "adapter*"),))
ALIGN = Topic(id="align", title="Alignment", description="", rules=(rule("dpo", "preference"),))


def test_phrases_match_whole_words_hyphen_variants_and_wildcards() -> None:
    text = TextIndex("Fine tuning, finetuning and fine-tuning with Adapters; floral is not LoRA-ish.")
    assert text.find(compile_phrase("fine-tuning")) == ["Fine tuning", "finetuning", "fine-tuning"]
    assert text.find(compile_phrase("adapter*")) == ["Adapters"]
    assert text.find(compile_phrase("lora")) == ["LoRA"]
    assert text.find(compile_phrase("flora")) == []
    assert text.find(compile_phrase("ada")) == []


def _phrase_occurrences(text: str, phrase: str) -> list[str]:
    """What the README promises, written the slow, obvious way: the phrase's words as a run of
    words of the text (the last one only begun, for a trailing *), or all written as one word."""
    words = re.findall(r"\w+", phrase.lower())
    wildcard = phrase.endswith("*")
    tokens = [(m.group(0).lower(), m.span()) for m in re.finditer(r"\w+", text)]

    def same(token: str, word: str) -> bool:
        return token.startswith(word) if wildcard else token == word

    spans = set()
    for i in range(len(tokens) - len(words) + 1):
        run = [t for t, _ in tokens[i : i + len(words)]]
        if run[:-1] == words[:-1] and same(run[-1], words[-1]):
            spans.add((tokens[i][1][0], tokens[i + len(words) - 1][1][1]))
    if len(words) > 1:
        spans.update(span for token, span in tokens if same(token, "".join(words)))
    return [text[a:b] for a, b in sorted(spans)]


JOINABLE = ["fine tuning", "fine tun", "instruction tuning", "lora in", "fine tuning in"]


def test_phrase_look_ups_find_every_occurrence_and_nothing_else() -> None:
    """Drawn phrases against drawn texts, through the rule index and without it, compared with
    the obvious slow search: the look-ups' shortcuts (word pairs, words written as one,
    prefixes) must never skip an occurrence nor invent one."""
    from sitegen.classify.rules import PaperText, RuleIndex, score_rule

    draw = random.Random(7)
    words = ["fine", "tuning", "instruction", "tun", "lora", "in", "Fine"]
    vocabulary = [*words, "finetuning", "FineTuned", "instructiontuning", "lorain"]
    gaps = [" ", "-", " - ", ", ", " (", ") ", "_", "/"]
    compared = found = 0
    for _ in range(400):
        text = "".join(draw.choice(vocabulary) + draw.choice(gaps) for _ in range(draw.randint(1, 9)))
        phrase = " ".join(draw.choice(words) for _ in range(draw.randint(1, 3)))
        if draw.random() < 0.4:  # phrases that also occur written as one
            phrase = draw.choice(JOINABLE)
        phrase += "*" if draw.random() < 0.3 else ""
        expected = _phrase_occurrences(text, phrase)
        assert TextIndex(text).find(compile_phrase(phrase)) == expected, (phrase, text)
        r = rule(phrase, scope="abstract")
        for index in (None, RuleIndex([r])):
            matches = score_rule(r, PaperText.of(paper("t", text), index))
            assert [m.text for m in matches] == expected[:1], (phrase, text)
            assert [m.field for m in matches] == (
                [] if not expected else ["abstract" if len(expected) == 1 else f"abstract ×{len(expected)}"]
            )
        compared += 1
        found += bool(expected)
    assert compared == 400 and found > 50  # enough drawn phrases occur to test both ways


def test_a_rule_of_several_phrases_counts_each_phrase_apart() -> None:
    from sitegen.classify.rules import PaperText, RuleIndex, score_rule

    study = rule("we study how", "we examine")
    abstract = "We study how X works. Then we study how Y works. We examine Z."
    for index in (None, RuleIndex([study])):
        (match,) = score_rule(study, PaperText.of(paper("t", abstract), index))
        assert str(match) == "“We study how” ×2, “We examine” in abstract (+6)"


def test_title_counts_double_and_repeats_in_the_abstract_add_a_little() -> None:
    result = assign_paper(paper("LoRA at scale", "LoRA, LoRA and LoRA again, LoRA."), taxonomy(PEFT))
    (assignment,) = result.topics
    assert assignment.topic_id == "peft"
    assert assignment.score == 6 + 3 * (1 + 0.5 * 2)
    assert assignment.reason == "“LoRA” in title (+6); “LoRA” in abstract ×4 (+6)"


def test_below_threshold_is_unsorted_and_kept() -> None:
    result = assign_paper(
        paper("Something else", "It mentions an adapter once."), taxonomy(PEFT, threshold=4)
    )
    assert result.topics == ()
    assert result.paper.title == "Something else"


def test_secondary_topics_need_a_share_of_the_best_score() -> None:
    both = paper("LoRA for DPO", "LoRA adapters, more LoRA, and DPO pairs.")
    assert [a.topic_id for a in assign_paper(both, taxonomy(PEFT, ALIGN)).topics] == ["peft", "align"]
    weak_second = paper("LoRA adapters", "LoRA adapters, LoRA everywhere, with one DPO run.")
    result = assign_paper(weak_second, taxonomy(PEFT, ALIGN, threshold=1, secondary_ratio=0.5))
    assert [a.topic_id for a in result.topics] == ["peft"]


def test_a_topic_may_set_its_own_share_of_the_best_score() -> None:
    """A facet that goes second to any topic (the guide's "understanding" beside an analysis of
    any method) joins at its own, lower share; the other topics keep the settings' share."""
    weak_second = paper("LoRA adapters", "LoRA adapters, LoRA everywhere, with one DPO run.")
    facet = Topic(id="align", title="Alignment", description="", rules=ALIGN.rules, secondary_ratio=0.2)
    result = assign_paper(weak_second, taxonomy(PEFT, facet, threshold=1, secondary_ratio=0.5))
    assert [a.topic_id for a in result.topics] == ["peft", "align"]
    strict = Topic(id="peft", title="PEFT", description="", rules=PEFT.rules, secondary_ratio=0.9)
    dpo_first = paper("DPO pairs", "DPO with one LoRA run and LoRA again.")  # 9 against 4.5
    assert [a.topic_id for a in assign_paper(dpo_first, taxonomy(strict, ALIGN, threshold=1)).topics] == [
        "align"
    ]
    assert [a.topic_id for a in assign_paper(dpo_first, taxonomy(PEFT, ALIGN, threshold=1)).topics] == [
        "align",
        "peft",
    ]


def test_scope_limits_a_rule_to_one_field() -> None:
    title_only = Topic(id="t", title="T", description="", rules=(rule("code", scope="title"),))
    assert assign_paper(paper("Plain title", "Our code is available."), taxonomy(title_only)).topics == ()
    assert assign_paper(paper("Code models", ""), taxonomy(title_only)).topics[0].score == 6


def test_exclusion_zeroes_a_topic() -> None:
    guarded = Topic(id="peft", title="PEFT", description="", rules=(rule("lora"),), exclude=("unlearning",))
    assert assign_paper(paper("LoRA unlearning"), taxonomy(guarded)).topics == ()


def test_patterns_are_case_sensitive_regular_expressions() -> None:
    topic = Topic(id="r", title="R", description="", rules=(rule(pattern=r"\bRL\b"),))
    assert assign_paper(paper("RL for math"), taxonomy(topic)).topics[0].reason == "“RL” in title (+6)"
    assert assign_paper(paper("rl for math"), taxonomy(topic)).topics == ()


def test_case_insensitive_patterns_find_what_python_s_re_finds() -> None:
    """Issue 6: a `(?i)` pattern runs without the flag on lowercased ASCII text (twice as fast);
    the matches must be re's own, as written in the text, whatever the pattern and text."""
    pieces = [
        "we",
        "find",
        "that",
        r"\b",
        r"\w+",
        r"\s",
        r"\S*",
        "[sz]",
        "[^a-c]",
        "(a|an|the)?",
        " ",
        "-",
        r"\.",
        "x{1,2}",
    ]
    chars = "aAbBcCsSzZxX .-_\n"
    draw = random.Random(6)
    texts = ["We FIND that the Analysis, shows; analyse vs ANALYZE.", "Straße ſ K İstanbul we find"]
    texts += ["".join(draw.choice(chars) for _ in range(draw.randrange(40))) for _ in range(60)]
    twins = 0
    for _ in range(300):
        body = "".join(draw.choice(pieces) for _ in range(draw.randrange(1, 5)))
        if draw.random() < 0.3:
            body += "|" + "".join(draw.choice(pieces) for _ in range(draw.randrange(1, 3)))
        pattern = "(?i)" + body
        twins += compile_pattern(pattern)[1] is not None
        for text in texts:
            expected = [m.group(0) for m in re.finditer(pattern, text)]
            assert TextIndex(text).pattern_hits(pattern) == expected, (pattern, text)
    assert twins == 300  # every drawn pattern took the fast path


def test_patterns_that_could_see_case_otherwise_are_run_as_written() -> None:
    assert compile_pattern(r"(?i)\bwe (find|observe)\b [sz]\S+")[1] is not None
    for pattern in [
        r"(?i)\\S",
        r"(?i)\x41",
        r"(?i)(a)\1",
        r"(?i)a(?-i:b)",
        r"(?i)Rl",
        r"(?i)(?P<n>a)(?P=n)",
        r"\bRL\b",
    ]:
        assert compile_pattern(pattern)[1] is None, pattern
    assert TextIndex(r"A\S").pattern_hits(r"(?i)\\s") == [r"\S"]
    assert TextIndex("ab aB").pattern_hits(r"(?i)a(?-i:b)") == ["ab"]


def test_subtopics_are_chosen_within_an_assigned_parent_and_never_lift_it() -> None:
    child = Topic(id="align/dpo", title="DPO", description="", rules=(rule("dpo"),), parent="align")
    parent = Topic(
        id="align", title="Alignment", description="", rules=(rule("alignment"),), children=(child,)
    )
    result = assign_paper(paper("DPO for alignment"), taxonomy(parent))
    assert [a.topic_id for a in result.topics] == ["align"]
    assert [a.topic_id for a in result.subtopics] == ["align/dpo"]
    assert result.topics[0].reason == "“alignment” in title (+6)"
    only_child_words = assign_paper(paper("DPO done right"), taxonomy(parent))
    assert only_child_words.topics == () and only_child_words.subtopics == ()


def test_kind_rules_pick_the_best_kind_or_the_default() -> None:
    kinds = (
        KindRule("survey", rule("survey", scope="title")),
        KindRule("benchmark", rule("benchmark", scope="title")),
    )
    tax = taxonomy(PEFT, kinds=kinds)
    assert assign_paper(paper("A Survey of LoRA"), tax).kind == "survey"
    assert assign_paper(paper("A Survey of LoRA"), tax).kind_reason == "“Survey” in title (+6)"
    assert assign_paper(paper("LoRA Bench: a benchmark"), tax).kind == "benchmark"
    assert assign_paper(paper("LoRA again"), tax).kind == "method"


def test_a_weak_kind_cue_counts_only_when_no_other_kind_matched() -> None:
    """`uncontested_threshold`: one mention of "we find that" (1.5 points) makes an analysis when
    no other kind's rule matched at all, but not when a method cue speaks against it."""
    kinds = (
        KindRule("analysis", rule("we find that", scope="abstract", weight=1.5)),
        KindRule("method", rule("we propose", scope="abstract", weight=1)),
    )
    finding = "We find that LoRA forgets less."
    both = "We propose a fix. We find that LoRA forgets less."
    strict = taxonomy(PEFT, kinds=kinds, kind_threshold=3)
    lenient = taxonomy(PEFT, kinds=kinds, kind_threshold=3, kind_uncontested_threshold=1.5)
    assert assign_paper(paper("LoRA and forgetting", finding), strict).kind == "method"
    analysis = assign_paper(paper("LoRA and forgetting", finding), lenient)
    assert (analysis.kind, analysis.kind_reason) == (
        "analysis",
        "“We find that” in abstract (+1.5); no other kind's rules matched",
    )
    contested = assign_paper(paper("LoRA and forgetting", both), lenient)
    assert contested.kind == "method"  # the default: 1.5 against 1 is too weak either way


def test_the_rule_index_changes_no_match_of_any_rule_on_the_default_survey() -> None:
    """The index only skips rules that cannot match: every rule scores the same with and without it."""
    from sitegen.classify.rules import PaperText, rule_index, score_rule
    from sitegen.config import load_config
    from sitegen.pipeline import BuildReport, load_site

    from .conftest import ROOT

    site = load_site(load_config(ROOT / "site.yaml"), BuildReport())
    index = rule_index(site.taxonomy)
    rules = list(index.rules)
    assert len(rules) > 50
    fired = 0
    for assigned in site.papers[::3]:
        plain, indexed = PaperText.of(assigned.paper), PaperText.of(assigned.paper, index)
        for r in rules:
            expected = score_rule(r, plain)
            assert score_rule(r, indexed) == expected, (assigned.slug, r.label)
            fired += bool(expected)
    assert fired > 300


def test_the_index_of_one_topics_rules_finds_what_the_whole_index_finds() -> None:
    """A rebuild re-scores an edited topic with an index of its rules alone: its scan must find
    the same occurrences of those rules' phrases as the whole taxonomy's scan."""
    from sitegen.classify.rules import RuleIndex, rule_index
    from sitegen.config import load_config
    from sitegen.pipeline import BuildReport, load_site

    from .conftest import ROOT

    site = load_site(load_config(ROOT / "site.yaml"), BuildReport())
    whole = rule_index(site.taxonomy)
    compared = 0
    for topic in site.taxonomy.walk():
        alone = RuleIndex(topic.rules, topic.exclude)
        for assigned in site.papers[::7]:
            for text in (TextIndex(assigned.paper.title), TextIndex(assigned.paper.abstract)):
                everything = whole.scanner.scan(text.tokens)
                expected = {p: runs for p, runs in everything.items() if p in alone.scanner.phrases}
                assert alone.scanner.scan(text.tokens) == expected, (topic.id, assigned.slug)
                assert alone.by_rule(expected) == {
                    r: ps for r, ps in whole.by_rule(everything).items() if r in topic.rules
                }
                compared += bool(expected)
    assert compared > 200


def test_wildcards_and_words_written_as_one_are_found_through_the_index() -> None:
    from sitegen.classify.rules import PaperText, RuleIndex, score_rule

    wild, joined, short = rule("adapt*"), rule("instruction tun*"), rule("lo*")
    text = PaperText.of(paper("Adapters and instructiontuned LoRA"), RuleIndex([wild, joined, short]))
    assert [m.text for r in (wild, joined, short) for m in score_rule(r, text)] == [
        "Adapters", "instructiontuned", "LoRA",
    ]  # fmt: skip
    # Both spellings of a wildcard phrase, the one written as one first: hits keep the text's order.
    both = PaperText.of(paper("t", "Instructiontuned models beat instruction tuning."), RuleIndex([joined]))
    (match,) = score_rule(joined, both)
    assert (match.text, match.field) == ("Instructiontuned", "abstract ×2")


def test_content_words_drop_stop_words_and_fold_plurals_the_same_every_time() -> None:
    """Words are folded once and looked up after: the first and later texts read alike, and a
    full cache (a long-running `sitegen serve`) still folds new words."""
    from sitegen.classify import similarity

    text = "We propose Studies of LoRA models; the losses and analysis of bias in policies."
    expected = ["study", "lora", "losse", "analysis", "bia", "policy"]  # crude, but the same everywhere
    assert similarity.words(text) == expected
    assert similarity.words(text) == expected
    assert similarity.features("reward models align") == ["reward", "align", "reward align"]
    full = similarity._Folded()
    limit, similarity._FOLDED_LIMIT = similarity._FOLDED_LIMIT, 0
    try:
        assert [full[w] for w in ("adapters", "the", "of", "rewards")] == ["adapter", "", "", "reward"]
        assert not full
    finally:
        similarity._FOLDED_LIMIT = limit


def test_topics_left_unscored_under_the_floor_change_no_assignment_of_the_default_survey(monkeypatch) -> None:
    """Most topics could reach a paper only by similarity, and fall short: they are not scored.
    Every paper must get the same topics, subtopics, reasons, kind and near misses as when every
    topic is scored."""
    from sitegen.classify.assign import Assigner
    from sitegen.classify.rules import PaperText
    from sitegen.config import load_config
    from sitegen.pipeline import BuildReport, load_inputs

    from .conftest import ROOT

    inputs = load_inputs(load_config(ROOT / "site.yaml"), BuildReport())
    assigner = Assigner(inputs.papers, inputs.taxonomy, inputs.examples)
    shortcut = [assigner.assign(p) for p in inputs.papers]
    skipped = sum(
        assigner._under_floor(t, PaperText.of(p, assigner.rule_index))
        for p in inputs.papers[::10]
        for t in assigner.topics
    )
    monkeypatch.setattr(Assigner, "_under_floor", lambda self, topic, text: False)
    assert [assigner.assign(p) for p in inputs.papers] == shortcut
    assert skipped > 0.5 * len(inputs.papers[::10]) * len(assigner.topics)


def test_the_scan_reports_words_as_written_when_lowercasing_changes_a_texts_length() -> None:
    """ "İ" lowers to two characters: the words' places are then found one by one, and the scan
    must still hand back each occurrence as the text writes it."""
    from sitegen.classify.rules import PaperText, RuleIndex, score_rule

    lora, tuning = rule("lora"), rule("fine-tuning")
    text = PaperText.of(
        paper("t", "İnstruction Fine-Tuning with LoRA, then fine tuning"), RuleIndex([lora, tuning])
    )
    assert [(m.text, m.field) for r in (lora, tuning) for m in score_rule(r, text)] == [
        ("LoRA", "abstract"), ("Fine-Tuning", "abstract ×2"),
    ]  # fmt: skip


def test_assignments_shared_among_the_cores_are_the_ones_made_in_one_process(monkeypatch) -> None:
    """The pipeline assigns the papers in worker processes, which hand them back pickled: every
    assignment, reasons and near misses included, must equal what one process makes."""
    from sitegen import parallel, pipeline
    from sitegen.classify.assign import Assigner
    from sitegen.config import load_config
    from sitegen.pipeline import BuildReport, load_inputs

    from .conftest import ROOT

    inputs = load_inputs(load_config(ROOT / "site.yaml"), BuildReport())
    assigner = Assigner(inputs.papers, inputs.taxonomy, inputs.examples)
    made = [assigner.assign(p) for p in inputs.papers]
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    assert pipeline._assign(assigner, inputs.papers) == made
    assert sum(bool(a.subtopics) for a in made) > 100 and sum(bool(a.near) for a in made) > 10
