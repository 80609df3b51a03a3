"""Loads the exporter's board in headless chromium and prints, as JSON, what a
browser sees: the verdict of every step, the page's requests, console
messages and errors, and for every runbook link whether it resolves on the
exporter (HTTP 200 and an element with the link's anchor). Screenshots
(desktop and phone) go to OUT_DIR.

  browser_check.py OUT_DIR NAME BOARD_URL

Run it in the network namespace the exporter listens in (ip netns exec).
"""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from browser import Browser  # noqa: E402

BOARD = """(() => {
  const text = (e) => e ? e.textContent.trim() : null;
  return {
    title: document.title,
    lang: document.documentElement.lang,
    h1: [...document.querySelectorAll('h1')].map(text),
    scripts: document.querySelectorAll('script').length,
    inline_handlers: [...document.querySelectorAll('*')].filter(
        e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    viewport: !!document.querySelector('meta[name=viewport]'),
    overall: text(document.querySelector('.overall .badge')),
    steps: [...document.querySelectorAll('li.step')].map(li => ({
      id: li.id.replace(/^step-/, ''),
      heading: text(li.querySelector('h2')),
      status: text(li.querySelector('h2 .badge')),
      note: text(li.querySelector(':scope > p')),
      findings: [...li.querySelectorAll('li.finding')].map(f => ({
        status: text(f.querySelector('.badge')),
        text: text(f.querySelector('p')),
        evidence: [...f.querySelectorAll('dt')].filter(dt => text(dt) === 'Evidence')
            .map(dt => text(dt.nextElementSibling)),
        fix: [...f.querySelectorAll('dt')].filter(dt => text(dt) === 'Fix')
            .map(dt => text(dt.nextElementSibling))[0] || '',
        runbooks: [...f.querySelectorAll('a')].map(a => a.href),
      })),
    })),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    assets: [...document.querySelectorAll('img,link[href],iframe,object,embed')]
        .map(e => e.getAttribute('src') || e.getAttribute('href')),
  };
})()"""

TARGET = """(() => {
  const id = decodeURIComponent(location.hash.slice(1));
  const el = document.getElementById(id);
  return {id: id, found: !!el, heading: el ? el.textContent.trim() : null};
})()"""


def main():
    out_dir, name, url = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    result = {}
    with Browser(timeout=30) as b:
        result["load"] = b.visit(url)
        result["board"] = b.evaluate(BOARD)
        result["screenshots"] = [
            b.screenshot(os.path.join(out_dir, name + "-desktop.png"), 1280, 900),
            b.screenshot(os.path.join(out_dir, name + "-phone.png"), 390, 844, mobile=True),
        ]
        result["phone_overflow"] = b.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth")
        runbooks = sorted({h for h in result["board"]["links"] if "/runbooks#" in h})
        result["runbooks"] = []
        for href in runbooks:
            # Two anchors of one page: from the first, the second would be
            # a same-document navigation (no load event, no request).
            b.visit("about:blank")
            visit = b.visit(href)
            target = b.evaluate(TARGET)
            result["runbooks"].append({"href": href, "status": visit["status"],
                                       "requests": visit["requests"],
                                       "errors": visit["errors"], **target})
        if runbooks:
            b.screenshot(os.path.join(out_dir, name + "-runbook.png"), 1280, 900)
    result["origin"] = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(url))
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
