"""The HTML part of a published site: pages for people, made at publish time (no script)."""

from tally.projections.publish.site.pages import HtmlPages, html_pages

__all__ = ["HtmlPages", "html_pages"]
