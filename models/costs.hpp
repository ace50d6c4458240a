// The calibrated cost model as pure functions: every Sprite mechanism step (RPCs, lookups, block and page
// transfers, host selection, local and exec-time process invocation, open-file transfer, forwarded calls) broken
// into CPU on the caller, bytes on the wire and CPU on the callee, so a simulator can make each part contend for
// the resource it uses. Unloaded, each step sums to the published figure it comes from (docs/cost-model.md).
#pragma once

#include <cstdint>
#include <vector>

#include "models/profile.hpp"

namespace spritesim {

/// The shared Ethernet.
struct Network {
  double bytes_per_s = 1.25e6; ///< 10 Mbit/s (SPE91 p.3)
  double latency_s = 5e-6;
};

/// One RPC-shaped step: CPU on the host that calls, bytes on the wire, CPU on the host that serves.
struct RpcCost {
  double caller_cpu_s = 0;
  double wire_bytes = 0;
  double callee_cpu_s = 0;

  RpcCost& operator+=(const RpcCost& o);
  RpcCost operator*(double n) const;
};

/// Time of a step on an idle network and idle hosts.
double unloaded_seconds(const RpcCost& c, const Network& net);
double wire_seconds(double bytes, const Network& net);

/// Exec-time migration of a process (remote invocation), beyond what a local fork+exec+wait costs.
struct ExecMigrationCost {
  RpcCost handshake;      ///< check the target (up, available, same version); get a token (2 small RPCs)
  RpcCost state_transfer; ///< the encapsulated process state in one RPC, home -> target
  double home_cpu_s = 0;  ///< encapsulation on the home machine
  double target_cpu_s = 0; ///< de-encapsulation and restart on the target
};

/// Full (active) migration of a running process: the parts of SPE91 Table 1's rows as a simulator spends them.
struct ActiveMigrationCost {
  RpcCost handshake;        ///< check the target (up, available, same migration version), get a token: 2 small RPCs
  RpcCost state_transfer;   ///< the encapsulated process control block in one RPC, source -> target
  double source_cpu_s = 0;  ///< trap, encapsulation and clean-up on the source
  double target_cpu_s = 0;  ///< de-encapsulation and resume on the target
  RpcCost dirty_pages;      ///< dirty VM pages flushed to backing files on the file server
  RpcCost dirty_blocks;     ///< dirty file-cache blocks flushed to the file server
  int64_t open_files = 0;   ///< each: 3 small RPCs (source->target, target->server, server->source) + source CPU
};

/// A local process invocation (fork + exec + exit + wait of a null program).
struct InvocationCost {
  double parent_cpu_s = 0; ///< fork and wait, on the parent's host
  double child_cpu_s = 0;  ///< exec and exit, where the child runs
};

class CostModel {
public:
  CostModel(HardwareProfile workstation, HardwareProfile file_server, Network net);

  const HardwareProfile& workstation() const { return ws_; }
  const HardwareProfile& file_server() const { return fs_; }
  const Network& network() const { return net_; }

  /// A null RPC between two hosts: SPE91's 1.6 ms minimum round trip on SS1.
  RpcCost small_rpc() const { return small_rpc_; }
  /// A name lookup served by the file server (client side as a small RPC, server CPU from the server profile).
  RpcCost lookup() const { return lookup_; }
  /// n file-system blocks moved between a workstation and the server at the FS RPC rate (480 KB/s on SS1).
  RpcCost fs_blocks(int64_t n) const;
  /// n VM pages flushed to backing files at the VM RPC rate (660 KB/s on SS1, parallel channels).
  RpcCost vm_pages(int64_t n) const;
  /// Whole FS blocks needed for a byte count.
  int64_t blocks_for(int64_t bytes) const;

  // Host selection through the global migd (TH90 Table 7.1), client-side elapsed time.
  double mig_connect_s() const { return mig_connect_s_; }
  double mig_obtain_s() const { return mig_obtain_s_; }
  double mig_release_s() const { return mig_release_s_; } ///< giving one host back explicitly
  double mig_close_s() const { return mig_close_s_; }
  double mig_confirm_s() const { return mig_confirm_s_; }

  /// CPU a command's remote path burns, every process of it together (real mode: rexec, migd and the agent), beyond
  /// the elapsed times charged as CPU on its way (mig_obtain_ms, mig_release_ms and the remote exec's extra over a
  /// local one): migd's journal and views, the agent's serving, after or beside the command. 0 for Sprite's kernel
  /// path, whose published elapsed times are all the model has.
  double remote_path_background_cpu_s() const { return remote_path_background_cpu_s_; }

  /// fork + exec + exit + wait of a null program, locally (46 ms on SS1).
  InvocationCost local_invocation() const { return local_invocation_; }
  /// What exec-time migration adds to a local invocation (81 - 46 ms on SS1), null process, no open files.
  ExecMigrationCost exec_migration() const { return exec_migration_; }
  /// Moving one open file's state: 3 small RPCs (source->target, target->server, server->source) plus
  /// encapsulation on the source; 9.4 ms on SS1 (SPE91 Table 1, p.17).
  RpcCost open_file_rpc() const { return small_rpc_; }
  double open_file_home_cpu_s() const { return open_file_home_cpu_s_; }
  /// Full migration of a process with these dirty pages, dirty file blocks and open files (SPE91 Table 1:
  /// 76 ms for a null process, 9.4 ms per open file, pages at 660 KB/s, blocks at 480 KB/s on SS1).
  ActiveMigrationCost active_migration(int64_t dirty_pages, int64_t dirty_blocks, int64_t open_files) const;
  /// Unloaded time of a full migration (what `spritesim calibrate` should measure with nothing else running).
  double active_migration_seconds(const ActiveMigrationCost& m) const;
  /// A kernel call on the local host (OSB90 Table 2 getpid).
  double syscall_s() const { return syscall_s_; }
  /// A call forwarded to the home machine (gettimeofday, getpgrp, ...; TH90 4.3.2): the local trap plus one small
  /// RPC home and back (AMSP 3.4 measured 2 ms forwarded against 0.21 ms local on a Sun 3/60).
  RpcCost forwarded_call() const;

  /// Seconds of CPU on a machine of `mips` for work measured as `seconds` on a machine of `ref_mips`.
  static double scale_cpu(double seconds, double ref_mips, double mips) { return seconds * ref_mips / mips; }

private:
  static double ms(const HardwareProfile& p, const char* name) { return p.get(name) / 1000.0; }
  RpcCost bulk(int64_t units, double unit_bytes, double bandwidth_KBps) const;
  RpcCost derive_small_rpc() const;
  InvocationCost derive_local_invocation() const;
  ExecMigrationCost derive_exec_migration() const;
  HardwareProfile ws_;
  HardwareProfile fs_;
  Network net_;
  // The profiles' numbers and the costs derived from them, resolved at construction.
  double page_bytes_ = 0, fs_block_bytes_ = 0, rpc_fs_KBps_ = 0, rpc_vm_KBps_ = 0, client_share_ = 0;
  double syscall_s_ = 0, open_file_home_cpu_s_ = 0, null_migration_s_ = 0, remote_path_background_cpu_s_ = 0;
  double mig_connect_s_ = 0, mig_obtain_s_ = 0, mig_release_s_ = 0, mig_close_s_ = 0, mig_confirm_s_ = 0;
  RpcCost small_rpc_, lookup_;
  InvocationCost local_invocation_;
  ExecMigrationCost exec_migration_;
};

/// The cost models of a heterogeneous platform: one per (workstation group, file server) pair, each built from the
/// group's profile and the server's (docs/cost-model.md, "Heterogeneous platforms").
struct PlatformCosts {
  std::vector<CostModel> models; ///< group g with server s at g * servers + s
  int servers = 1;
  const CostModel& at(int group, int server) const { return models.at(static_cast<size_t>(group * servers + server)); }
};

/// A typical migrating process's dirty VM pages and dirty file blocks (TH90 Table 8.3 means: 36.62 pages,
/// 0.95 blocks per migration).
constexpr int64_t TYPICAL_DIRTY_PAGES = 37;
constexpr int64_t TYPICAL_DIRTY_BLOCKS = 1;

/// Bytes of encapsulated state for a small process (TH90 4.2.5: "about 5 KB").
constexpr int64_t SMALL_PROCESS_STATE_BYTES = 5 * 1024;

} // namespace spritesim
