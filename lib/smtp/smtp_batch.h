// ProbeBatch: runs many SmtpDialogues at once on one epoll instance, at most
// max_concurrency connections open, each bounded by its own deadline, the
// batch's deadline and the stop flag. Part of the SMTP prober: RunProbes()
// (smtp_prober.h) is one ProbeBatch.
#pragma once

#include <cstdint>
#include <vector>

#include "lib/smtp/smtp_connection.h"
#include "lib/smtp/smtp_dialogue.h"
#include "lib/smtp/smtp_prober.h"

namespace mailflow::smtp_probe {

/// One batch of probes. Not thread-safe (one thread calls Run()); separate
/// batches share nothing. Does not own the specs, options or outcomes;
/// owns the epoll instance, the TLS context and every connection, all
/// closed by the destructor.
class ProbeBatch {
 public:
  /// REQUIRES: `specs`, `options` and `*out` outlive the batch.
  ProbeBatch(const std::vector<ProbeSpec>& specs,
             const ProbeBatchOptions& options, std::vector<ProbeOutcome>* out)
      : specs_(specs), options_(options), out_(out) {}
  ~ProbeBatch();
  ProbeBatch(const ProbeBatch&) = delete;
  ProbeBatch& operator=(const ProbeBatch&) = delete;

  /// Runs every spec to its end; `*out` gets one outcome per spec, in spec
  /// order (each "epoll_create1: ..." when no epoll instance can be made).
  /// Returns within ~100 ms of the stop flag or the batch deadline.
  /// REQUIRES: called once.
  void Run();

 private:
  // A dialogue and its registration in the epoll set.
  struct Slot {
    SmtpDialogue dialogue;
    bool in_epoll = false;
    uint32_t registered = 0;  // epoll events currently registered
  };
  // How far Run() got through specs_: started, in progress, ended.
  struct Progress {
    size_t next = 0;
    size_t active = 0;
    size_t done = 0;
  };
  // Starts dialogues while fewer than `limit` are in progress.
  void StartConnections(size_t limit, Progress* p);
  // Ends the dialogues past their deadline (all of them on stop or at the
  // batch deadline) and resumes the rested ones; returns when the next one
  // is due.
  Clock::time_point ExpireOverdue(Progress* p);
  // Makes the epoll interest of slot `i` match what its connection waits
  // for.
  void Rearm(size_t i);

  const std::vector<ProbeSpec>& specs_;
  const ProbeBatchOptions& options_;
  std::vector<ProbeOutcome>* out_;
  int epfd_ = -1;
  TlsClientContext tls_;     // declared before slots_: outlives their SSLs
  std::vector<Slot> slots_;  // one per spec, never resized while running
};

}  // namespace mailflow::smtp_probe
