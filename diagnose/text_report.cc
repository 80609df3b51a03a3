// The terminal rendering of a Diagnosis.
#include <cstdio>

#include "diagnose/markdown.h"
#include "diagnose/reports.h"

namespace mailflow::diagnose {

namespace {

const char* ColourOf(CheckStatus s) {
  switch (s) {
    case CheckStatus::kOk:
      return "\033[32m";  // green
    case CheckStatus::kWarn:
      return "\033[33m";  // yellow
    case CheckStatus::kFail:
      return "\033[1;31m";  // bold red
    case CheckStatus::kSkipped:
      break;
  }
  return "\033[2m";  // dim
}

// Evidence quotes files, sockets and log lines: never let their control
// characters (terminal escapes) through.
std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class TextWriter {
 public:
  explicit TextWriter(bool colour) : colour_(colour) {}

  std::string Status(CheckStatus s, size_t width) const {
    std::string label(StatusLabel(s));
    std::string pad(width > label.size() ? width - label.size() : 0, ' ');
    if (!colour_) return label + pad;
    return ColourOf(s) + label + "\033[0m" + pad;
  }
  std::string Dim(const std::string& s) const {
    return colour_ ? "\033[2m" + s + "\033[0m" : s;
  }
  std::string Bold(const std::string& s) const {
    return colour_ ? "\033[1m" + s + "\033[0m" : s;
  }

  void Line(const std::string& s) { out_ += s + "\n"; }
  void Field(const char* name, const std::string& value,
             const std::string& source = "") {
    if (value.empty()) return;
    std::string line = std::string(14, ' ') + name + Printable(value);
    if (!source.empty()) {
      line.append("  ").append(
          Dim(std::string("[").append(Printable(source)).append("]")));
    }
    Line(line);
  }

  void Finding(const mailflow::Finding& f) {
    std::string head = "      " + Status(f.status, 8);
    if (!f.subject.empty()) head += Printable(f.subject) + ": ";
    Line(head + Printable(f.summary));
    for (const Evidence& e : f.evidence) Field("evidence: ", e.text, e.source);
    Field("fix:      ", f.fix);
    Field("then:     ", f.apply);
    if (!f.runbook.empty()) {
      Field("runbook:  ", f.runbook + " (" + RunbookHref(f.runbook) + ")");
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  bool colour_;
  std::string out_;
};

}  // namespace

std::string RenderText(const Diagnosis& d, bool colour) {
  TextWriter w(colour);
  w.Line(w.Bold("mailflow_exporter diagnose") + " on " +
         Printable(d.meta.host) + ", " + FormatTimestamp(d.meta.started_at) +
         " (config: " + Printable(d.meta.config_source) + ")");
  w.Line("");
  int number = 0;
  for (const StepResult& step : d.steps) {
    char num[16];
    std::snprintf(num, sizeof num, "%2d. ", ++number);
    w.Line(num + w.Status(step.status, 9) +
           w.Bold(std::string(step.info->title)));
    if (step.findings.empty()) {
      w.Line("      " +
             w.Dim(std::string(step.unchecked ? "could not be checked: "
                                              : "not checked: ") +
                   Printable(step.reason)));
    }
    for (const mailflow::Finding& f : step.findings) w.Finding(f);
  }
  const std::vector<int> counts = d.Counts();
  char summary[160];
  std::snprintf(summary, sizeof summary,
                "%zu steps: %d FAIL, %d WARN, %d OK, %d SKIPPED. Exit status "
                "%d. Took %.1fs.",
                d.steps.size(), counts[3], counts[2], counts[1], counts[0],
                d.ExitCode(), d.meta.duration_seconds);
  w.Line("");
  w.Line(summary);
  return w.Take();
}

}  // namespace mailflow::diagnose
