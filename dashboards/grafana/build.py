#!/usr/bin/env python3
"""Builds dashboards/grafana/mailflow.json ("Mail flow health") from rows/*.json.

Each rows/NN-name.json is a JSON list of Grafana panels: a {"type": "row"}
panel first, then its panels with gridPos {x, w, h} and an optional y relative
to the row. This script assigns absolute y positions and panel ids, and wraps
the rows in the dashboard (fixed uid, datasource/job/instance/postfix_instance
variables, and runbook_base, the address of runbooks.md that links to runbooks
use).

  build.py          write mailflow.json
  build.py --check  exit 1 if mailflow.json is not what the rows produce, or
                    if two panels overlap

dashboards/build.py runs this too (and sets runbook_base with --runbook-base).
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mailflow.json")

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def variables(runbook_base):
    def query_var(name, label, query):
        return {
            "name": name, "label": label, "type": "query",
            "datasource": DATASOURCE,
            "definition": query,
            "query": {"query": query, "refId": name},
            "refresh": 2, "includeAll": True, "multi": True,
            "allValue": ".*", "current": {}, "sort": 1,
        }
    return {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0},
        query_var("job", "Job", "label_values(mailflow_exporter_build_info, job)"),
        query_var("instance", "Instance",
                  'label_values(mailflow_exporter_build_info{job=~"$job"}, instance)'),
        # Where runbooks.md is published: panel links are ${runbook_base}#anchor.
        {"name": "runbook_base", "label": "Runbooks", "type": "constant", "hide": 2,
         "query": runbook_base, "current": {"text": runbook_base, "value": runbook_base}},
        # The Postfix instances of a multi-instance host (postmulti); the
        # queue and log panels filter on it.
        query_var("postfix_instance", "Postfix instance",
                  'label_values(mailflow_postfix_instance_enabled{job=~"$job",'
                  'instance=~"$instance"}, postfix_instance)'),
    ]}


def build(runbook_base):
    panels = []
    y = 0
    next_id = 1
    for path in sorted(glob.glob(os.path.join(HERE, "rows", "*.json"))):
        with open(path) as f:
            row = json.load(f)
        if not row or row[0].get("type") != "row":
            raise SystemExit("%s: the first panel must be a row" % path)
        height = 0
        for i, panel in enumerate(row):
            p = dict(panel)
            p["id"] = next_id
            next_id += 1
            if p["type"] == "row":
                p["gridPos"] = {"x": 0, "y": y, "w": 24, "h": 1}
                p.setdefault("collapsed", False)
                p.setdefault("panels", [])
                y += 1
            else:
                g = dict(p["gridPos"])
                rel = g.get("y", 0)
                g["y"] = y + rel
                p["gridPos"] = g
                p.setdefault("datasource", DATASOURCE)
                height = max(height, rel + g["h"])
            panels.append(p)
        y += height
    return {
        "uid": "mailflow-health",
        "title": "Mail flow health",
        "description": "Can mail flow through Postfix, and if not, why: "
                       "inbound sockets, config, firewall, queue, DNS, SMTP "
                       "reachability, deliveries. Built by dashboards/grafana/build.py.",
        "tags": ["mail", "postfix", "mailflow"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 36,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "",
        "templating": variables(runbook_base),
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


def overlaps(dashboard):
    """Problems with the layout: panels outside the 24-column grid, and every
    pair of panels (rows included) whose rectangles intersect."""
    problems = []
    boxes = []
    for p in dashboard["panels"]:
        g = p["gridPos"]
        if g["x"] < 0 or g["w"] <= 0 or g["h"] <= 0 or g["x"] + g["w"] > 24:
            problems.append("panel %r: gridPos %s leaves the 24-column grid" % (p["title"], g))
        boxes.append((p["title"], g["x"], g["y"], g["x"] + g["w"], g["y"] + g["h"]))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                problems.append("panels %r and %r overlap" % (a[0], b[0]))
    return problems


def dashboard_text(runbook_base):
    return json.dumps(build(runbook_base), indent=2, sort_keys=True) + "\n"


def main():
    sys.path.insert(0, os.path.dirname(HERE))
    from build import RUNBOOK_BASE  # dashboards/build.py: the one runbook address
    text = dashboard_text(RUNBOOK_BASE)
    problems = overlaps(json.loads(text))
    for p in problems:
        print(p)
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        with open(OUT) as f:
            if f.read() != text:
                print("dashboards/grafana/mailflow.json is stale: run "
                      "dashboards/build.py")
                return 1
        return 1 if problems else 0
    with open(OUT, "w") as f:
        f.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
