"""XML product feeds → a header and rows, read like any table.

Google Merchant Center feeds (RSS 2.0 `<item>` or Atom `<entry>` with `g:` elements) and plain
product XML (`<products><product><name>...`) are both read as records: the repeated element under
the root (or under RSS's `<channel>`) is one row, its child elements are the columns. A `g:`
element wins over a plain one of the same name (`g:title` over `title`); a child with children of
its own (`g:shipping`, `<variants>`) is packed as "k=v,k=v|k=v" for the packed-cell reader; a
repeated element (`g:additional_image_link`) is joined with " | ".

The XML is parsed with expat and refused when it declares entities or a DTD internal subset: a
product feed never needs them, and they are how "billion laughs" and external-entity (XXE) files
attack a parser. Nothing outside the file is ever fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from echome.knowledge.records import ParseError

GOOGLE_NS = "http://base.google.com/ns/1.0"
MAX_DEPTH = 64
MAX_ELEMENTS = 5_000_000
_NS_PREFIX = {GOOGLE_NS: "g:", "http://base.google.com/cns/1.0": "c:"}


@dataclass
class _Node:
    tag: str  # "g:price", "title"
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def value(self) -> str:
        return "".join(self.text).strip()


class EntitiesRefused(Exception):
    """The XML declared entities or an internal document type: refused before anything expands."""


def entity_free_parser() -> expat.XMLParserType:
    """An expat parser (namespaces split by a space) that refuses every entity declaration, external
    entity and internal DTD: a billion-laughs file stops at its first declaration."""

    def refuse(*_args: object) -> None:
        raise EntitiesRefused

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartDoctypeDeclHandler = lambda _n, _s, _p, internal: refuse() if internal else None
    return parser


def _tag(name: str) -> str:
    uri, _, local = name.rpartition(" ")
    return _NS_PREFIX.get(uri, "") + local if uri else local


def _tree(data: bytes) -> _Node:
    parser = entity_free_parser()
    root = _Node("#document", {})
    stack = [root]
    count = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if len(stack) > MAX_DEPTH or count > MAX_ELEMENTS:
            raise ParseError("the XML file is nested too deeply or too large to be a product feed")
        node = _Node(_tag(name), {_tag(k): v for k, v in attrs.items()})
        stack[-1].children.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        stack[-1].text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except EntitiesRefused:
        raise ParseError(
            "the XML file declares entities or a document type (<!DOCTYPE ... [<!ENTITY ...>]>); product "
            "feeds never need them and they can be used to attack an importer, so the file was refused"
        ) from None
    except expat.ExpatError as exc:
        what = expat.ErrorString(exc.code)
        raise ParseError(f"the XML file is malformed ({what}, line {exc.lineno})") from None
    return root


def _records(root: _Node) -> list[_Node]:
    """The repeated element that holds one product each (or the one product of a one-product file)."""
    node = root
    for _ in range(MAX_DEPTH):
        kids = [c for c in node.children if c.children]
        by_tag: dict[str, list[_Node]] = {}
        for c in kids:
            by_tag.setdefault(c.tag, []).append(c)
        for wanted in ("item", "entry"):
            if wanted in by_tag:
                return by_tag[wanted]
        repeated = [group for group in by_tag.values() if len(group) > 1]
        if repeated:
            return max(repeated, key=len)
        leaves = [c for c in node.children if not c.children and c.value()]
        if node is not root and node.tag not in ("channel", "feed") and len(leaves) >= 2:
            return [node]
        if len(kids) != 1:
            return []
        node = kids[0]
    return []


def _packed(node: _Node) -> str:
    """Children of a child: 'country=US,price=4.95 USD' (several such: joined with '|')."""
    groups: list[list[_Node]] = []
    if all(c.children for c in node.children):
        groups = [c.children for c in node.children]
    else:
        groups = [node.children]
    out = []
    for group in groups:
        pairs = [f"{c.tag.split(':')[-1]}={_flat(c)}" for c in group if _flat(c)]
        if pairs:
            out.append(",".join(pairs))
    return "|".join(out)


def _flat(node: _Node) -> str:
    if node.children:
        return _packed(node)
    value = node.value()
    if not value and "href" in node.attrs:  # Atom <link href="..."/>
        return node.attrs["href"].strip()
    return value.replace("|", "/") if "=" in value else value


def _row(record: _Node) -> dict[str, str]:
    row: dict[str, str] = {}
    for child in record.children:
        value = _flat(child)
        if not value:
            continue
        if child.tag == "link" and child.attrs.get("rel", "alternate") != "alternate":
            continue
        row[child.tag] = f"{row[child.tag]} | {value}" if child.tag in row else value
    return row


def feed_rows(data: bytes) -> tuple[list[str], list[list[str]], str]:
    """(header, rows, what the file is: 'Google Merchant Center feed' / 'XML product list')."""
    root = _tree(data)
    records = _records(root)
    rows = [_row(r) for r in records]
    rows = [r for r in rows if r]
    if not rows:
        raise ParseError("the XML file holds no product records (no repeated <item>, <entry> or <product>)")
    header: list[str] = []
    for r in rows:
        header.extend(t for t in r if t not in header)
    for plain in [t for t in header if f"g:{t}" in header]:
        for r in rows:  # one column per attribute: g:title, or title where an item has no g:title
            value = r.pop(plain, "")
            if value and not r.get(f"g:{plain}"):
                r[f"g:{plain}"] = value
        header.remove(plain)
    google = any(t.startswith("g:") for t in header)
    kind = "Google Merchant Center feed" if google else "XML product list"
    return header, [[r.get(t, "") for t in header] for r in rows], kind
