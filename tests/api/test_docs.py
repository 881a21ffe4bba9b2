"""/docs and /redoc work with no network: every asset they load is served by the app itself."""

from __future__ import annotations

import re
from typing import Any

import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_only_our_own_assets(client: Any, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text) + re.findall(
        r"""url:\\s*['"]([^'"]+)['"]""", r.text
    )
    assert urls, r.text[:500]
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url


def test_the_spec_declares_bearer_auth_on_seller_routes(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes.values())
    assert spec["paths"]["/api/personas"]["get"].get("security")
    assert not spec["paths"]["/api/health"]["get"].get("security")  # public
