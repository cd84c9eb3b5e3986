"""SpacyAnnotator: entities and events for batches of texts (the `Annotator` protocol).

One pass of `nlp.pipe` over the batch with only the components the work needs (the NER
and whatever it listens to, plus the company span ruler), then, per Doc, the company
linker (nlp.entities) and the event rules (nlp.events). Tickers the feed supplied are
merged in last, with source "feed", unless a ticker is already linked from the text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import spacy
from spacy.language import Language

from finsentry.contracts import Entity
from finsentry.settings import EntitySettings
from nlp.companies import CompanyDirectory, load_companies, normalize_ticker
from nlp.entities import RULER_NAME, CompanyLinker, add_company_ruler
from nlp.events import EventClassifier
from nlp.interfaces import Annotation

log = logging.getLogger(__name__)

# Bumped whenever the alias table or the event rules change what they find.
RULES_VERSION = "12"
_NER = "ner"
_SHARED_ENCODERS = ("tok2vec", "transformer")


def _keep_only_ner(nlp: Language) -> list[str]:
    """Remove every component the NER does not need; returns the names kept."""
    if _NER not in nlp.pipe_names:
        raise ValueError(f"spaCy pipeline {nlp.meta.get('name')!r} has no 'ner' component")
    keep = {_NER}
    for name in _SHARED_ENCODERS:
        if name in nlp.pipe_names:
            listeners = getattr(nlp.get_pipe(name), "listening_components", [])
            if _NER in listeners:
                keep.add(name)
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.remove_pipe(name)
    return nlp.pipe_names


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
        if RULER_NAME not in nlp.pipe_names:
            add_company_ruler(nlp, directory)
        self.nlp = nlp
        self.directory = directory
        self.batch_size = batch_size
        self.device = device
        self.linker = CompanyLinker(directory, link_unknown_cashtags=link_unknown_cashtags, ner_labels=ner_labels)
        self.events = EventClassifier(nlp.vocab)
        self.version = f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}-{nlp.meta.get('version', '0')}+rules{RULES_VERSION}"

    def annotate(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> list[Annotation]:
        if len(feed_tickers) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(feed_tickers)} feed ticker lists")
        out = []
        for doc, feed in zip(self.nlp.pipe(texts, batch_size=self.batch_size), feed_tickers, strict=True):
            entities = self.linker.link(doc)
            events = self.events.classify(doc)
            out.append(Annotation(entities=self._merge_feed(entities, feed), events=events))
        return out

    def annotate_one(self, text: str, feed_tickers: Sequence[str] | None = None) -> Annotation:
        return self.annotate([text], [feed_tickers])[0]

    def _merge_feed(self, entities: list[Entity], feed: Sequence[str] | None) -> list[Entity]:
        if not feed:
            return entities
        linked = {e.ticker for e in entities if e.ticker}
        merged = list(entities)
        for raw in feed:
            ticker = normalize_ticker(raw)
            if not ticker or ticker in linked:
                continue
            linked.add(ticker)
            company = self.directory.get(ticker)
            merged.append(
                Entity(
                    text=raw,
                    type="ORG",
                    ticker=ticker,
                    name=company.name if company else None,
                    sector=company.sector if company else None,
                    source="feed",
                )
            )
        return merged


def load_annotator(settings: EntitySettings, directory: CompanyDirectory | None = None) -> SpacyAnnotator:
    """The annotator the settings describe: spaCy pipeline, company list, watchlist."""
    on_gpu = bool(settings.prefer_gpu and spacy.prefer_gpu())  # type: ignore[attr-defined]
    nlp = spacy.load(settings.spacy_model)
    kept = _keep_only_ner(nlp)
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
        "spaCy %s on %s, components %s + %s, %d companies, %d event patterns",
        settings.spacy_model,
        annotator.device,
        kept,
        RULER_NAME,
        len(directory),
        annotator.events.n_patterns,
    )
    return annotator
