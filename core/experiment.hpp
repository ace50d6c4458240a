// The experiment spec: one JSON config fully describes a run (platform, cost profiles, workload, policy, seed).
// Parsing is strict (unknown keys, wrong types, out-of-range values are InputErrors with a JSON path); defaults
// are filled so that to_json() gives the resolved config written next to the results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/input_error.hpp"
#include "core/vocabulary.hpp"
#include "core/workload_kind.hpp"

namespace spritesim {

/// The shared Ethernet.
struct NetworkSpec {
  double bandwidth_Mbps = 10.0; ///< SPE91 p.3: 10 Mbit/s Ethernet
  double latency_us = 5.0;      ///< propagation and interframe gap only; RPC processing is in the profiles
};

/// A group of identical diskless workstations (platform.groups): one hardware profile, one architecture.
struct HostGroupSpec {
  std::string name;
  int64_t hosts = 1;
  std::string profile = "ss1";
  /// Processes move only between hosts of one architecture (TH90 8.5, 9.3; EXP89 6); default: the profile's name.
  std::string architecture;
  /// The file server holding the files of jobs whose home is in this group; default: the first file server.
  std::string file_server;
};

/// A file server (platform.file_servers): a host of its own that runs no process.
struct FileServerSpec {
  std::string name = "fileserver";
  std::string profile = "sun4-280";
};

/// Hosts: diskless workstations plus file servers, on one Ethernet. The workstations are platform.groups, or when
/// absent one group of `workstations` hosts of `profile`; the servers are platform.file_servers, or one server of
/// `file_server_profile`. With groups, `workstations`, `profile` and `file_server_profile` are derived (the total,
/// the first group's profile, the first server's profile).
struct PlatformSpec {
  int64_t workstations = 12;
  std::string profile = "ss1";                 ///< hardware profile of the workstations (name or JSON file)
  std::string file_server_profile = "sun4-280"; ///< hardware profile of the file server
  NetworkSpec network;
  /// How the hosts' CPUs and the Ethernet are shared (docs/configs.md): our processor-sharing queues, or SimGrid's
  /// max-min model, the exact one, kept for checking.
  SharingModel sharing = SharingModel::PROCESSOR_SHARING;
  /// Workstations on one physical machine (loopback or container clusters): consecutive groups of this many share
  /// one CPU of `machine_cores` cores (0: the workstation profile's), and each sees the machine's load.
  int64_t hosts_per_machine = 1;
  int64_t machine_cores = 0;
  std::vector<HostGroupSpec> groups;        ///< as given (empty: platform.workstations and platform.profile)
  std::vector<FileServerSpec> file_servers; ///< as given (empty: platform.file_server)
};

/// The workstation groups of a platform, in host order (hosts ws00.. of the first group first): its groups, or the
/// one group "ws" of `workstations` hosts of `profile`. Every field is filled.
std::vector<HostGroupSpec> host_groups(const PlatformSpec& p);
/// The file servers of a platform, in host order after the workstations: its file_servers, or the one
/// "fileserver" of `file_server_profile`.
std::vector<FileServerSpec> file_servers(const PlatformSpec& p);
/// The index in `servers` of the one named `name` (a group's file_server, checked when the config was read).
int file_server_index(const std::vector<FileServerSpec>& servers, const std::string& name);
/// Workstations of the first group's architecture (pmake's home, ws00, can use only these).
int64_t hosts_of_first_architecture(const PlatformSpec& p);

/// A parameter override applied to a loaded hardware profile ("costs" section).
struct CostOverride {
  std::string target; ///< "workstation" or "file_server"
  std::string param;  ///< a parameter name of the profile
  double value = 0;
};

/// What runs: `kind` (core/workload_kind.hpp) and its keys; a kind reads only the keys its row lists.
struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::PMAKE;
  std::string trace = "builtin:kernel"; ///< builtin:NAME (a generator) or a trace file path
  int64_t max_jobs = 0;      ///< jobs at once (pmake -J); 0 = one per workstation other than pmake's own
  int64_t max_local = 1;     ///< jobs run on pmake's own host when no remote host is free (pmake DEFMAXLOCAL)
  bool migrate = true;       ///< export jobs to idle hosts through migd; false = a plain local pmake
  std::string baseline = "sequential";  ///< "sequential": also simulate one host to report a speedup; "none"
  /// pmake: built-in traces' generator options (workloads/paper_builds.hpp GeneratorOptions; checked there), or a
  /// build described by its counts and times ("builtin:described" takes it from `generator.build`).
  nlohmann::json generator = nlohmann::json::object();
  bool host_per_command = false; ///< pmake: return each host when its command ends and ask for a new one (EXP89)
  bool local_first = false;      ///< pmake: fill the local slots before exporting (SRC pmake runLocalFirst, -L)
  std::string host_selection = "migd"; ///< pmake: "migd" (TH90 Table 7.1) or "shared_file" (EXP89, TH90 6.3)
  /// pmake: after a request migd grants nothing, seconds before the next (assumption: SRC migd's MIGD_STOLE_WINDOW,
  /// 30 s); 0 asks again for the next job, as real mode's rexec does for every recipe line
  double request_retry_s = 30;
  double duration_s = 0;     ///< processes / mixed: arrivals happen in [0, duration_s)
  nlohmann::json processes;  ///< processes / mixed: a ProcessWorkload object (checked by workloads/)
  nlohmann::json builds;     ///< mixed: a BuildSessions object (checked by workloads/)
  /// processes / mixed: scripted processes, an array of {arrival_s, home, cpu_s[, dirty_pages, dirty_blocks,
  /// open_files]} run besides (or instead of) generated ones; a scripted run is how backends are compared.
  nlohmann::json script;
  /// The keys of the kind's row (core/workload_kind.hpp) that have no field above, as given (absent ones are not
  /// here): a kind's own keys, checked by its simulated half with the path $.workload.KEY.
  nlohmann::json options = nlohmann::json::object();
};

/// Workstation owners: none (always away), a stochastic model, or a trace of console periods.
struct OwnersSpec {
  std::string model = "none";   ///< "none", "stochastic", "trace"
  std::string trace;            ///< trace: CSV file (models/owner_activity.hpp), relative to the config
  double trace_offset_s = 0;    ///< trace: the trace's time that becomes the run's time 0...
  double trace_offset_per_seed_s = 0; ///< ...plus seed x this, so that seeds start at different points of one trace
  nlohmann::json params = nlohmann::json::object();    ///< stochastic: OwnerModel fields (checked by models/)
  nlohmann::json idle_rule = nlohmann::json::object(); ///< IdleRule fields (checked by models/)
};

/// Switches of the migration mechanism.
struct MigrationSpec {
  bool direct_remote_moves = false; ///< Sprite goes through home for remote -> remote moves (TH90 8.4)
  bool demand_paging = true;        ///< migrated processes page their dirty pages back in on the target
  bool processes_migratable = true; ///< false: running processes cannot move (as in real mode), policies restart them
};

/// Which policy decides placement and eviction; params are checked by the policy registry (an external policy's
/// are handed to its process as they are).
struct PolicySpec {
  std::string name = "sprite";
  nlohmann::json params = nlohmann::json::object();
  /// "external" only (docs/external-policies.md): the program and its arguments, and the wall seconds it may take
  /// to answer one message.
  std::vector<std::string> command;
  double timeout_s = 10;
};

struct ExperimentSpec {
  std::string file;   ///< where the config came from (for messages and relative paths)
  std::string name;
  uint64_t seed = 1;
  PlatformSpec platform;
  std::vector<CostOverride> costs;
  WorkloadSpec workload;
  PolicySpec policy;
  OwnersSpec owners;
  MigrationSpec migration;
};

/// Parses an experiment config. `file` is used in messages and to resolve relative trace paths.
ExperimentSpec parse_experiment(const nlohmann::json& doc, const std::string& file);

/// An error about `file` at a path that a --set override wrote is reported as the override's, not the file's.
InputError blame_set_override(const InputError& e, const std::string& file, const std::vector<std::string>& sets);

/// Parses config text (`path` names it in messages and anchors relative paths) with --set overrides
/// (dotted.path=value) applied to the raw JSON (experiments/data_files.hpp load_experiment reads the text).
ExperimentSpec parse_experiment_text(const std::string& text, const std::string& path,
                                     const std::vector<std::string>& set_overrides = {});

/// A config's `policy` section (name, params, and an external policy's command and timeout_s), strictly; relative
/// paths in the command are left as they are (parse_experiment resolves them beside the config).
PolicySpec parse_policy(const class JsonReader& r);

/// The resolved config: every default filled in.
nlohmann::json to_json(const ExperimentSpec& spec);
/// The `policy` section as the resolved config writes it (real mode's config echo too).
nlohmann::json to_json(const PolicySpec& policy);

/// The time of the owner trace that becomes the run's time 0: trace_offset_s + seed x trace_offset_per_seed_s.
double owner_trace_start_s(const ExperimentSpec& spec);

} // namespace spritesim
