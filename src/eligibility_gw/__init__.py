"""eligibility-gw: one eligibility core answering over web, SMS, USSD and Telegram."""

__version__ = "0.1.0"
