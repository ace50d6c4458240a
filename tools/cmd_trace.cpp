// `spritesim trace SUBVERB`: build-trace tools. info (work, span, width, speedup bound), generate (paper builds,
// synthetic DAGs streamed to JSON Lines, background processes), import-ninja (.ninja_log), convert (JSON <->
// JSON Lines). `trace capture` lives in cmd_trace_capture.cpp.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"
#include "workloads/ninja_log.hpp"
#include "workloads/paper_builds.hpp"
#include "workloads/process_workload.hpp"
#include "workloads/reference_costs.hpp"
#include "workloads/synthetic_builds.hpp"
#include "workloads/trace_jsonl.hpp"
#include "workloads/trace_stats.hpp"

namespace spritesim {

namespace {

const char* const USAGE = R"(usage: spritesim trace SUBVERB ...   (spritesim trace SUBVERB --help: its own usage)
  info TRACE [--json]                      jobs, CPU, critical path, width, speedup bound, heaviest jobs
  generate KIND [--seed N] [--out FILE]    a paper build, a synthetic DAG or background processes
  import-ninja .ninja_log --out FILE ...   a trace from ninja's log
  convert IN OUT                           rewrite a trace as JSON or JSON Lines (by OUT's extension)
  capture ...                              run a build and record its trace
FILE ending in .jsonl is written as JSON Lines; without --out the trace goes to standard output.
Format: docs/trace-format.md)";

const char* const INFO_USAGE = R"(usage: spritesim trace info TRACE [--json]
  a trace's jobs, CPU, critical path, width, speedup bound and heaviest jobs (--json: as JSON).
  TRACE is JSON or JSON Lines. Format: docs/trace-format.md)";

const char* const GENERATE_USAGE = R"(usage: spritesim trace generate KIND [--seed N] [--out FILE] [OPTIONS]
  KIND: kernel, gremlin, tex, pmake [--size-cv X]
        synthetic [--compiles N] [--libraries M] [--compile-cpu S] [--compile-cv X] [--library-cv X]
          [--lookups N] [--name NAME]
        processes --hosts H --hours D [--rate PER_HOST_HOUR] [--alpha A] [--min-cpu S] [--max-cpu S]   (CSV)
  FILE ending in .jsonl is written as JSON Lines; without --out the trace goes to standard output.
  Format: docs/trace-format.md)";

const char* const IMPORT_NINJA_USAGE =
    R"(usage: spritesim trace import-ninja .ninja_log --out FILE [--deps DEPS.txt] [--graph GRAPH.dot] [--name NAME]
                                    [--profile P]
  a trace from ninja's log: CPU seconds are the logged wall times; --deps and --graph (the outputs of
  `ninja -t deps` and `ninja -t graph`) give the dependency edges; P is the profile the build ran on.
  Format: docs/trace-format.md)";

const char* const CONVERT_USAGE = R"(usage: spritesim trace convert IN OUT
  rewrite the trace IN as JSON or JSON Lines, following OUT's extension (.jsonl or .json).
  Format: docs/trace-format.md)";

// Options after the positional arguments: "--name value" pairs and bare flags.
struct Options {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
};

Options parse_options(const Args& args, const std::string& command, const std::vector<std::string>& valued,
                      const std::vector<std::string>& bare)
{
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (std::find(valued.begin(), valued.end(), a) != valued.end()) {
      o.values[a] = option_value(args, i, command);
    } else if (std::find(bare.begin(), bare.end(), a) != bare.end()) {
      o.flags[a] = true;
    } else if (a.rfind("--", 0) == 0) {
      reject_argument(command, a);
    } else {
      o.positional.push_back(a);
    }
  }
  return o;
}

double number_option(const Options& o, const std::string& key, double def, double min, double max)
{
  auto it = o.values.find(key);
  if (it == o.values.end())
    return def;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != it->second.size() || !(v >= min && v <= max))
    throw UsageError(fmt::format("{} expects a number in [{}, {}], got \"{}\"", key, min, max, it->second));
  return v;
}

int64_t integer_option(const Options& o, const std::string& key, int64_t def, int64_t min, int64_t max)
{
  double v = number_option(o, key, static_cast<double>(def), static_cast<double>(min), static_cast<double>(max));
  if (v != static_cast<double>(static_cast<int64_t>(v)))
    throw UsageError(fmt::format("{} expects a whole number, got \"{}\"", key, o.values.at(key)));
  return static_cast<int64_t>(v);
}

std::string option(const Options& o, const std::string& key, const std::string& def)
{
  auto it = o.values.find(key);
  return it == o.values.end() ? def : it->second;
}

void write_trace(const BuildTrace& t, const std::string& out)
{
  if (out.empty() || out == "-")
    std::cout << to_json(t).dump(1) << "\n";
  else
    save_trace_file(t, out);
}

int trace_info(const Args& args)
{
  Options o = parse_options(args, "spritesim trace info", {}, {"--json"});
  if (o.positional.size() != 1)
    throw UsageError("trace info expects one trace file (trace info TRACE [--json])");
  TraceStats s = trace_stats(load_trace_file(o.positional[0]));
  if (o.flags.count("--json"))
    fmt::print("{}\n", to_json(s).dump(2));
  else
    fmt::print("{}", format_trace_stats(s));
  return 0;
}

int generate_synthetic(const Options& o, uint64_t seed, const std::string& out)
{
  SyntheticBuild s;
  s.name = option(o, "--name", s.name);
  s.compiles = integer_option(o, "--compiles", s.compiles, 1, 100'000'000);
  s.libraries = integer_option(o, "--libraries", s.libraries, 1, s.compiles);
  s.compile_cpu_mean_s = number_option(o, "--compile-cpu", s.compile_cpu_mean_s, 0, 1e9);
  s.compile_cpu_cv = number_option(o, "--compile-cv", s.compile_cpu_cv, 0, 100);
  s.library_size_cv = number_option(o, "--library-cv", s.library_size_cv, 0, 100);
  s.compile_lookups = integer_option(o, "--lookups", s.compile_lookups, 0, 1'000'000'000);
  BuildTrace header = synthetic_build_header(s, seed);
  if (is_jsonl_path(out)) { // streamed: the jobs never sit in memory
    TraceJsonlWriter w(out, header, synthetic_job_count(s));
    generate_synthetic_build(s, seed, [&w](const TraceJob& j) { w.add(j); });
    w.commit();
  } else if (out.empty() || out == "-") { // JSON Lines on standard output, streamed too
    nlohmann::json h = trace_header_to_json(header);
    h["job_count"] = synthetic_job_count(s);
    std::cout << h.dump() << "\n";
    generate_synthetic_build(s, seed, [](const TraceJob& j) { std::cout << trace_job_to_json(j, true).dump() << "\n"; });
  } else {
    generate_synthetic_build(s, seed, [&header](const TraceJob& j) { header.jobs.push_back(j); });
    save_trace_file(header, out);
  }
  return 0;
}

int generate_processes_csv(const Options& o, uint64_t seed, const std::string& out)
{
  ProcessWorkload w;
  if (!o.values.count("--hosts") || !o.values.count("--hours"))
    throw UsageError("generate processes needs --hosts H and --hours D");
  int hosts = static_cast<int>(integer_option(o, "--hosts", 1, 1, 100000));
  double hours = number_option(o, "--hours", 1, 0, 1e6);
  w.arrivals_per_host_hour = number_option(o, "--rate", 10, 0, 1e7);
  w.pareto_alpha = number_option(o, "--alpha", w.pareto_alpha, 0.01, 100);
  w.min_cpu_s = number_option(o, "--min-cpu", w.min_cpu_s, 1e-9, 1e12);
  w.max_cpu_s = number_option(o, "--max-cpu", w.max_cpu_s, w.min_cpu_s, 1e12);
  CsvTable csv({"id", "name", "home", "arrival_s", "cpu_s", "dirty_pages", "dirty_blocks", "open_files"});
  for (const auto& p : generate_processes(w, seed, hosts, hours * 3600))
    csv.add_row({std::to_string(p.id), p.name, std::to_string(p.home), fixed(p.arrival_s, 6), fixed(p.cpu_s, 6),
                 std::to_string(p.dirty_pages), std::to_string(p.dirty_blocks), std::to_string(p.open_files)});
  if (out.empty() || out == "-")
    std::cout << csv.text();
  else
    write_file_atomic(out, csv.text());
  return 0;
}

int trace_generate(const Args& args)
{
  Options o = parse_options(args, "spritesim trace generate",
                            {"--seed", "--out", "--size-cv", "--compiles", "--libraries", "--compile-cpu",
                             "--compile-cv", "--library-cv", "--lookups", "--name", "--hosts", "--hours", "--rate",
                             "--alpha", "--min-cpu", "--max-cpu"},
                            {});
  if (o.positional.size() != 1)
    throw UsageError(fmt::format("trace generate expects one KIND ({}, synthetic, processes)",
                                 fmt::join(paper_build_names(), ", ")));
  const std::string& kind = o.positional[0];
  auto seed = static_cast<uint64_t>(integer_option(o, "--seed", 1, 0, INT64_MAX));
  std::string out = option(o, "--out", "");
  if (kind == "synthetic")
    return generate_synthetic(o, seed, out);
  if (kind == "processes")
    return generate_processes_csv(o, seed, out);
  auto desc = paper_build(kind);
  if (!desc)
    throw UsageError(fmt::format("unknown trace kind \"{}\" (known: {}, synthetic, processes)", kind,
                                 fmt::join(paper_build_names(), ", ")));
  GeneratorOptions opt;
  opt.seed = seed;
  opt.size_cv = number_option(o, "--size-cv", opt.size_cv, 0, 100);
  write_trace(generate_paper_build(*desc, reference_costs(), opt), out);
  return 0;
}

int trace_import_ninja(const Args& args)
{
  Options o =
      parse_options(args, "spritesim trace import-ninja", {"--out", "--deps", "--graph", "--name", "--profile"}, {});
  if (o.positional.size() != 1)
    throw UsageError("trace import-ninja expects one .ninja_log (import-ninja .ninja_log --out T.json)");
  NinjaImportOptions opt;
  opt.name = option(o, "--name", opt.name);
  opt.reference_profile = option(o, "--profile", opt.reference_profile);
  if (o.values.count("--deps")) {
    opt.deps_file = o.values["--deps"];
    opt.deps_text = read_text_file(opt.deps_file);
  }
  if (o.values.count("--graph")) {
    opt.graph_file = o.values["--graph"];
    opt.graph_text = read_text_file(opt.graph_file);
  }
  const std::string& log = o.positional[0];
  std::ifstream in(log, std::ios::binary);
  if (!in)
    throw InputError(log, "", "cannot open file (does it exist and is it readable?)");
  BuildTrace t = import_ninja_log(in, log, opt);
  reference_profile_of(t, "--profile " + opt.reference_profile); // a trace that could not be replayed is not written
  write_trace(t, option(o, "--out", ""));
  fmt::print(stderr,
             "trace import-ninja: {} jobs; CPU seconds are the logged wall times (ninja records no CPU time){}\n",
             t.jobs.size(),
             opt.deps_text.empty() && opt.graph_text.empty()
                 ? "; no dependency edges (the log has none: pass --deps/--graph from `ninja -t deps`/`-t graph`)"
                 : "");
  return 0;
}

int trace_convert(const Args& args)
{
  Options o = parse_options(args, "spritesim trace convert", {}, {});
  if (o.positional.size() != 2)
    throw UsageError("trace convert expects IN and OUT (the format follows OUT's extension: .jsonl or .json)");
  save_trace_file(load_trace_file(o.positional[0]), o.positional[1]);
  return 0;
}

} // namespace

int cmd_trace(const Args& args)
{
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    fmt::print(args.empty() ? stderr : stdout, "{}\n", USAGE);
    return args.empty() ? EXIT_USAGE : 0;
  }
  Args rest(args.begin() + 1, args.end());
  const std::string& sub = args[0];
  if (sub == "capture")
    return cmd_trace_capture(rest);
  struct Subverb {
    const char* name;
    const char* usage;
    int (*run)(const Args&);
  };
  static const Subverb subverbs[] = {{"info", INFO_USAGE, trace_info},
                                     {"generate", GENERATE_USAGE, trace_generate},
                                     {"import-ninja", IMPORT_NINJA_USAGE, trace_import_ninja},
                                     {"convert", CONVERT_USAGE, trace_convert}};
  for (const auto& s : subverbs)
    if (sub == s.name)
      return asked_for_help(rest, s.usage) ? 0 : s.run(rest);
  throw UsageError(fmt::format("unknown trace subverb \"{}\" (capture, info, generate, import-ninja, convert; see "
                               "spritesim trace --help)",
                               sub));
}

} // namespace spritesim
