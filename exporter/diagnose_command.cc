#include "exporter/diagnose_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "diagnose/reports.h"

namespace mailflow {

namespace {

bool UseColour(const std::string& choice) {
  if (choice == "always") return true;
  if (choice == "never") return false;
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr &&
         !(term && std::string(term) == "dumb");
}

}  // namespace

int RunDiagnose(const CollectorRegistry& registry,
                const ExporterOptions& exporter_options,
                const DiagnoseOptions& options) {
  const auto start = Deadline::Clock::now();
  const double started_at =
      std::chrono::duration<double>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  const Deadline deadline = Deadline::After(options.timeout);
  Exporter exporter(registry, exporter_options);
  std::string err;
  if (!exporter.Init(&err)) {
    std::fprintf(stderr, "mailflow_exporter diagnose: %s\n", err.c_str());
    return diagnose::kExitCouldNotRun;
  }
  // Probe rounds and the log backlog get most of the time; the collection
  // itself (nft, the queue scan) the rest.
  exporter.WaitForResults(
      Deadline(start + std::chrono::duration_cast<Deadline::Clock::duration>(
                           options.timeout * 6 / 10)));
  diagnose::Diagnosis d = exporter.Diagnose(deadline);
  d.meta.started_at = started_at;
  d.meta.duration_seconds =
      std::chrono::duration<double>(Deadline::Clock::now() - start).count();
  const std::string out =
      options.format == "json"
          ? diagnose::RenderJson(d)
          : diagnose::RenderText(d, UseColour(options.colour));
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return d.ExitCode();
}

}  // namespace mailflow
