"""Event rules: each type fires on a positive headline and stays quiet on a near-miss.

The headlines here are written for these tests, in other words than the eval set's, so
they check that the rules generalise rather than repeat the eval set.
"""

from __future__ import annotations

import pytest

from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.events import inflect
from nlp.taxonomy import EVENT_TYPES, REQUIRED_TYPES


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def _types(annotator: SpacyAnnotator, text: str) -> set[str]:
    return {e.type for e in annotator.annotate_one(text).events}


# (type, positive headline, near-miss headline that must NOT carry the type)
CASES: list[tuple[str, str, str]] = [
    ("downgrade", "Morgan Stanley lowers Chevron to equal-weight", "Tropical storm downgraded as it moves inland"),
    ("upgrade", "Nvidia Upgraded To Buy At HSBC", "Intel upgrades its Ohio fab with new tools"),
    ("earnings_miss", "Walmart quarterly EPS misses consensus", "Striker misses penalty in cup final"),
    ("earnings_beat", "Merck earnings top Wall Street expectations", "Apple beats Samsung in tablet sales race"),
    ("guidance_cut", "3M lowers its 2025 profit forecast", "IMF cuts its global growth forecast"),
    ("guidance_raise", "Visa raises annual revenue outlook", "Stripe raises $600 million from investors"),
    ("lawsuit", "Pfizer sued by Texas over vaccine claims", "Others follow suit as banks lift savings rates"),
    ("investigation", "Regulators probe Amazon's marketplace fees", "NASA probe slingshots around Jupiter"),
    ("fine", "Uber fined $290 million by Dutch privacy regulator", "Chef says the fine print on menus matters"),
    ("recall", "Honda recalls 750,000 SUVs over airbags", "Tim Cook recalls his first day at Apple"),
    ("bankruptcy", "Rite Aid files for Chapter 11", "Critics call the plan morally bankrupt"),
    ("default", "Developer defaults on $2 billion of bonds", "Google is the default search engine on iPhones"),
    ("restructuring", "Bayer unveils sweeping restructuring plan", "Bayer unveils new crop science lab"),
    ("layoffs", "Tesla to cut 10% of its global workforce", "Tesla to hire 3,000 workers in Texas"),
    ("executive_departure", "Disney CFO steps down after two years", "Disney names new head of parks"),
    ("merger_acquisition", "Cisco agrees to acquire Splunk", "Cisco buys back $5 billion of stock"),
    ("dividend_cut", "Intel slashes its quarterly dividend", "Intel declares regular quarterly dividend"),
    ("data_breach", "Okta says hackers stole customer data", "Supplier sues over breach of contract"),
    ("regulatory_action", "FDA rejects Novavax application", "FDA approves Novavax application"),
    ("fraud_allegation", "Prosecutors allege fraud at crypto lender", "Bank rolls out new fraud detection tools"),
    ("credit_downgrade", "Fitch downgrades Ford to junk", "Ford shares rise on strong truck sales"),
    ("price_target_cut", "Citi trims Tesla price target to $180", "Target cuts prices on 5,000 items"),
    ("price_target_raise", "Jefferies raises Apple price target to $250", "Apple raises prices of iPhones in India"),
    ("dividend_raise", "Coca-Cola hikes dividend for 62nd year", "Coca-Cola declares quarterly dividend"),
    ("going_concern", "Auditor raises going concern doubt at WeWork", "WeWork keeps going despite losses"),
    ("delisting", "Nasdaq moves to delist the Chinese firm", "Nasdaq lists three new IPOs"),
    ("operational_disruption", "Refinery fire halts output at Valero's Texas plant", "Valero fires its refinery chief"),
]


def test_every_required_type_has_a_case() -> None:
    assert set(REQUIRED_TYPES) <= {c[0] for c in CASES}


@pytest.mark.parametrize(("event_type", "positive", "near_miss"), CASES, ids=[c[0] for c in CASES])
def test_type_fires_on_positive_and_not_on_near_miss(
    annotator: SpacyAnnotator, event_type: str, positive: str, near_miss: str
) -> None:
    assert event_type in _types(annotator, positive), positive
    assert event_type not in _types(annotator, near_miss), near_miss


def test_event_records_trigger_words_and_base_severity(annotator: SpacyAnnotator) -> None:
    text = "Boeing CEO Dave Calhoun to step down at year end"
    events = annotator.annotate_one(text).events
    assert [e.type for e in events] == ["executive_departure"]
    assert events[0].severity == EVENT_TYPES["executive_departure"].severity
    assert events[0].trigger == "step down"


def test_trigger_leaves_out_the_words_in_a_gap(annotator: SpacyAnnotator) -> None:
    text = "Hasbro cuts full-year profit forecast"
    (event,) = annotator.annotate_one(text).events
    assert event.type == "guidance_cut"
    assert event.trigger == "cuts forecast"


def test_several_events_in_one_headline(annotator: SpacyAnnotator) -> None:
    got = _types(annotator, "Carmaker recalls 1 million cars, CFO resigns and shares are cut to sell at UBS")
    assert {"recall", "executive_departure", "downgrade"} <= got


def test_credit_downgrade_is_not_also_an_analyst_downgrade(annotator: SpacyAnnotator) -> None:
    got = _types(annotator, "Moody's downgrades Intel's debt rating")
    assert "credit_downgrade" in got and "downgrade" not in got


def test_price_target_cut_is_not_a_rating_downgrade(annotator: SpacyAnnotator) -> None:
    got = _types(annotator, "Nike price target cut to $90 from $110 at Barclays")
    assert got == {"price_target_cut"}


def test_title_case_headlines_match(annotator: SpacyAnnotator) -> None:
    assert "downgrade" in _types(annotator, "Goldman Downgrades Apple To Neutral")
    assert "layoffs" in _types(annotator, "Microsoft Lays Off 1,900 Gaming Employees")


def test_forecasters_outlooks_are_not_company_guidance(annotator: SpacyAnnotator) -> None:
    assert _types(annotator, "Analysts are trimming their forecasts for Nike") == set()
    assert _types(annotator, "Fed's Mester upbeat on outlook for the economy") == set()
    assert "guidance_cut" in _types(annotator, "Nike trims its full-year forecast")


def test_no_event_in_plain_market_news(annotator: SpacyAnnotator) -> None:
    assert _types(annotator, "Stocks edge higher as investors await inflation data") == set()
    assert _types(annotator, "Retail sales fall short of expectations in March") == set()


def test_events_come_in_text_order(annotator: SpacyAnnotator) -> None:
    events = annotator.annotate_one("Lender defaults on loans, then files for bankruptcy").events
    assert [e.type for e in events] == ["default", "bankruptcy"]


@pytest.mark.parametrize(
    ("lemma", "forms"),
    [
        ("downgrade", {"downgrade", "downgrades", "downgraded", "downgrading"}),
        ("slash", {"slash", "slashes", "slashed", "slashing"}),
        ("cut", {"cut", "cuts", "cutting"}),
        ("lay", {"lay", "lays", "laid", "laying"}),
        ("deny", {"deny", "denies", "denied", "denying"}),
        ("probe", {"probe", "probes", "probed", "probing"}),
        ("skip", {"skip", "skips", "skipped", "skipping"}),
        ("flag", {"flag", "flags", "flagged", "flagging"}),
        ("visit", {"visit", "visits", "visited", "visiting"}),
    ],
)
def test_inflect(lemma: str, forms: set[str]) -> None:
    assert set(inflect(lemma)) == forms


# Phrase families added after the blind batches (wild .. final5): slang, figures in numbers,
# idioms. Each positive has a near-miss that shares its trigger words.
FAMILY_CASES: list[tuple[str, str, str]] = [
    ("downgrade", "Lululemon loses a bull at Barclays", "Lululemon bull market loses steam"),
    ("downgrade", "Roku stock slides after Citi turns bearish", "Options traders turn bearish on Roku"),
    ("downgrade", "KeyBanc moves to the sidelines on Snap", "Snap moves its ad team to London"),
    ("downgrade", "Pinterest gains a bear at Wedbush", "Pinterest gains after Wedbush note"),
    ("downgrade", "Etsy loses buy rating at Jefferies", "Etsy loses sellers to Amazon"),
    ("upgrade", "Compass Point ups Kimco to Buy", "Kimco willing to pay up to $2 billion to buy rival"),
    ("upgrade", "Elastic jumps as Canaccord turns bullish", "Crypto traders turn bullish on ether"),
    ("earnings_miss", "Kohl's Q3 EPS 78 cents vs. 98 cents", "Kohl's Q3 sales $4.6 bln vs. $4.7 bln a year ago"),
    (
        "earnings_miss",
        "Macy's Q3 sales $5.17 bln vs. $5.40 bln; FactSet consensus $5.32 bln",
        "Unemployment rate 4.9% vs 4.1% consensus",
    ),
    ("earnings_miss", "Knowles Just Missed EPS By 14%", "Knowles misses the deadline for its filing"),
    ("earnings_miss", "Penn National EPS of -$0.80", "Penn National EPS of -$0.05 beats by $0.02"),
    ("earnings_miss", "MercadoLibre slips after margin miss", "MercadoLibre slips after competitor launch"),
    (
        "earnings_beat",
        "Yum Q4 same-store sales up 4%; FactSet consensus up 3.2%",
        "Delta sees 2020 revenue up 4% to 6%",
    ),
    ("earnings_beat", "Twitter beats revenue, user growth estimates", "Apple beats Samsung in tablet sales race"),
    ("guidance_cut", "Kohl's -11% after profit view slashed", "Analysts slash their views on Kohl's"),
    ("guidance_cut", "Bank of Ireland cuts key profit target", "Citi cuts Bank of Ireland price target"),
    (
        "guidance_cut",
        "Macy's lowers fiscal 2019 sales and earnings guidance",
        "Macy's lowers prices as analysts forecast weak sales",
    ),
    (
        "guidance_cut",
        "Tapestry estimates negative impact of $200 mln from outbreak",
        "Tapestry estimates sales of $6 bln",
    ),
    (
        "dividend_cut",
        "Continental Resources announces suspension of quarterly dividend",
        "Continental Resources declares quarterly dividend",
    ),
    ("layoffs", "Travel slump could cost 25 million jobs", "Travel slump could cost airlines $25 billion"),
    (
        "restructuring",
        "Walmart pulls the plug on Jet.com grocery service",
        "Walmart plugs Jet.com into its grocery service",
    ),
    ("restructuring", "Shale producers slash spending again", "A. H. Belo cuts capital spending to $1M"),
    ("regulatory_action", "Uber stripped of London licence", "Uber drivers get London licence"),
    (
        "regulatory_action",
        "FDA advisory committee gives thumbs down to Brinavess",
        "Sales of oil cargoes have ground to a halt",
    ),
    (
        "merger_acquisition",
        "UK watchdog probing Google-Looker deal",
        "Canadian Milk Giant Saputo homes in on Dairy-Free Deal",
    ),
    ("merger_acquisition", "ICE calls off eBay interest", "Investors Who Bought eBay Shares A Year Ago Are Up 20%"),
    ("merger_acquisition", "3M is exploring a sale of its drug delivery unit", "The Best CEFs To Buy For 10% Yields"),
    ("default", "Half of small businesses fall behind on April rent", "Half of small businesses fall behind rivals"),
    ("credit_downgrade", "Moody's cuts Ford to junk", "S&P 500 opens fractionally lower"),
    ("executive_departure", "CEO turnover at Bluegreen Vacations", "Knicks fire head coach David Fizdale"),
    ("executive_departure", "WeWork's Neumann out as CEO", "FedEx CEO calls out NYT over tax report"),
    ("investigation", "FTC looking into Facebook ad practices", "The facts pile up in impeachment inquiry"),
    (
        "guidance_cut",
        "Tesla sees FY EPS $1.50-$1.60 vs. $1.70 consensus",
        "AM Best revises outlook to stable for insurer",
    ),
    (
        "guidance_raise",
        "Adobe sees Q1 EPS $2.23 vs. $2.10 consensus",
        "Target Q3 revenue $18.7 bln; FactSet consensus $18.4 bln",
    ),
    ("merger_acquisition", "Xerox's bid rejected by HP", "Is It Smart To Buy TJX Before It Goes Ex-Dividend?"),
    ("lawsuit", "Boeing agrees to $2.5 billion settlement", "Boeing agrees to $2.5 billion jet order"),
    ("regulatory_action", "FDA declines to approve Zimhi", "Treasury yields pare decline after jobs report"),
    (
        "credit_downgrade",
        "Insurer may have its ratings cut by one notch at Fitch",
        "Insurer cut its ratings of drivers",
    ),
    ("upgrade", "Baird returns to Wingstop bull camp", "Bull market returns to Wingstop"),
    ("executive_departure", "Ford shakes up top management", "Ford shakes up its truck lineup"),
    ("earnings_miss", "Shares slide after surprise drop in earnings", "Shares slide after surprise drop in oil prices"),
    ("guidance_cut", "Henkel withdraws 2020 view", "Expect a weaker dollar in 2020"),
    (
        "regulatory_action",
        "Supermarkets told to drop exclusivity clauses",
        "China to suspend additional tariffs on U.S. goods",
    ),
    ("merger_acquisition", "REPAY announces the acquisition of Ventanex", "Gilead an acquisition target?"),
    (
        "restructuring",
        "Walmart's Jet is ending its fresh-food delivery business",
        "UK to spend 5 billion pounds on bus service overhaul",
    ),
    ("upgrade", "Zscaler rises on new bull ahead of earnings", "New bull market for chip stocks"),
    ("upgrade", "Workday added to Goldman's conviction list", "Workday added to the S&P 500"),
    ("merger_acquisition", "Coty buys majority interest in Kylie Jenner beauty line", "Fund buys interest-rate swaps"),
    (
        "merger_acquisition",
        "Sorrento rejects all-cash takeout proposal",
        "State Grid nears Oman electricity stake purchase",
    ),
    (
        "lawsuit",
        "Biogen shares rise on patent resolution with Sawai",
        "Aimia gains after settling with dissident shareholders",
    ),
    (
        "guidance_raise",
        "LexinFintech rises after loan origination view improves",
        "Fed's Mester upbeat on outlook for the economy",
    ),
    ("upgrade", "Domino's rises after Goldman Sachs warms up", "Hedge Funds Are Warming Up To First Bancorp"),
    ("upgrade", "Piper Sandler more bullish on Apple", "Hedge Funds Have Never Been More Bullish On Landec"),
    ("upgrade", "BofA raises Ford rating", "SEBI mulls raising penalty on rating agencies"),
    ("earnings_beat", "Netflix blows past estimates", "Nonfarm payrolls blow past expectations"),
    ("earnings_beat", "Shopify swings to profit", "Shopify swings to loss"),
    ("guidance_raise", "Nvidia sees Q4 revenue above estimates", "Nvidia sees Q4 revenue below estimates"),
    ("merger_acquisition", "Blackstone takes Hilton private", "Executive takes a private jet to Davos"),
    ("merger_acquisition", "Microsoft wins bidding war for Activision", "Microsoft wins cloud contract"),
    (
        "earnings_beat",
        "Coach sales up 2% to $1.27 bln; FactSet consensus $1.26 bln",
        "Hanes sales down 1% to $1.75 bln; FactSet consensus $1.75 bln",
    ),
    ("earnings_beat", "Twitter tops user, sales expectations for 4Q", "Twitter tops user charts"),
    ("fine", "Goldman Sachs' fine for its role in the 1MDB scandal", "Goldman Sachs' fine art collection"),
    ("regulatory_action", "FAA grounds Boeing 737 MAX jets", "Sales of grounded Boeing 737 MAX jets pick up"),
    ("downgrade", "JPMorgan goes underweight on Boeing", "JPMorgan goes big on Boeing bonds"),
    ("earnings_miss", "GE's earnings take a hit", "GE takes a hit on its stake sale"),
    ("guidance_cut", "Apple won't meet revenue guidance", "Apple will meet revenue guidance"),
    ("guidance_cut", "Under Armour sees sales falling", "Beckhams' business empire sees revenues drop 18%"),
    ("bankruptcy", "Hertz seeks court protection from creditors", "Hertz seeks protection from rising costs"),
    ("default", "Argentina misses $500 million bond payment", "Argentina makes $500 million bond payment"),
    ("executive_departure", "Under Armour CEO Plank to hand over role", "Under Armour CEO to hand over prizes"),
    ("earnings_miss", "Philip Morris Q4 $1.04, down 15.4%", "Philip Morris shares $104, down 1.5%"),
    ("merger_acquisition", "DOJ antitrust lawsuit over Amedisys deal", "Climate fight takes a step back with No Deal"),
    ("bankruptcy", "Scooter unicorn goes hooves-up", "Scooter unicorn goes public"),
    ("regulatory_action", "Uber may lose the right to operate in London", "Trump walks away from vaping ban"),
    (
        "restructuring",
        "Carmaker to close two plants in Europe",
        "Carmakers close Chinese factories because of coronavirus",
    ),
    ("downgrade", "Goldman downgrades Intel", "IMF likely to downgrade India's growth forecast"),
    ("upgrade", "MaxLinear rises as Needham leaves sidelines", "Investors sit on the sidelines"),
    (
        "earnings_beat",
        "AbbVie reports estimate-beating fourth-quarter earnings",
        "AbbVie reports fourth-quarter earnings",
    ),
    (
        "earnings_miss",
        "Retailer reports weak second quarter",
        "London defies weak second quarter for Britain's economy",
    ),
    ("merger_acquisition", "Genworth rises after sale of Canada unit closes", "Black Friday shopping closes early"),
    (
        "guidance_raise",
        "Uber says it will reach profitability goal sooner than expected",
        "Uber says it will reach drivers sooner",
    ),
    (
        "regulatory_action",
        "Alkem gets three observations from U.S. FDA",
        "Analysts share observations from the conference",
    ),
    # A company's name that holds a macro word ("Housing") is not a macro release.
    ("earnings_miss", "Acme Housing Corporation Earnings Missed Analyst Estimates", "Housing starts missed forecasts"),
    ("earnings_miss", "Why did the retailer take a hit of $2 billion on its bottom line?", "Shares hit a new low"),
    ("earnings_beat", "Chipmaker impresses again with its quarterly results", "Chipmaker impresses visitors at show"),
    ("lawsuit", "Law firm announces that a securities class acti…", "Firm announces a securities offering"),
    ("delisting", "Miner receives Nasdaq non-compliance letter", "Miner receives Nasdaq listing approval"),
    ("bankruptcy", "Court hands administrators control of the airline", "Hospital appoints new administrator"),
    (
        "regulatory_action",
        "Regulator bans the sale of vaping products",
        "Doctors group calls for ban on vaping products",
    ),
    ("regulatory_action", "China orders LNG importers to halt purchases", "China LNG buyer invokes force majeure"),
    ("regulatory_action", "China caps foreign ownership of brokers", "Skyworks: China risk caps upside"),
    # A macro word inside a linked company's name is the company ("Home Depot"), not a macro release.
    ("earnings_miss", "Home Depot sales miss, shares plunge", "Home sales miss forecasts"),
    ("executive_departure", "Founder to leave the Acme supervisory board", "Founder joins the Acme supervisory board"),
    (
        "data_breach",
        "Hackers breach the bank's customer database",
        "Bank accused of 23 million money laundering breaches",
    ),
    ("merger_acquisition", "Utility makes a takeover bid for its rival", "Utility loses bid for higher tariffs"),
    ("guidance_cut", "Retailer cuts its annual outlook", "Retailer cut at Barclays on weaker ad outlook"),
    ("layoffs", "Bank to shut 80 branches, up to 400 jobs may go", "Bank to open 80 branches, 400 jobs to be added"),
    ("guidance_cut", "Refiner slashes its 2020 profit forecast", "OPEC slashed forecasts for global oil demand"),
    ("bankruptcy", "Retailer files for bankruptcy protection", "Consumer insolvencies approach record in Canada"),
    # Economies, law-firm alerts, hindsight and market colour (the final16-17 round).
    ("guidance_cut", "Strike puts the group's long-term targets in jeopardy", "Country cuts forecasts for wage growth"),
    ("merger_acquisition", "Shares fall after takeover bid rejection", "If you had bought Acme shares five years ago"),
    (
        "investigation",
        "Bank under the microscope over trading losses",
        "Law firm LLP investigates whether the sale is fair",
    ),
    ("fraud_allegation", "Regulator says the firm deceived its users", "Regulator says the firm informed its users"),
    ("default", "Miner defaults on its bonds", "Bets on potential mining defaults surge"),
    ("dividend_cut", "Miner scraps its dividend", "$56 billion of dividends have been scrapped by businesses"),
    ("lawsuit", "Investors file lawsuit against the carmaker", "Indonesia files WTO lawsuit against EU"),
    ("regulatory_action", "US imposes sanctions on Rusal", "Rusal faces tough market even after sanctions dropped"),
    ("restructuring", "Bank unveils overhaul of its investment arm", "Investor adviser calls for bank overhaul"),
    # operational_disruption: mass cancellations, not a route; a strike that stops work, not a deal;
    # a closure for a storm is a disruption, and no restructuring.
    (
        "operational_disruption",
        "Airline cancels 900 flights after a computer outage",
        "Airline cancels flights to Havana",
    ),
    ("operational_disruption", "Dockworkers go on strike at two ports", "Automaker strikes a deal with its union"),
    (
        "operational_disruption",
        "Chipmaker shuts Texas fab as winter storm cuts power",
        "Chipmaker opens a new Texas fab",
    ),
    ("restructuring", "Chipmaker to close its Texas plant for good", "Chipmaker shuts Texas plant after hurricane"),
    # The final18-19 round: forecasts of a loss are guidance; markets' and sectors' results are no company's.
    (
        "guidance_cut",
        "Software maker falls on wider-than-expected loss forecast",
        "Stocks close lower on earnings concerns",
    ),
    ("earnings_miss", "Retailer posts disappointing quarterly results", "Dow down after disappointing retail results"),
    ("earnings_beat", "Retailer delivers exceptional fourth quarter results", "Mining trial shows outstanding results"),
    ("merger_acquisition", "Insurer to buy FGL Holdings in a $2.7 billion deal", "Insurer to buy back shares"),
    ("downgrade", "Cruise stock falls after CFRA swings to bearish", "Cruise stock falls as traders turn bearish"),
    # The final20-21 round: a yes/no question states nothing; revenue moving against the year
    # before is no result (against expectations it is); economies' and industries' figures are no company's.
    ("dividend_raise", "Why Did 3M Raise Its Dividend Again?", "Will 3M Raise Its Dividend in 2020?"),
    # A hyphen inside a word opens no new sentence: the whole headline is still the question;
    # a dash after a slug does ("UPDATE 1-Will ...?").
    (
        "lawsuit",
        "States step up child-safety lawsuits against Snap",
        "Could Snap be next as states step up child-safety lawsuits?",
    ),
    ("dividend_cut", "Lowe's cuts its dividend", "UPDATE 1-Will Lowe's cut its dividend?"),
    ("earnings_beat", "Luminex Q1 revenue tops guidance", "Disney Q1 Revenue Up 36%"),
    (
        "earnings_miss",
        "Retailer's quarterly revenue misses estimates",
        "Beckhams' business empire sees revenues drop 18%",
    ),
    (
        "earnings_miss",
        "Retailer's quarterly profit below forecast",
        "U.S. retail sales rise 0.2% in November, below forecast",
    ),
    (
        "earnings_beat",
        "Utility Q3 net income rises 12%",
        "Utility Q3 results: profit meets estimates as other income rises",
    ),
    ("guidance_raise", "Miner surges as its outlook brightens", "Miner surges as steel outlook brightens"),
    (
        "earnings_beat",
        "Steelmaker surges on higher operating profit, dividend than expected",
        "Steelmaker expects higher operating profit next year",
    ),
    ("earnings_miss", "Shares slip on lower profit than expected", "Shares slip on lower oil prices than expected"),
    ("guidance_raise", "Drugmaker +4% premarket on Q4 and guidance beat", "Drugmaker +4% premarket on Q4 results"),
    (
        "guidance_raise",
        "Retailer up on raising adjusted operating margin and earnings outlook",
        "Retailer up on raising its adjusted operating margin; earnings outlook unchanged",
    ),
    (
        "executive_departure",
        "Carmaker loses its third general counsel in a year",
        "Carmaker loses executive order appeal",
    ),
    # The final22-23 round.
    (
        "guidance_cut",
        "Oil major cuts full-year profit forecast by 30%",
        "Oil major cuts full-year capex forecast by 30%, maintains long-term outlook",
    ),
    (
        "executive_departure",
        "Retailer announces changes to leadership team",
        "Retailer announces changes to store layouts",
    ),
    ("upgrade", "Chemicals maker named Conviction Buy at Goldman", "Chemicals maker named in Goldman note"),
    ("earnings_beat", "Retailer rejoins $1tn club on back of blockbuster earnings", "Studio's blockbuster film opens"),
    (
        "earnings_beat",
        "Chipmaker predicts it eked out a rise in profit last quarter",
        "Chipmaker predicts a rise in demand",
    ),
    (
        "merger_acquisition",
        "Holding company in advanced discussions to sell its insurance unit",
        "Holding company in advanced discussions with its lenders",
    ),
    (
        "merger_acquisition",
        "Broker expects higher offer for LogMeIn",
        "Broker expects higher dividend for shareholders",
    ),
    (
        "fraud_allegation",
        "Planemaker to pay $4 bln to settle corruption probe",
        "Planemaker to pay $4 bln to settle probe",
    ),
    ("regulatory_action", "737 MAX grounding benefits no one", "Planemaker's grounding in engineering"),
    # The final24-25 round.
    (
        "earnings_beat",
        "Software maker gains with another blow out report",
        "Software maker's founder blows out candles",
    ),
    (
        "earnings_beat",
        "Splunk (SPLK) rises following upside third quarter press",
        "Analyst sees upside to Splunk shares",
    ),
    (
        "earnings_beat",
        "Shoemaker reports record fourth quarter profit",
        "Shoemaker announces record fourth quarter sales of $1.33 billion",
    ),
    ("bankruptcy", "Retail chain sent into bankruptcy by debts", "Cancer sends many patients into bankruptcy"),
    ("merger_acquisition", "Marketplace nears deal to sell StubHub", "Top Insider Buys Highlight for the Week"),
    ("merger_acquisition", "Miner picked Harmony as the buyer for its mines", "Biotech buyer of 1000 January calls"),
    ("merger_acquisition", "Schwab aims for more with $26bn Ameritrade deal", "Farmers await $26bn trade deal"),
    ("lawsuit", "Exxon was found not guilty in climate change case", "A man has been found guilty of murder"),
    ("regulatory_action", "NYSE direct listings proposal rejected by SEC", "Pay proposal rejected by shareholders"),
    (
        "earnings_beat",
        "Retailer's profit came in slightly ahead of expectations",
        "Canada's trade deficit of goods narrowed in October and came in slightly ahead of expectations",
    ),
    # The final26-27 round.
    (
        "price_target_raise",
        "Here's Why Analysts Just Lifted Their Skyworks Solutions, Inc. Price Target To US$104",
        "Here's Why Analysts Just Lifted Their Skyworks Solutions, Inc. Estimates",
    ),
    (
        "upgrade",
        "Morgan Stanley adds Amazon to its list of favorite stocks",
        "Morgan Stanley adds Amazon to its list of holdings",
    ),
    ("earnings_beat", "Cannabis firm Q3 non-GAAP EBITDA up 169%", "Cannabis firm Q3 top line up 27%"),
    (
        "earnings_beat",
        "Geely's Volvo posts 18% rise in fourth-quarter profit",
        "Geely's Volvo posts 18% rise in fourth-quarter sales",
    ),
    ("executive_departure", "Telecom +8% after CEO termination", "Telecom +8% after contract termination"),
    (
        "executive_departure",
        "Carmaker's chairman to step down as CEO next year",
        "Merkel Successor Unexpectedly Resigns As CDU Leader",
    ),
    ("fraud_allegation", "Banks settle bond-rigging suit for $337M", "Banks settle bond suit for $337M"),
    (
        "merger_acquisition",
        "Insurer to pay $12.50 for each share, a 2.9% premium to Thursday's closing price",
        "Trading on the News Adds a Risk Premium to Shares of the chipmaker",
    ),
    # The final28-29 round.
    (
        "earnings_beat",
        "Packaging maker's earnings growth beats estimates",
        "Sonoco Products Company (NYSE:SON): Has Recent Earnings Growth Beaten Long-Term Trend?",
    ),
    (
        "price_target_cut",
        "Jefferies lifted Tesla shares to buy while paring the price target 19%",
        "Tesla shares pare losses",
    ),
    (
        "price_target_raise",
        "Motorola Solutions stock fair value estimate raised to $192 from $167",
        "Motorola Solutions raised $192 million",
    ),
    ("lawsuit", "Drugmaker prevails in patent challenge", "Drugmaker faces challenge from rivals"),
    ("earnings_beat", "Retailer's shares surge after company crushes earnings", "Retailer crushes rivals"),
    (
        "merger_acquisition",
        "Drugmaker up 26% premarket on rumored Novartis interest",
        "Bank's reported interest income rises",
    ),
    ("merger_acquisition", "Marketplace +6% after selling StubHub", "Marketplace +6% after selling more ads"),
    (
        "merger_acquisition",
        "Carlyle acquires majority stake in travel unit",
        "Carlyle and Qatar fund acquire stake in travel unit",
    ),
    (
        "merger_acquisition",
        "Insurer agrees to buy Tiffany",
        "Bipartisan Group Of US Lawmakers Introduce Bill Providing $3B To Buy Oil",
    ),
    ("upgrade", "Citi raises Alphabet on margin potential", "Apple raises prices on iPhones"),
    ("delisting", "Baxter International: Gets NYSE Notice Regarding 10-Q Filing", "Baxter gets NYSE listing approval"),
    ("investigation", "SEC investigates STERIS", "Should You Investigate STERIS plc (NYSE:STE) At US$149?"),
    # The final30-31 round. A linked company wins its span from the NER's long Title Case ORGs.
    ("upgrade", "UBS Upgrades Hasbro As Stock Price Bakes In Tariffs, Slow Holiday", "Hasbro Upgrades Its Toy Line"),
    ("guidance_raise", "Qiwi +4.1% after Q3 beat-and-raise", "Qiwi +4.1% after Q3 beat"),
    ("earnings_beat", "Why Pinterest Earnings Were So Inspiring", "Why Pinterest's Founders Were So Inspiring"),
    ("earnings_beat", "Skechers Stock Pops on Encouraging Earnings", "Skechers Stock Pops on Encouraging Comments"),
    (
        "executive_departure",
        "McDonald's names new international president after executive shake-up",
        "McDonald's names new international president after menu shake-up",
    ),
    (
        "executive_departure",
        "T-Mobile's outgoing CEO says he was never in talks",
        "T-Mobile's CEO says he was never in talks",
    ),
    ("lawsuit", "Judge will not force Uber to convert drivers to employees", "Uber will not force drivers to convert"),
    ("lawsuit", "Miner settles arbitration with royalty firm", "Miner settles in new offices"),
    ("delisting", "Two of three royalty trusts lose NYSE listing", "Royalty trust marks NYSE listing anniversary"),
    (
        "merger_acquisition",
        "Sonoco Products buys healthcare packaging thermoformer for $187M",
        "Trader buys 2K call option contracts for $450K",
    ),
    (
        "merger_acquisition",
        "EBay Sells StubHub to Viagogo for $4.05 Billion",
        "Botswana Sells Rights to Kill Elephants",
    ),
    (
        "merger_acquisition",
        "UK watchdog probing Google-Looker deal",
        "Biotech +18% on acquiring exclusive license for HBV",
    ),
    # The final32-33 round.
    (
        "earnings_beat",
        "Retailer's profit smashes expectations",
        "Job Openings Smash Expectations In Delayed JOLTS Report",
    ),
    (
        "earnings_beat",
        "Pinterest reveals sales and users grew faster than expected",
        "Pinterest reveals its staff grew faster than expected",
    ),
    ("upgrade", "Goldman ups view on Henry Schein", "Goldman ups stake in Henry Schein"),
    ("upgrade", "New Zscaler bull sees 'sustainable' growth", "Zscaler bull run continues"),
    ("executive_departure", "Thiam gets the boot at Credit Suisse", "Thiam gets the nod at Credit Suisse"),
    ("lawsuit", "Enterprise Loses Ruling At Texas Supreme Court", "Enterprise Loses Ground To Rivals"),
    ("price_target_raise", "AMD Traders Turn Bullish Following Second Analyst Target Hike", "Target Hikes Wages"),
    ("merger_acquisition", "Assertio To Sell Opioid Pain Drug", "Assertio To Sell Shares In Offering"),
    (
        "merger_acquisition",
        "Insurer launches tender offer for rival's shares",
        "Fund Announces Final Results of Modified Dutch Auction Tender Offer to Repurchase Shares",
    ),
    (
        "merger_acquisition",
        "Chipmaker agrees buyout by private equity",
        "AudioCodes enters into royalty buyout agreement",
    ),
    # The final34-35 round.
    ("upgrade", "Pullback turns Raymond James bullish on Intelsat", "Pullback turns traders bullish on Intelsat"),
    ("upgrade", "Upgrades 4/7: $AMT $BHP $BK", "Software upgrades 4 of 7 servers"),
    (
        "earnings_beat",
        "Splunk surges after reporting strong third-quarter sales",
        "Splunk surges after strong product sales",
    ),
    ("earnings_beat", "Bank's Profit Gains Momentum as Capital Buffers Improve", "Bank's Shares Gain Momentum"),
    ("earnings_beat", "Luminex Q1 revenue tops guidance", "Twitter quarterly revenue tops $1B for first time"),
    ("guidance_raise", "Avid Tech +11.5% after upside EPS forecast", "Avid Tech +11.5% after EPS forecast"),
    ("lawsuit", "ExxonMobil wins climate change court fight with New York", "ExxonMobil wins new drilling rights"),
    ("lawsuit", "Gm wins key legal victory over pre-bankruptcy liability", "Gm wins key market share"),
    (
        "bankruptcy",
        "Retailer files for bankruptcy protection",
        "Gm wins key legal victory over pre-bankruptcy liability",
    ),
    ("merger_acquisition", "Barrick gearing for more asset sales", "Barrick gearing for more copper sales"),
    ("merger_acquisition", "Novartis to Swallow Up The Medicines Company", "Novartis to Swallow Its Pride"),
    ("regulatory_action", "Russia Imposes Ban on Diamond Exports", "Russia Seeks to Lift Ban on Diamonds"),
    ("guidance_cut", "Miner sees lower output next year", "IHS Markit sees lower risk of global recession"),
    # The final36-37 round.
    (
        "upgrade",
        "Chipmaker Has Room To Run, Morgan Stanley Says In Upgrade",
        "Chipmaker says its upgrade cycle is strong",
    ),
    ("earnings_beat", "Drugmaker Reports Results That Plow Past Expectations", "Drugmaker plows ahead with trial"),
    (
        "guidance_raise",
        "Philip Morris Forecasts Higher Profit as IQOS Sales Rise",
        "Philip Morris Forecasts Higher Taxes",
    ),
    ("guidance_cut", "Brewer forecasts lower profit for 2020", "Brewer forecasts a rainy summer"),
    (
        "merger_acquisition",
        "Shares jump after report of potential Novartis offer",
        "Shares jump after report of strong demand",
    ),
    ("merger_acquisition", "New Media closes Gannett combination", "New Media closes Gannett printing plant"),
    ("merger_acquisition", "Miner agrees to takeover by rival", "First Quantum pours cold water on takeover talk"),
    ("investigation", "Diodes, Lite-On deal facing Chinese scrutiny", "Diodes, Lite-On deal facing delays"),
    ("fine", "HSBC to pay $192M under deferred prosecution agreement", "HSBC to pay $192M dividend"),
    ("restructuring", "Lyft pulls electric scooters from major cities", "Lyft pulls ahead of rivals in major cities"),
    (
        "guidance_raise",
        "Energy firm raises outlook for 2020",
        "Devon Energy, Hess upgraded at J.P. Morgan on improved E&P outlook",
    ),
]


@pytest.mark.parametrize(("event_type", "positive", "near_miss"), FAMILY_CASES, ids=[c[1][:40] for c in FAMILY_CASES])
def test_phrase_family_fires_and_its_near_miss_does_not(
    annotator: SpacyAnnotator, event_type: str, positive: str, near_miss: str
) -> None:
    assert event_type in _types(annotator, positive), positive
    assert event_type not in _types(annotator, near_miss), near_miss


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("Microsoft denies report of new layoffs", "layoffs"),
        ("Intel has no plans to cut its dividend", "dividend_cut"),
        ("Uber rules out a sale of its freight unit", "merger_acquisition"),
        ("Intuit denies report that hackers accessed TurboTax customer data", "data_breach"),
        ("Intuit says it found no evidence of a TurboTax breach", "data_breach"),
        ("Super Micro denies report it faces new Justice Department accounting probe", "investigation"),
        ("Supermicro Calls Report of Fresh DOJ Probe 'Categorically False'", "investigation"),
        ("Lucid Group Says Cash Lasts Into 2027, Rejects Going-Concern Speculation", "going_concern"),
        ("Wynn Resorts says it is not aware of any Nevada Gaming Control Board investigation", "investigation"),
        ("Nikola says it is not preparing a bankruptcy filing, calls report 'inaccurate'", "bankruptcy"),
    ],
)
def test_a_denied_event_is_not_reported(annotator: SpacyAnnotator, text: str, denied: str) -> None:
    assert denied not in _types(annotator, text)


def test_talk_rejected_is_a_denial_but_a_rejection_is_not(annotator: SpacyAnnotator) -> None:
    # Near miss: a regulator rejecting a drug is the event itself, with no talk rejected.
    assert "regulatory_action" in _types(annotator, "FDA rejects Moderna's combination flu-COVID shot")


@pytest.mark.parametrize(
    "text",
    [
        "Judge rejects Uber's bid to dismiss drivers' lawsuit",
        "Court refuses to dismiss shareholder lawsuit against Boeing",
        "Judge denies Johnson & Johnson motion to dismiss talc suits",
        "Court didn't dismiss shareholder suit against Boeing",
        "Investor lawsuit against Alphabet not dismissed by federal judge",
    ],
)
def test_a_dismissal_refused_leaves_the_suit_open(annotator: SpacyAnnotator, text: str) -> None:
    got = _types(annotator, text)
    assert "lawsuit" in got
    assert "problem_solved" not in got


def test_a_refusal_about_something_else_leaves_the_problem_solved(annotator: SpacyAnnotator) -> None:
    # Near miss: the denial is of wrongdoing, in another clause; the probe is closed.
    assert "problem_solved" in _types(
        annotator, "Broadcom denies wrongdoing as EU closes antitrust probe into Broadcom"
    )


def test_a_denial_does_not_hide_the_allegation(annotator: SpacyAnnotator) -> None:
    # The allegation exists even when the company denies it.
    assert "fraud_allegation" in _types(annotator, "Adani denies fraud allegations by short seller")


def test_figures_compare_units_and_cents(annotator: SpacyAnnotator) -> None:
    # $1.00 beats a 99-cent consensus, even though the year-ago figure was in cents.
    got = _types(annotator, "Yum Q4 adj. EPS $1.00 vs. 40 cents a year ago; FactSet consensus 99 cents")
    assert got == {"earnings_beat"}


@pytest.mark.parametrize(
    ("text", "event_type"),
    [
        ("Henry Schein, hit by a 2023 cyberattack, says its own systems are unaffected", "data_breach"),
        ("Chemical maker still pays for its 2019 plant explosion", "operational_disruption"),
        ("Investors remember the retailer's 2019 bankruptcy filing", "bankruptcy"),
    ],
)
def test_a_year_right_before_the_trigger_is_history(annotator: SpacyAnnotator, text: str, event_type: str) -> None:
    assert event_type not in _types(annotator, text)


def test_a_year_after_the_trigger_told_in_the_past_is_history(annotator: SpacyAnnotator) -> None:
    assert "bankruptcy" not in _types(annotator, "J.C. Penney's woes echo Sears, which filed for bankruptcy in 2018")
    # No past tense: a plan, not history; no year: news.
    assert "bankruptcy" in _types(annotator, "Retailer may file for bankruptcy in 2027, sources say")
    assert "bankruptcy" in _types(annotator, "Sears filed for bankruptcy on Monday")


def test_a_year_elsewhere_or_for_a_forecast_is_no_history(annotator: SpacyAnnotator) -> None:
    assert "data_breach" in _types(annotator, "Hackers breach Okta's customer database in 2027 attack wave")
    assert "guidance_cut" in _types(annotator, "Marriott cuts 2027 outlook")
    assert "recall" in _types(annotator, "Ford recalls 2024 Explorer SUVs over seat-belt fault")
    assert "operational_disruption" in _types(annotator, "Chemical maker still pays for its plant explosion")


def test_a_figure_against_the_estimate_reads_in_any_case(annotator: SpacyAnnotator) -> None:
    # Dow Jones writes "Vs." and "Est" with capitals.
    assert "earnings_miss" in _types(annotator, "Lennar 4Q EPS $2.03 Vs. $2.21 Est; Sees 1Q Gross Margin of 16%")
    assert "earnings_beat" in _types(annotator, "Lennar 4Q EPS $2.43 Vs. $2.21 Est")
    # And "Rev" for revenue.
    assert "earnings_miss" in _types(annotator, "Align Technology 2Q Rev $1.01B Vs. $1.06B Est.")
