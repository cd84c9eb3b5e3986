"""Alert delivery: `alerts` topic -> routes -> receivers (SMTP, PagerDuty v2, webhook).

The only part of finsentry that speaks SMTP or HTTP to the outside. See docs/dispatch.md.
"""
