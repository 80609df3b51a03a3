// Queue files: the envelope reader (a walk over the records through a small
// window) and the record encoder. The defer log parser is in
// queue_file_defer_log.cc.
#include "lib/postfix/queue_file.h"

#include <cerrno>
#include <cstring>
#include <limits>

namespace mailflow {
namespace {

constexpr char kRecSize = 'C';
constexpr char kRecTime = 'T';
constexpr char kRecAttr = 'A';
constexpr char kRecRcpt = 'R';
constexpr char kRecMesg = 'M';
constexpr char kRecPtr = 'p';
constexpr char kRecEnd = 'E';

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

// Parses an unsigned decimal at *p (after optional spaces); false when no
// digit or on overflow. Advances *p past the digits.
bool ParseDecimal(std::string_view s, size_t* p, int64_t* out) {
  while (*p < s.size() && IsSpace(s[*p])) ++*p;
  bool neg = false;
  if (*p < s.size() && s[*p] == '-') {
    neg = true;
    ++*p;
  }
  if (*p >= s.size() || !IsDigit(s[*p])) return false;
  int64_t v = 0;
  while (*p < s.size() && IsDigit(s[*p])) {
    int d = s[*p] - '0';
    if (v > (std::numeric_limits<int64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
    ++*p;
  }
  *out = neg ? -v : v;
  return true;
}

// Reads records through a small window of the file.
class RecordReader {
 public:
  RecordReader(const ReadAtFn& read_at, const QueueFileLimits& limits,
               QueueFileEnvelope* out, std::string* window)
      : read_at_(read_at),
        limits_(limits),
        out_(out),
        win_(window != nullptr ? *window : own_window_) {}

  void Run();

 private:
  enum class Fetch { kOk, kShort, kCap, kIo };
  // Makes [off, off+n) available in the window if the file has it. On kOk
  // or kShort, *avail is how many of the n bytes are there (kShort: EOF).
  Fetch Ensure(uint64_t off, size_t n, size_t* avail);
  const char* At(uint64_t off) const { return win_.data() + (off - win_off_); }

  void Corrupt(std::string msg) {
    out_->status = QueueFileStatus::kCorrupt;
    out_->error = std::move(msg);
  }
  bool FetchFailed(Fetch f, const char* what);
  void OnRecord(char type, std::string_view data, uint64_t* pos, bool* stop);
  void AddRecipient(std::string_view address);

  const ReadAtFn& read_at_;
  const QueueFileLimits& limits_;
  QueueFileEnvelope* out_;
  std::string own_window_;  // when the caller gives none
  // The bytes [win_off_, win_off_ + win_len_) of the file are in win_[0..):
  // win_ only grows, so a reused buffer is not cleared for each read.
  std::string& win_;
  size_t win_len_ = 0;
  uint64_t win_off_ = 0;
  bool win_eof_ = false;
  bool have_window_ = false;
  int jumps_ = 0;
  bool content_skipped_ = false;
};

RecordReader::Fetch RecordReader::Ensure(uint64_t off, size_t n,
                                         size_t* avail) {
  if (have_window_ && off >= win_off_) {
    uint64_t end = win_off_ + win_len_;
    if (off + n <= end) {
      *avail = n;
      return Fetch::kOk;
    }
    if (win_eof_) {
      *avail = off >= end ? 0 : static_cast<size_t>(end - off);
      return Fetch::kShort;
    }
  }
  size_t want = n > limits_.chunk_bytes ? n : limits_.chunk_bytes;
  size_t budget = limits_.max_read_bytes > out_->bytes_read
                      ? limits_.max_read_bytes - out_->bytes_read
                      : 0;
  if (want > budget) want = budget;
  if (want < n || want == 0) return Fetch::kCap;
  if (win_.size() < want) win_.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t r = read_at_(off + got, win_.data() + got, want - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      out_->io_errno = errno;
      win_len_ = 0;
      have_window_ = false;
      return Fetch::kIo;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out_->bytes_read += got;
  win_len_ = got;
  win_off_ = off;
  win_eof_ = got < want;
  have_window_ = true;
  *avail = got < n ? got : n;
  return got < n ? Fetch::kShort : Fetch::kOk;
}

bool RecordReader::FetchFailed(Fetch f, const char* what) {
  switch (f) {
    case Fetch::kOk:
    case Fetch::kShort:
      return false;
    case Fetch::kCap:
      out_->status = QueueFileStatus::kIncomplete;
      out_->error = std::string("read cap reached ") + what;
      return true;
    case Fetch::kIo:
      out_->status = QueueFileStatus::kIoError;
      out_->error = std::string("read error ") + what + ": " +
                    std::strerror(out_->io_errno);
      return true;
  }
  return true;
}

void RecordReader::AddRecipient(std::string_view address) {
  ++out_->pending_recipients;
  std::string domain = RecipientDomain(address);
  for (auto& [d, n] : out_->domains) {
    if (d == domain) {
      ++n;
      return;
    }
  }
  if (out_->domains.size() < limits_.max_domains_per_message) {
    out_->domains.emplace_back(std::move(domain), 1);
  } else {
    ++out_->other_domain_recipients;
  }
}

void RecordReader::OnRecord(char type, std::string_view data, uint64_t* pos,
                            bool* stop) {
  switch (type) {
    case kRecSize: {
      if (out_->has_size_record) return;  // obsolete copies (postsuper -r)
      int64_t f[3] = {0, 0, 0};
      size_t p = 0;
      int count = 0;
      while (count < 3 && ParseDecimal(data, &p, &f[count])) ++count;
      if (count == 0) {
        Corrupt("malformed size record");
        *stop = true;
        return;
      }
      if (count >= 3 && (f[0] <= 0 || f[1] <= 0 || f[2] < 0)) {
        Corrupt("invalid size record");
        *stop = true;
        return;
      }
      out_->has_size_record = true;
      out_->content_size = f[0];
      out_->data_offset = count >= 3 ? f[1] : 0;
      out_->recipient_count = count >= 3 ? f[2] : 0;
      return;
    }
    case kRecTime: {
      if (out_->has_arrival) return;
      size_t p = 0;
      int64_t sec = 0, usec = 0;
      if (!ParseDecimal(data, &p, &sec)) return;  // qmgr: atol -> 0
      out_->has_arrival = true;
      out_->arrival_sec = sec;
      if (ParseDecimal(data, &p, &usec)) out_->arrival_usec = usec;
      return;
    }
    case kRecAttr: {
      size_t eq = data.find('=');
      if (eq == std::string_view::npos) return;
      std::string_view name = data.substr(0, eq);
      while (!name.empty() && IsSpace(name.back())) name.remove_suffix(1);
      while (!name.empty() && IsSpace(name.front())) name.remove_prefix(1);
      if (name == "create_time" && !out_->has_create_time) {
        size_t p = eq + 1;
        int64_t v = 0;
        if (ParseDecimal(data, &p, &v)) {
          out_->has_create_time = true;
          out_->create_time = v;
        }
      }
      return;
    }
    case kRecRcpt:
      AddRecipient(data);
      return;
    case kRecPtr: {
      size_t p = 0;
      int64_t target = 0;
      if (!ParseDecimal(data, &p, &target) || target < 0) {
        Corrupt("malformed pointer record");
        *stop = true;
        return;
      }
      if (target == 0) return;  // dummy placeholder
      if (++jumps_ > limits_.max_pointer_jumps) {
        Corrupt("too many pointer records");
        *stop = true;
        return;
      }
      *pos = static_cast<uint64_t>(target);
      return;
    }
    case kRecEnd:
      out_->saw_end = true;
      *stop = true;
      return;
    default:
      return;
  }
}

void RecordReader::Run() {
  uint64_t pos = 0;
  for (;;) {
    // As qmgr does: at the first content record, seek over the content.
    if (!content_skipped_ && out_->data_offset > 0 &&
        pos == static_cast<uint64_t>(out_->data_offset)) {
      content_skipped_ = true;
      pos += static_cast<uint64_t>(out_->content_size);
    }
    if (++out_->records > limits_.max_records) {
      Corrupt("too many records");
      return;
    }
    // Type byte plus up to 5 length bytes (Postfix: at most 32 length bits).
    size_t avail = 0;
    Fetch f = Ensure(pos, 6, &avail);
    if (FetchFailed(f, "in record header")) return;
    if (avail == 0) {
      if (out_->records == 1 && pos == 0) {
        Corrupt("empty file");
      } else {
        Corrupt("missing end record");
      }
      return;
    }
    const char* h = At(pos);
    const char type = h[0];
    uint64_t len = 0;
    size_t nlen = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (shift >= 32) {
        Corrupt(std::string("too many length bits, record type ") +
                std::to_string(static_cast<unsigned char>(type)));
        return;
      }
      if (1 + nlen >= avail) {
        Corrupt("unexpected end of file reading record length");
        return;
      }
      unsigned char b = static_cast<unsigned char>(h[1 + nlen]);
      ++nlen;
      len |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (len > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      Corrupt("illegal record length " + std::to_string(len));
      return;
    }
    const uint64_t data_pos = pos + 1 + nlen;
    uint64_t next = data_pos + len;
    const bool wanted = type == kRecSize || type == kRecTime ||
                        type == kRecAttr || type == kRecRcpt ||
                        type == kRecPtr || type == kRecEnd;
    std::string_view data;
    if (wanted && (type != kRecMesg)) {
      if (len > limits_.max_record_bytes) {
        if (type == kRecRcpt || type == kRecAttr) {
          // An absurd address or attribute: skip it, still count the rcpt.
          if (type == kRecRcpt) AddRecipient("");
          pos = next;
          continue;
        }
        Corrupt("record too long, type " + std::string(1, type));
        return;
      }
      f = Ensure(data_pos, static_cast<size_t>(len), &avail);
      if (FetchFailed(f, "in record data")) return;
      if (avail < len) {
        Corrupt("unexpected end of file in record data");
        return;
      }
      data = std::string_view(At(data_pos), static_cast<size_t>(len));
    }
    bool stop = false;
    uint64_t jump = next;
    OnRecord(type, data, &jump, &stop);
    if (stop) return;
    pos = jump;
  }
}

}  // namespace

void ReadQueueFile(const ReadAtFn& read_at, const QueueFileLimits& limits,
                   QueueFileEnvelope* out, std::string* window) {
  std::vector<std::pair<std::string, uint32_t>> domains =
      std::move(out->domains);
  domains.clear();  // keeps its capacity for this file
  *out = QueueFileEnvelope();
  out->domains = std::move(domains);
  RecordReader reader(read_at, limits, out, window);
  reader.Run();
}

void ReadQueueFileFromMemory(std::string_view bytes,
                             const QueueFileLimits& limits,
                             QueueFileEnvelope* out) {
  ReadAtFn fn = [bytes](uint64_t off, char* buf, size_t len) -> ssize_t {
    if (off >= bytes.size()) return 0;
    size_t n = bytes.size() - off;
    if (n > len) n = len;
    std::memcpy(buf, bytes.data() + off, n);
    return static_cast<ssize_t>(n);
  };
  ReadQueueFile(fn, limits, out);
}

std::string RecipientDomain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string_view d = address.substr(at + 1);
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.size() > 255) d = d.substr(0, 255);
  std::string out(d);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void AppendQueueRecord(std::string* out, char type, std::string_view data) {
  out->push_back(type);
  size_t rest = data.size();
  do {
    unsigned char b = rest & 0x7f;
    rest >>= 7;
    if (rest != 0) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (rest != 0);
  out->append(data);
}

}  // namespace mailflow
