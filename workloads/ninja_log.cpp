// .ninja_log import (see ninja_log.hpp). Edges: a job depends on another when one of its inputs is the other's
// output, inputs taken from `ninja -t deps` (header dependencies found by depfiles) and `ninja -t graph` (every
// explicit and implicit input, as dot).
#include "workloads/ninja_log.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "core/input_error.hpp"

namespace spritesim {

namespace {

int64_t parse_field_int(const std::string& text, const std::string& file, int64_t line, const char* field)
{
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw InputError(file, fmt::format("line {}", line),
                     fmt::format("field {}: expected a non-negative integer, got \"{}\"", field, text));
  try {
    return std::stoll(text);
  } catch (const std::out_of_range&) {
    throw InputError(file, fmt::format("line {}", line), fmt::format("field {}: {} is too large", field, text));
  }
}

std::vector<std::string> split_tabs(const std::string& s)
{
  std::vector<std::string> out;
  size_t begin = 0;
  for (;;) {
    size_t tab = s.find('\t', begin);
    out.push_back(s.substr(begin, tab == std::string::npos ? std::string::npos : tab - begin));
    if (tab == std::string::npos)
      return out;
    begin = tab + 1;
  }
}

using InputsOf = std::map<std::string, std::set<std::string>>; // output path -> input paths

// `ninja -t deps`: "target: #deps N, deps mtime M (VALID)" then one indented dependency per line.
void read_deps(const std::string& text, InputsOf& inputs)
{
  std::istringstream in(text);
  std::string line, target;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty()) {
      target.clear();
    } else if (line[0] == ' ' || line[0] == '\t') {
      size_t first = line.find_first_not_of(" \t");
      if (!target.empty() && first != std::string::npos) // a whitespace-only line names no dependency
        inputs[target].insert(line.substr(first));
    } else {
      auto colon = line.find(": #deps");
      target = colon == std::string::npos ? "" : line.substr(0, colon);
    }
  }
}

// The quoted string starting at s[pos] (pos at the opening quote); advances pos past it.
std::string quoted(const std::string& s, size_t& pos)
{
  std::string out;
  for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
    if (s[pos] == '\\' && pos + 1 < s.size())
      ++pos;
    out += s[pos];
  }
  ++pos;
  return out;
}

// `ninja -t graph` (dot): file nodes `"id" [label="path"]`, build-edge nodes `"id" [label="rule", shape=ellipse]`,
// and arrows `"a" -> "b"`: file -> file for a one-input, one-output edge, else input -> edge node -> output.
void read_graph(const std::string& text, const std::string& file, InputsOf& inputs)
{
  std::unordered_map<std::string, std::string> label;
  std::set<std::string> edge_nodes;
  std::vector<std::pair<std::string, std::string>> arrows;
  std::istringstream in(text);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    size_t pos = line.find_first_not_of(" \t");
    if (pos == std::string::npos || line[pos] != '"')
      continue; // digraph, rankdir, node/edge defaults, braces
    std::string a = quoted(line, pos);
    auto arrow = line.find("->", pos);
    if (arrow != std::string::npos) {
      size_t q = line.find('"', arrow);
      if (q == std::string::npos)
        throw InputError(file, fmt::format("line {}", n), "expected a quoted node id after \"->\"");
      arrows.emplace_back(a, quoted(line, q));
      continue;
    }
    auto lab = line.find("label=\"", pos);
    if (lab != std::string::npos) {
      size_t q = lab + 6;
      label[a] = quoted(line, q);
      if (line.find("shape=ellipse", pos) != std::string::npos)
        edge_nodes.insert(a);
    }
  }
  std::map<std::string, std::vector<std::string>> edge_in, edge_out;
  for (const auto& [from, to] : arrows) {
    if (edge_nodes.count(to))
      edge_in[to].push_back(from);
    else if (edge_nodes.count(from))
      edge_out[from].push_back(to);
    else if (label.count(from) && label.count(to))
      inputs[label[to]].insert(label[from]);
  }
  for (const auto& [edge, outs] : edge_out)
    for (const auto& out : outs)
      for (const auto& input : edge_in[edge])
        if (label.count(out) && label.count(input))
          inputs[label[out]].insert(label[input]);
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF), or 0 when the byte there starts none.
size_t utf8_sequence_length(const std::string& s, size_t i)
{
  auto byte = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(k) >= lo && byte(k) <= hi; };
  unsigned b = byte(0);
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    return cont(1) ? 2 : 0;
  if (b == 0xE0)
    return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
    return cont(1) && cont(2) ? 3 : 0;
  if (b == 0xED)
    return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (b == 0xF0)
    return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3)
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b == 0xF4)
    return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Ninja's paths are bytes, a trace's strings are UTF-8 (JSON): each byte outside a well-formed sequence becomes the
// text \xNN (two lowercase hex digits), deterministically, as docs/trace-format.md says. Edges are matched on the
// raw bytes before this, so they do not depend on it.
std::string utf8_or_escaped(const std::string& s)
{
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (size_t n = utf8_sequence_length(s, i)) {
      out.append(s, i, n);
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
    }
  }
  return out;
}

bool ends_with(const std::string& s, const char* tail)
{
  std::string t = tail;
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// The log has no rule names; the output's suffix says what kind of job it was, for reports only.
std::string kind_of(const std::string& output)
{
  if (ends_with(output, ".o") || ends_with(output, ".obj"))
    return "compile";
  if (ends_with(output, ".a") || ends_with(output, ".so") || ends_with(output, ".lib") || ends_with(output, ".dll"))
    return "link";
  return "command";
}

// One command of the log: the last entry of each output wins.
struct NinjaEntry {
  int64_t start_ms = 0, end_ms = 0;
  std::string hash;
  int64_t line = 0;
};

struct NinjaLog {
  std::map<std::string, NinjaEntry> by_output;
  std::vector<std::string> first_seen; // outputs in the order they first appear
};

NinjaLog read_ninja_log(std::istream& log, const std::string& file)
{
  NinjaLog out;
  std::string text;
  int64_t line = 0;
  while (std::getline(log, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r')
      text.pop_back();
    if (line == 1) {
      if (text != "# ninja log v5" && text != "# ninja log v6")
        throw InputError(file, "line 1",
                         fmt::format("expected the header \"# ninja log v5\" (or v6), got \"{}\"", text.substr(0, 60)));
      continue;
    }
    if (text.empty() || text[0] == '#')
      continue;
    auto f = split_tabs(text);
    if (f.size() != 5)
      throw InputError(file, fmt::format("line {}", line),
                       fmt::format("expected 5 tab-separated fields (start, end, mtime, output, hash), got {}",
                                   f.size()));
    NinjaEntry e{parse_field_int(f[0], file, line, "1 (start ms)"), parse_field_int(f[1], file, line, "2 (end ms)"),
                 f[4], line};
    parse_field_int(f[2], file, line, "3 (restat mtime)");
    if (f[3].empty())
      throw InputError(file, fmt::format("line {}", line), "field 4 (output): empty path");
    if (e.end_ms < e.start_ms)
      throw InputError(file, fmt::format("line {}", line),
                       fmt::format("field 2 (end ms): {} is before the start, {}", e.end_ms, e.start_ms));
    if (!out.by_output.count(f[3]))
      out.first_seen.push_back(f[3]);
    out.by_output[f[3]] = e;
  }
  if (line == 0)
    throw InputError(file, "line 1", "empty file: expected \"# ninja log v5\"");
  if (out.by_output.empty())
    throw InputError(file, fmt::format("line {}", line), "the log holds no commands");
  return out;
}

// Each job's edges (inputs another job produced) and its prerequisite count (every input ninja knows of: what a
// make would examine for this target).
void add_edges(BuildTrace& t, const std::vector<std::vector<std::string>>& outputs_of_job,
               const std::unordered_map<std::string, size_t>& job_of_output, InputsOf& inputs)
{
  for (size_t j = 0; j < t.jobs.size(); ++j) {
    std::set<size_t> deps;
    std::set<std::string> all;
    for (const auto& out : outputs_of_job[j])
      for (const auto& in : inputs[out]) {
        auto d = job_of_output.find(in);
        if (d != job_of_output.end() && d->second != j)
          deps.insert(d->second);
        all.insert(in);
      }
    for (size_t d : deps)
      t.jobs[j].deps.push_back(t.jobs[d].id);
    t.jobs[j].prereqs = static_cast<int64_t>(all.size());
  }
}

} // namespace

BuildTrace import_ninja_log(std::istream& log, const std::string& file, const NinjaImportOptions& opt)
{
  NinjaLog entries = read_ninja_log(log, file);
  BuildTrace t;
  t.name = utf8_or_escaped(opt.name);
  t.reference_profile = opt.reference_profile;
  t.source = fmt::format("imported from {} (ninja log: wall times used as CPU estimates{})", utf8_or_escaped(file),
                         opt.deps_text.empty() && opt.graph_text.empty() ? "; no dependency edges" : "");
  // One job per command: outputs with the same hash, start and end came from one command.
  std::map<std::tuple<std::string, int64_t, int64_t>, size_t> job_of_command;
  std::unordered_map<std::string, size_t> job_of_output;
  std::vector<std::vector<std::string>> outputs_of_job;
  std::vector<int64_t> start_of_job;
  for (const std::string& out : entries.first_seen) {
    const NinjaEntry& e = entries.by_output[out];
    auto key = std::make_tuple(e.hash, e.start_ms, e.end_ms);
    auto it = job_of_command.find(key);
    if (it == job_of_command.end()) {
      it = job_of_command.emplace(key, t.jobs.size()).first;
      TraceJob j;
      j.id = utf8_or_escaped(out);
      j.kind = kind_of(out);
      j.wall_s = static_cast<double>(e.end_ms - e.start_ms) / 1000.0;
      j.cpu_s = j.wall_s; // an estimate: the log has no CPU times
      j.cpu_profile = opt.reference_profile;
      t.jobs.push_back(j);
      outputs_of_job.emplace_back();
      start_of_job.push_back(e.start_ms);
    }
    job_of_output[out] = it->second;
    outputs_of_job[it->second].push_back(out);
  }
  InputsOf inputs;
  read_deps(opt.deps_text, inputs);
  read_graph(opt.graph_text, opt.graph_file, inputs);
  add_edges(t, outputs_of_job, job_of_output, inputs);
  // Jobs in the order they started, so trace order (the tie-break of the replay) follows the real build.
  std::vector<size_t> order(t.jobs.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return start_of_job[a] < start_of_job[b]; });
  std::vector<TraceJob> sorted;
  sorted.reserve(order.size());
  for (size_t i : order)
    sorted.push_back(std::move(t.jobs[i]));
  t.jobs = std::move(sorted);
  validate_trace(t, file, [&t](size_t i) { return fmt::format("output \"{}\"", t.jobs[i].id); });
  return t;
}

} // namespace spritesim
