// What the saved configurations of ufw and firewalld say about each port
// (their verdicts beside the kernel's).
#include "collectors/firewall/manager_configs.h"

#include <dirent.h>

#include <algorithm>

#include "collectors/firewall/firewall_files.h"
#include "lib/base/file_util.h"
#include "lib/firewall/manager_config.h"

namespace mailflow::firewall_collector {

using firewall::Outcome;
using firewall::Reason;
using firewall::Verdict;

namespace {

std::vector<std::string> ListXml(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.ends_with(".xml"))
      names.push_back(n.substr(0, n.size() - 4));
    if (names.size() > 1000) break;
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Identities of `paths` (a missing file keeps the default identity).
FileSet Identify(const std::vector<std::string>& paths) {
  FileSet files;
  files.reserve(paths.size());
  for (const std::string& p : paths) {
    FileIdentity id;
    id.Of(p);
    files.emplace_back(p, id);
  }
  return files;
}

bool Settled(const FileSet& files) {
  const int64_t now = FileIdentity::NowNs();
  for (const auto& [path, id] : files) {
    if (!id.Settled(now)) return false;
  }
  return true;
}

// The cached result when the files and ports are as they were.
bool Reuse(const ManagerView& view, const FileSet& files,
           const std::set<int>& ports, FirewallBackend* r) {
  if (!view.reusable || view.files != files || view.ports != ports) {
    return false;
  }
  *r = view.result;
  return true;
}

void Remember(FileSet files, const std::set<int>& ports,
              const FirewallBackend& r, ManagerView* view) {
  view->reusable = Settled(files);
  view->files = std::move(files);
  view->ports = ports;
  view->result = r;
}

}  // namespace

void ManagerConfigs::Ufw(const std::set<int>& ports, FirewallBackend* r) {
  FileSet files = Identify({options_.ufw_directory + "/ufw.conf",
                            options_.ufw_defaults_file,
                            options_.ufw_directory + "/user.rules",
                            options_.ufw_directory + "/user6.rules"});
  if (Reuse(ufw_, files, ports, r)) return;
  std::string conf;
  std::string err;
  if (!ReadWholeFile(options_.ufw_directory + "/ufw.conf", &conf, &err)) {
    Remember(std::move(files), ports, *r, &ufw_);
    return;
  }
  r->present = true;
  firewall::UfwConfig c;
  firewall::ParseUfwConfig(conf, ReadOrEmpty(options_.ufw_defaults_file),
                           ReadOrEmpty(options_.ufw_directory + "/user.rules"),
                           ReadOrEmpty(options_.ufw_directory + "/user6.rules"),
                           &c);
  r->enabled = c.enabled;
  r->rules = c.rules.size();
  // A disabled ufw decides nothing: no verdict series.
  r->evaluated = c.enabled;
  for (int p : ports) r->verdicts[p] = firewall::UfwVerdict(c, p);
  Remember(std::move(files), ports, *r, &ufw_);
}

void ManagerConfigs::Firewalld(const std::set<int>& ports,
                               const std::vector<std::string>& nft_tables,
                               bool nft_readable, FirewallBackend* r) {
  const std::string etc = options_.firewalld_directory;
  const std::string lib = options_.firewalld_lib_directory;
  if (!Exists(etc + "/firewalld.conf") && !Exists(lib + "/zones")) return;
  r->present = true;
  // firewalld runs when its table is in the kernel (no D-Bus query). A
  // stopped firewalld decides nothing: no verdict series, nothing to read.
  r->enabled = nft_readable && std::find(nft_tables.begin(), nft_tables.end(),
                                         "inet firewalld") != nft_tables.end();
  if (!r->enabled) return;
  // Every XML file it would read, by identity: one stat each per scrape.
  std::vector<std::string> paths = {etc + "/firewalld.conf"};
  for (const std::string& dir :
       {lib + "/services", etc + "/services", lib + "/zones", etc + "/zones"}) {
    paths.push_back(dir);  // a file added or removed
    for (const auto& name : ListXml(dir)) {
      paths.push_back(dir + "/" + name + ".xml");
    }
  }
  FileSet files = Identify(paths);
  if (Reuse(firewalld_, files, ports, r)) return;
  EvaluateFirewalld(ports, r);
  Remember(std::move(files), ports, *r, &firewalld_);
}

void ManagerConfigs::EvaluateFirewalld(const std::set<int>& ports,
                                       FirewallBackend* r) const {
  const std::string etc = options_.firewalld_directory;
  const std::string lib = options_.firewalld_lib_directory;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> svc;
  for (const std::string& dir : {lib + "/services", etc + "/services"}) {
    for (const auto& name : ListXml(dir)) {
      std::vector<std::pair<std::string, std::string>> p;
      if (firewall::ParseFirewalldService(
              ReadOrEmpty(dir + "/" + name + ".xml"), &p)) {
        svc[name] = std::move(p);  // /etc overrides /usr/lib
      }
    }
  }
  std::map<std::string, firewall::FirewalldZone> zones;
  for (const std::string& dir : {lib + "/zones", etc + "/zones"}) {
    for (const auto& name : ListXml(dir)) {
      firewall::FirewalldZone z;
      if (firewall::ParseFirewalldZone(ReadOrEmpty(dir + "/" + name + ".xml"),
                                       &z)) {
        zones[name] = std::move(z);
      }
    }
  }
  std::string def =
      firewall::FirewalldDefaultZone(ReadOrEmpty(etc + "/firewalld.conf"));
  auto it = zones.find(def);
  if (it == zones.end()) return;
  r->evaluated = true;
  r->rules = zones.size();
  for (int p : ports) {
    Outcome o = firewall::FirewalldZoneVerdict(it->second, p, svc);
    o.where = "zone " + def + ": " + o.where;
    // Interfaces or sources bound to another zone that decides otherwise.
    for (const auto& [name, z] : zones) {
      if (name == def || !z.has_bindings) continue;
      Outcome other = firewall::FirewalldZoneVerdict(z, p, svc);
      if (other.verdict != o.verdict) {
        o = Outcome{Verdict::kConditional, Reason::kInterface,
                    "zones " + def + " and " + name + " differ", ""};
        break;
      }
    }
    r->verdicts[p] = o;
  }
}

}  // namespace mailflow::firewall_collector
