#include "lib/smtp/smtp_batch.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

namespace mailflow::smtp_probe {

ProbeBatch::~ProbeBatch() {
  if (epfd_ >= 0) close(epfd_);
}

void ProbeBatch::Run() {
  out_->assign(specs_.size(), ProbeOutcome());
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    for (auto& o : *out_) o.detail = Errno("epoll_create1", errno);
    return;
  }
  // Built in place: a Slot owns a connection and does not move.
  slots_ = std::vector<Slot>(specs_.size());
  Progress p;
  const size_t limit =
      static_cast<size_t>(std::max(1, options_.max_concurrency));
  std::vector<epoll_event> events(std::min<size_t>(limit, 256));
  while (p.done < specs_.size()) {
    StartConnections(limit, &p);
    if (p.active == 0) continue;
    Clock::time_point earliest = ExpireOverdue(&p);
    if (p.active == 0) continue;
    earliest = std::min(earliest, options_.deadline.at());
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                    earliest - Clock::now())
                    .count() +
                1;
    wait = std::clamp<long>(wait, 0, 100);  // re-check `stop` often
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                       static_cast<int>(wait));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const size_t slot = events[i].data.u64;
      SmtpDialogue& d = slots_[slot].dialogue;
      if (d.done()) continue;
      d.Step((events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0);
      if (d.done()) {
        --p.active;
        ++p.done;
      } else {
        Rearm(slot);
      }
    }
  }
}

void ProbeBatch::StartConnections(size_t limit, Progress* p) {
  while (p->active < limit && p->next < specs_.size()) {
    const size_t i = p->next++;
    SmtpDialogue& d = slots_[i].dialogue;
    d.Begin(&specs_[i], &(*out_)[i], &tls_);
    if (d.done()) {
      ++p->done;
    } else {
      Rearm(i);
      ++p->active;
    }
  }
}

Clock::time_point ProbeBatch::ExpireOverdue(Progress* p) {
  const bool stopping =
      options_.stop && options_.stop->load(std::memory_order_relaxed);
  const auto now = Clock::now();
  // Expire overdue dialogues (also every one, on stop or deadline).
  Clock::time_point earliest = Clock::time_point::max();
  for (size_t i = 0; i < p->next; ++i) {
    SmtpDialogue& d = slots_[i].dialogue;
    if (d.done()) continue;
    if (stopping || now >= d.deadline() || options_.deadline.Expired()) {
      d.Expire(stopping, options_.deadline);
      if (!d.done()) {
        d.Step(false);  // writes QUIT
        if (!d.done()) Rearm(i);
      }
      if (d.done()) {
        --p->active;
        ++p->done;
      }
      continue;
    }
    ProbeConnection* c = d.mutable_connection();
    if (c->resume_at() != Clock::time_point{}) {
      if (now >= c->resume_at()) {
        c->Resume();
        Rearm(i);
      } else {
        earliest = std::min(earliest, c->resume_at());
      }
    }
    earliest = std::min(earliest, d.deadline());
  }
  return earliest;
}

void ProbeBatch::Rearm(size_t i) {
  Slot& s = slots_[i];
  const ProbeConnection& c = s.dialogue.connection();
  if (c.fd() < 0) return;
  uint32_t ev = (c.want_read() ? uint32_t{EPOLLIN} : 0u) |
                (c.want_write() ? uint32_t{EPOLLOUT} : 0u);
  // Always hear about resets, except while resting (EPOLLHUP and EPOLLERR
  // are reported anyway).
  if (ev == 0 && c.resume_at() == Clock::time_point{}) ev = EPOLLIN;
  epoll_event e{};
  e.events = ev;
  e.data.u64 = static_cast<uint64_t>(i);
  if (!s.in_epoll) {
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd(), &e) == 0) {
      s.in_epoll = true;
      s.registered = ev;
    }
  } else if (s.registered != ev) {
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd(), &e) == 0) s.registered = ev;
  }
}

}  // namespace mailflow::smtp_probe
