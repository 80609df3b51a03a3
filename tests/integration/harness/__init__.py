"""Shared harness for mailflow_exporter's integration tests (stdlib only).

Real components only: the real exporter binary, private Postfix instances,
Prometheus, DNS servers, network namespaces. Everything listens on 127.0.0.1
or inside namespaces the test creates, every wait is bounded, and every
resource is registered for cleanup (also when a test fails or is killed).

One module per concern; this package re-exports them so tests say
`import harness` / `from harness import Exporter`:
  paths       SOURCE_DIR, BUILD_DIR, EXPORTER, TOOLS
  process     on_exit, start_process, wait_for, terminate, free_port, tmpdir,
              run, start_concurrently (cleanup at exit and on SIGTERM)
  web         http, http_in (requests, also from inside a netns)
  metrics     parse_metrics, Metrics (/metrics text for assertions)
  exporter    Exporter, exporter_config (the binary under test)
  postfix     PostfixInstance, make_postfix_dirs, smtp_sink
  monitoring  Prometheus, Alertmanager, Webhook, fast_rules, shipped_rules,
              scaled_rules, grafana_to_promql
  diagnose    Diagnosis, run_diagnose (the diagnose command's JSON)
To run another binary after import, set `harness.paths.EXPORTER` (the
EXPORTER name below is the value at import, for reading).
"""
from .diagnose import DIAGNOSE_SCHEMA, Diagnosis, run_diagnose
from .exporter import Exporter, exporter_config
from .metrics import Metrics, parse_metrics
from .monitoring import (AM_CONFIG, DATASOURCE, RECORDING_DIR, RULES_DIR, Alertmanager,
                         Prometheus, Webhook, fast_rules, grafana_to_promql, scaled_rules,
                         shipped_rules)
from .paths import BUILD_DIR, EXPORTER, SOURCE_DIR, TOOLS
from .postfix import PostfixInstance, make_postfix_dirs, smtp_sink
from .process import (_port_listening, free_port, on_exit, run, start_concurrently,
                      start_process, terminate, tmpdir, wait_for)
from .web import http, http_in

__all__ = [
    "AM_CONFIG", "BUILD_DIR", "DATASOURCE", "DIAGNOSE_SCHEMA", "EXPORTER", "RECORDING_DIR",
    "RULES_DIR", "SOURCE_DIR", "TOOLS", "Alertmanager", "Diagnosis", "Exporter", "Metrics",
    "PostfixInstance", "Prometheus", "Webhook", "exporter_config", "fast_rules", "free_port",
    "grafana_to_promql", "http", "http_in", "make_postfix_dirs", "on_exit", "parse_metrics",
    "run", "run_diagnose", "scaled_rules", "shipped_rules", "smtp_sink", "start_concurrently",
    "start_process", "terminate", "tmpdir", "wait_for", "_port_listening",
]
