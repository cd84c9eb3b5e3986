"""The company linker and the event classifier as registered spaCy pipeline components.

Registered with `@Language.factory`, so the pipeline itself says what runs and in which
order; with the shipped model

    nlp.pipe_names == ["tok2vec", "ner", "company_ruler", "company_linker", "event_classifier"]

The order is what the rules need: the linker reads the NER's entities and the company ruler's
spans, and rewrites `doc.ents` so that linked companies are ORG entities; the event rules
refer to those ORGs. The tagger and parser stay loaded but disabled: nlp/annotator.py runs
them itself, only on the docs with a linked company and an event.

Each component leaves its result on the Doc, where the annotator reads it:

- `doc._.finsentry_entities`: the linked companies (in text order), then spaCy's own entities;
- `doc._.finsentry_events`: each event found with the token positions of its match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from spacy.language import Language
from spacy.tokens import Doc

from finsentry.contracts import Entity, Event
from nlp.companies import CompanyDirectory
from nlp.entities import NER_LABELS, RULER_NAME, CompanyLinker, add_company_ruler
from nlp.events import EventClassifier

LINKER_NAME = "company_linker"
EVENTS_NAME = "event_classifier"
LINKER_FACTORY = "finsentry_company_linker"
EVENTS_FACTORY = "finsentry_event_classifier"
ENTITIES_ATTR = "finsentry_entities"
EVENTS_ATTR = "finsentry_events"

# An event with the token positions of the match that found it (what nlp/targets.py reads).
EventMatch = tuple[Event, list[tuple[int, ...]]]

for _attr in (ENTITIES_ATTR, EVENTS_ATTR):
    if not Doc.has_extension(_attr):
        # None until the component runs: a shared mutable default would leak between docs.
        Doc.set_extension(_attr, default=None)


class CompanyLinkerComponent:
    """Runs `CompanyLinker.link` on each Doc; the company list is given after creation.

    The list is not part of the component's config because spaCy configs hold only JSON
    values; the company ruler gets its patterns the same way, after it is added.
    """

    def __init__(self, name: str, *, link_unknown_cashtags: bool, ner_labels: Iterable[str]) -> None:
        self.name = name
        self.link_unknown_cashtags = link_unknown_cashtags
        self.ner_labels = tuple(ner_labels)
        self.linker: CompanyLinker | None = None

    def set_directory(self, directory: CompanyDirectory) -> CompanyLinker:
        self.linker = CompanyLinker(
            directory, link_unknown_cashtags=self.link_unknown_cashtags, ner_labels=self.ner_labels
        )
        return self.linker

    def __call__(self, doc: Doc) -> Doc:
        if self.linker is None:
            raise ValueError(f"pipeline component {self.name!r} has no company list: call set_directory() first")
        doc._.set(ENTITIES_ATTR, self.linker.link(doc))
        return doc


class EventClassifierComponent:
    """Runs `EventClassifier.classify_matches` on each Doc."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.classifier = EventClassifier(nlp.vocab)

    def __call__(self, doc: Doc) -> Doc:
        doc._.set(EVENTS_ATTR, self.classifier.classify_matches(doc))
        return doc


@Language.factory(
    LINKER_FACTORY,
    default_config={"link_unknown_cashtags": True, "ner_labels": sorted(NER_LABELS)},
    requires=["doc.ents", "doc.spans"],
    assigns=["doc.ents", f"doc._.{ENTITIES_ATTR}"],
)
def make_company_linker(
    nlp: Language, name: str, link_unknown_cashtags: bool, ner_labels: list[str]
) -> CompanyLinkerComponent:
    return CompanyLinkerComponent(name, link_unknown_cashtags=link_unknown_cashtags, ner_labels=ner_labels)


@Language.factory(EVENTS_FACTORY, requires=["doc.ents"], assigns=[f"doc._.{EVENTS_ATTR}"])
def make_event_classifier(nlp: Language, name: str) -> EventClassifierComponent:
    return EventClassifierComponent(nlp, name)


def add_finsentry_components(
    nlp: Language,
    directory: CompanyDirectory,
    *,
    link_unknown_cashtags: bool = True,
    ner_labels: Iterable[str] = NER_LABELS,
) -> tuple[CompanyLinker, EventClassifier]:
    """Add the company ruler, the linker and the event classifier after the NER (those missing).

    Returns the linker, given `directory`, and the event classifier.
    """
    if RULER_NAME not in nlp.pipe_names:
        add_company_ruler(nlp, directory)
    if LINKER_NAME not in nlp.pipe_names:
        config = {"link_unknown_cashtags": link_unknown_cashtags, "ner_labels": list(ner_labels)}
        nlp.add_pipe(LINKER_FACTORY, name=LINKER_NAME, after=RULER_NAME, config=config)
    if EVENTS_NAME not in nlp.pipe_names:
        nlp.add_pipe(EVENTS_FACTORY, name=EVENTS_NAME, after=LINKER_NAME)
    linker, events = nlp.get_pipe(LINKER_NAME), nlp.get_pipe(EVENTS_NAME)
    if not isinstance(linker, CompanyLinkerComponent) or not isinstance(events, EventClassifierComponent):
        raise TypeError(f"{LINKER_NAME!r} and {EVENTS_NAME!r} in this pipeline are not finsentry's components")
    return linker.set_directory(directory), events.classifier


def doc_entities(doc: Doc) -> list[Entity]:
    """What the linker left on the Doc."""
    return cast(list[Entity], _result(doc, ENTITIES_ATTR, LINKER_NAME))


def doc_events(doc: Doc) -> list[EventMatch]:
    """What the event classifier left on the Doc."""
    return cast(list[EventMatch], _result(doc, EVENTS_ATTR, EVENTS_NAME))


def _result(doc: Doc, attr: str, component: str) -> object:
    found = doc._.get(attr)
    if found is None:
        raise ValueError(f"doc._.{attr} is unset: the pipeline did not run {component!r}")
    return found
