"""Read what the guest pages render: links, forms and hidden fields, with the standard parser."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """The links and form fields of one HTML page, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, dict[str, str]]] = []
        self.fields: dict[str, str] = {}
        self.inputs: list[str] = []
        self.form_action: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in values:
            self.links.append((values["href"], values))
        if tag == "form" and values.get("method") == "post":
            self.form_action = values.get("action")
        if tag in {"input", "textarea"} and "name" in values:
            self.fields[values["name"]] = values.get("value", "")
            if values.get("type") != "hidden":
                self.inputs.append(values["name"])

    def slot_urls(self) -> list[str]:
        return [href for href, attrs in self.links if attrs.get("class") == "slot"]
