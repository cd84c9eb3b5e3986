"""SpacyAnnotator: entities and events for batches of texts (the `Annotator` protocol).

One pass of `nlp.pipe` over the batch with only the components the work needs: the NER
and whatever it listens to, then finsentry's own (nlp/components.py), the company span
ruler, the company linker (nlp.entities) and the event rules (nlp.events), so that
`nlp.pipe_names` ends `ner, company_ruler, company_linker, event_classifier`. The tagger
and parser run afterwards, only on the docs with a linked company and an event. Tickers the
feed supplied are merged in last, with source "feed", unless a ticker is already linked from
the text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from finsentry.contracts import Entity, Event
from finsentry.settings import EntitySettings
from nlp.companies import Company, CompanyDirectory, load_companies, normalize_ticker
from nlp.company_words import company_words
from nlp.components import add_finsentry_components, doc_entities, doc_events
from nlp.entities import short_name
from nlp.events import merge_price_drops
from nlp.interfaces import Annotation
from nlp.target_clauses import Mention
from nlp.targets import Attribution, attribute

log = logging.getLogger(__name__)

_NER = "ner"
_SHARED_ENCODERS = ("tok2vec", "transformer")
# Run only on texts that name a company and carry an event: the parse tells event targets
# from actors (nlp/targets.py), and most headlines need neither.
_READING = ("tagger", "parser")


def _keep_only_ner(nlp: Language) -> list[str]:
    """Remove every component the NER does not need; returns the names kept.

    The tagger and the parser (and the encoder they listen to) stay loaded but disabled:
    `SpacyAnnotator` runs them itself, on the few texts whose event targets they decide.
    """
    if _NER not in nlp.pipe_names:
        raise ValueError(f"spaCy pipeline {nlp.meta.get('name')!r} has no 'ner' component")
    keep = {_NER}
    reading = {name for name in _READING if name in nlp.pipe_names}
    for name in _SHARED_ENCODERS:
        if name in nlp.pipe_names:
            listeners = set(getattr(nlp.get_pipe(name), "listening_components", []))
            if _NER in listeners:
                keep.add(name)
            elif listeners & reading:
                reading.add(name)
    for name in list(nlp.pipe_names):
        if name not in keep and name not in reading:
            nlp.remove_pipe(name)
    for name in reading - keep:
        nlp.disable_pipe(name)
    return nlp.pipe_names


def _mentions(doc: Doc, entities: Sequence[Entity]) -> list[Mention]:
    out = []
    for e in entities:
        if e.ticker and e.start is not None and e.end is not None:
            span = doc.char_span(e.start, e.end, alignment_mode="expand")
            if span is not None:
                out.append(Mention(e.ticker, span.start, span.end))
    return out


class SpacyAnnotator:
    """Entities (ORG/PERSON/GPE/MONEY/PERCENT, companies linked to tickers) and typed events."""

    name = "spacy-rules"

    def __init__(
        self,
        nlp: Language,
        directory: CompanyDirectory,
        *,
        batch_size: int = 256,
        link_unknown_cashtags: bool = True,
        ner_labels: Sequence[str] = ("ORG", "PERSON", "GPE", "MONEY", "PERCENT"),
        device: str = "cpu",
    ) -> None:
        self.linker, self.events = add_finsentry_components(
            nlp, directory, link_unknown_cashtags=link_unknown_cashtags, ner_labels=ner_labels
        )
        self.nlp = nlp
        self.directory = directory
        self.batch_size = batch_size
        self.device = device
        # The disabled components that read the clause structure, in pipeline order.
        self.reading = [
            name for name in nlp.component_names if name in nlp.disabled and name in (*_SHARED_ENCODERS, *_READING)
        ]
        # "+rules<hash>": the rules' version is a hash of the rule files (nlp/event_rules.py).
        self.version = f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}-{nlp.meta.get('version', '0')}+rules{self.events.version}"

    def annotate(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> list[Annotation]:
        if len(feed_tickers) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(feed_tickers)} feed ticker lists")
        found = []
        for doc, feed in zip(self.nlp.pipe(texts, batch_size=self.batch_size), feed_tickers, strict=True):
            entities = self._merge_feed(doc.text, doc_entities(doc), feed)
            found.append((doc, entities, _mentions(doc, entities), doc_events(doc)))
        self._read_structure([doc for doc, _, mentions, matches in found if mentions and matches])
        out = []
        for (doc, merged, mentions, matches), feed in zip(found, feed_tickers, strict=True):
            given = {t for t in (normalize_ticker(raw) for raw in feed or ()) if t}
            # A feed ticker whose name the text writes was read with the sentence: where the
            # sentence gives it no event, the feed does not either ("AMCA Parent Files for
            # Bankruptcy After Losing Quest, LabCorp Business" is not Quest's filing).
            feed_only = [e.ticker for e in merged if e.source == "feed" and e.ticker and e.start is None]
            # A solved problem's targets are the problem's, read with its type's role (the company sued).
            found_targets = (
                attribute(doc, [(event.solves or event.type, hits) for event, hits in matches], mentions)
                if matches
                else []
            )
            events = merge_price_drops(
                [
                    _targeted(e, found, given, [t for t in feed_only if self._may_be(t, found.foreign)])
                    for (e, _), found in zip(matches, found_targets, strict=True)
                ]
            )
            out.append(Annotation(entities=merged, events=events))
        return out

    def _read_structure(self, docs: list[Doc]) -> None:
        """Tag and parse the docs in place (the components the pipeline keeps disabled)."""
        for name in self.reading:
            docs = list(self.nlp.get_pipe(name).pipe(docs, batch_size=self.batch_size))  # type: ignore[attr-defined]

    def annotate_one(self, text: str, feed_tickers: Sequence[str] | None = None) -> Annotation:
        return self.annotate([text], [feed_tickers])[0]

    def _may_be(self, ticker: str, names: Sequence[str]) -> bool:
        """May the feed's company be one of the organisations the text `names` without linking
        them ("Penney's" for J. C. Penney, not "Steward Health Care" for Medical Properties
        Trust)? A word of its name in theirs says so; no names, nothing against it."""
        company = self.directory.get(ticker)
        if not names or company is None:
            return True
        own = {w.lower() for n in (company.name, *company.aliases) for w in _NAME_WORD.findall(n)}
        return any(w.lower() in own for n in names for w in _NAME_WORD.findall(n))

    def _merge_feed(self, text: str, entities: list[Entity], feed: Sequence[str] | None) -> list[Entity]:
        """The text's entities and the feed's tickers the text does not link; a feed ticker whose
        short name the text writes ("Capri", "Mosaic") keeps that place, so the sentence's events
        are read with it."""
        if not feed:
            return entities
        linked = {e.ticker for e in entities if e.ticker}
        taken = [(e.start, e.end) for e in entities if e.ticker and e.start is not None and e.end is not None]
        merged = list(entities)
        for raw in feed:
            ticker = normalize_ticker(raw)
            if not ticker or ticker in linked:
                continue
            linked.add(ticker)
            company = self.directory.get(ticker)
            place = _written_name(text, company, taken) if company else None
            if place is not None:
                taken.append(place)
            merged.append(
                Entity(
                    text=text[place[0] : place[1]] if place else raw,
                    type="ORG",
                    start=place[0] if place else None,
                    end=place[1] if place else None,
                    ticker=ticker,
                    name=company.name if company else None,
                    sector=company.sector if company else None,
                    source="feed",
                )
            )
        return merged


# The words of a name that can tell one organisation from another (not "Inc", "Co", "the").
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z&-]{3,}")


@lru_cache(maxsize=4096)  # asked per headline for each feed ticker the text does not link
def _name_patterns(company: Company) -> tuple[re.Pattern[str], ...]:
    """The company's short name, its aliases and the short name's first word (unless a generic
    one), each as a whole capitalised word."""
    short = short_name(company.name)
    names = [short, *company.aliases]
    first = short.split(" ")[0]
    if first != short and len(first) >= 4 and first not in company_words().generic_first_words:
        names.append(first)
    return tuple(re.compile(r"(?<![\w$@])" + re.escape(n) + r"(?![\w-])") for n in dict.fromkeys(n for n in names if n))


def _written_name(text: str, company: Company, taken: Sequence[tuple[int, int]]) -> tuple[int, int] | None:
    """Where `text` writes one of the company's names (`_name_patterns`), outside the entities
    already found: (start, end) or None."""
    for pattern in _name_patterns(company):
        for m in pattern.finditer(text):
            if not any(m.start() < end and start < m.end() for start, end in taken):
                return m.start(), m.end()
    return None


def _targeted(event: Event, found: Attribution, feed: set[str], feed_only: list[str]) -> Event:
    """The event with its targets; the feed's tickers are a strong hint of the article's subject."""
    targets = list(found.targets)
    if not targets:
        # No company in the text is the target: the tickers only the feed gives name the subject.
        targets = [t for t in feed_only if t != found.actor]
    elif feed and feed.intersection(targets):
        # Targets the feed names win over companies the feed leaves out (a rival named beside).
        targets = [t for t in targets if t in feed]
    return event.model_copy(update={"targets": targets, "actor": found.actor})


def load_annotator(settings: EntitySettings, directory: CompanyDirectory | None = None) -> SpacyAnnotator:
    """The annotator the settings describe: spaCy pipeline, company list, watchlist."""
    on_gpu = bool(settings.prefer_gpu and spacy.prefer_gpu())  # type: ignore[attr-defined]
    nlp = spacy.load(settings.spacy_model)
    _keep_only_ner(nlp)
    directory = directory if directory is not None else load_companies(settings)
    annotator = SpacyAnnotator(
        nlp,
        directory,
        batch_size=settings.batch_size,
        link_unknown_cashtags=settings.link_unknown_cashtags,
        ner_labels=settings.ner_labels,
        device="gpu" if on_gpu else "cpu",
    )
    log.info(
        "spaCy %s on %s, components %s (loaded but run only where needed: %s), %d companies, %d event patterns",
        settings.spacy_model,
        annotator.device,
        nlp.pipe_names,
        annotator.reading,
        len(directory),
        annotator.events.n_patterns,
    )
    return annotator
