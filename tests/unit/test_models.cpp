// Unit tests for hardware profiles and the cost model: every built-in profile loads with sourced parameters, bad
// profiles are InputErrors naming the path, and the unloaded costs sum to the published SS1 figures.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "models/costs.hpp"
#include "models/profile.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

CostModel ss1_model()
{
  return CostModel(load_profile("ss1", "workstation"), load_profile("sun4-280", "file_server"), Network{});
}

// A minimal valid file-server profile document.
nlohmann::json server_doc()
{
  return nlohmann::json::parse(R"({
    "name": "srv", "role": "file_server",
    "params": {
      "cpu_mips": {"value": 8, "source": "s"},
      "cores": {"value": 1, "source": "s"},
      "lookup_cpu_ms": {"value": 1.6, "source": "s"},
      "disk_KBps": {"value": 212, "source": "s"}
    }
  })");
}

constexpr double MS = 1e-3;

} // namespace

TEST_CASE("every built-in profile loads and every parameter names its source")
{
  std::vector<std::string> names = builtin_profiles();
  for (const char* expected : {"ss1", "ds3100", "sun3-75", "sun4-280"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), expected) != names.end(), expected);

  for (const std::string& name : names) {
    CAPTURE(name);
    HardwareProfile p = load_profile(name, "");
    CHECK(p.name == name);
    const auto& expected = p.role == "workstation" ? workstation_params() : server_params();
    CHECK(p.params.size() == expected.size());
    for (const std::string& param : expected) {
      CAPTURE(param);
      REQUIRE(p.params.count(param) == 1);
      CHECK(!p.params.at(param).source.empty());
      CHECK(p.get(param) >= 0);
    }
    CHECK(p.get("cpu_mips") > 0);
  }
  CHECK(load_profile("sun4-280", "").role == "file_server");
  CHECK(load_profile("ss1", "").role == "workstation");
  CHECK(load_profile("ss1", "workstation").get("cpu_mips") == 10);
  CHECK_THROWS_AS(load_profile("ss1", "").get("lookup_cpu_ms"), std::logic_error);
}

TEST_CASE("bad profiles are InputErrors naming the path")
{
  SUBCASE("unknown parameter")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["fork_ms"] = {{"value", 1}, {"source", "s"}};
    std::string m = input_error_of([&] { parse_profile(doc, "p.json", ""); });
    CHECK_MESSAGE(m.rfind("p.json: at $.params.fork_ms: ", 0) == 0, m);
    CHECK(contains(m, "unknown file_server parameter \"fork_ms\""));
    CHECK(contains(m, "lookup_cpu_ms"));
  }
  SUBCASE("missing parameter")
  {
    nlohmann::json doc = server_doc();
    doc["params"].erase("disk_KBps");
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.params.disk_KBps"));
  }
  SUBCASE("empty source")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["disk_KBps"]["source"] = "";
    std::string m = input_error_of([&] { parse_profile(doc, "p.json", ""); });
    CHECK(contains(m, "$.params.disk_KBps.source"));
    CHECK(contains(m, "source"));
  }
  SUBCASE("missing source")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["disk_KBps"].erase("source");
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.params.disk_KBps.source"));
  }
  SUBCASE("unknown key in a parameter")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["disk_KBps"]["unit"] = "KB/s";
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.params.disk_KBps.unit"));
  }
  SUBCASE("negative value")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["disk_KBps"]["value"] = -1;
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.params.disk_KBps.value"));
  }
  SUBCASE("zero cpu_mips")
  {
    nlohmann::json doc = server_doc();
    doc["params"]["cpu_mips"]["value"] = 0;
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.params.cpu_mips.value"));
  }
  SUBCASE("unknown top-level key")
  {
    nlohmann::json doc = server_doc();
    doc["vendor"] = "Sun";
    CHECK(contains(input_error_of([&] { parse_profile(doc, "p.json", ""); }), "$.vendor"));
  }
  SUBCASE("wrong role")
  {
    std::string m = input_error_of([&] { parse_profile(server_doc(), "p.json", "workstation"); });
    CHECK(contains(m, "$.role"));
    CHECK(contains(m, "expected a workstation profile"));
    CHECK(contains(input_error_of([&] { load_profile("sun4-280", "workstation"); }), "sun4-280"));
  }
  SUBCASE("unknown built-in name")
  {
    std::string m = input_error_of([&] { load_profile("vax780", ""); });
    CHECK(m.rfind("vax780: ", 0) == 0);
    CHECK(contains(m, "ss1"));
  }
  CHECK(parse_profile(server_doc(), "p.json", "file_server").get("disk_KBps") == 212);
}

TEST_CASE("the SS1 / Sun-4/280 cost model sums to the published figures")
{
  CostModel m = ss1_model();
  const Network& net = m.network();

  RpcCost rpc = m.small_rpc();
  CHECK(std::fabs(unloaded_seconds(rpc, net) - 1.6 * MS) < 1e-9);
  CHECK(rpc.wire_bytes == 566);
  CHECK(rpc.caller_cpu_s == doctest::Approx(rpc.callee_cpu_s)); // client share 0.5
  CHECK(rpc.caller_cpu_s > 0);

  CHECK(std::fabs(unloaded_seconds(m.fs_blocks(1), net) - 4096.0 / (480 * 1024)) < 1e-9);
  CHECK(std::fabs(unloaded_seconds(m.vm_pages(1), net) - 4096.0 / (660 * 1024)) < 1e-9);
  CHECK(std::fabs(unloaded_seconds(m.fs_blocks(5), net) - 5 * 4096.0 / (480 * 1024)) < 1e-9);
  CHECK(m.fs_blocks(3).wire_bytes == 3 * 4096);
  CHECK(unloaded_seconds(m.fs_blocks(0), net) == 0);

  CHECK(m.blocks_for(0) == 0);
  CHECK(m.blocks_for(1) == 1);
  CHECK(m.blocks_for(4096) == 1);
  CHECK(m.blocks_for(4097) == 2);

  InvocationCost inv = m.local_invocation();
  CHECK(std::fabs(inv.parent_cpu_s + inv.child_cpu_s - 46 * MS) < 1e-9);

  ExecMigrationCost mig = m.exec_migration();
  double total = unloaded_seconds(mig.handshake, net) + unloaded_seconds(mig.state_transfer, net) + mig.home_cpu_s +
                 mig.target_cpu_s;
  CHECK(std::fabs(total - (81 - 46) * MS) < 1e-9);
  CHECK(std::fabs(unloaded_seconds(mig.handshake, net) - 2 * 1.6 * MS) < 1e-9);
  CHECK(mig.state_transfer.wire_bytes == 2 * 4096); // 5 KB of state in whole blocks
  CHECK(mig.home_cpu_s > 0);
  CHECK(mig.target_cpu_s > 0);

  double open_file = 3 * unloaded_seconds(m.open_file_rpc(), net) + m.open_file_home_cpu_s();
  CHECK(std::fabs(open_file - 9.4 * MS) < 1e-9);
  CHECK(m.open_file_home_cpu_s() > 0);

  RpcCost lookup = m.lookup();
  CHECK(std::fabs(lookup.callee_cpu_s - 1.6 * MS) < 1e-12);
  CHECK(lookup.caller_cpu_s == rpc.caller_cpu_s);
  CHECK(lookup.wire_bytes == rpc.wire_bytes);

  CHECK(m.mig_connect_s() == doctest::Approx(20 * MS));
  CHECK(m.mig_obtain_s() == doctest::Approx(11 * MS));
  CHECK(m.mig_release_s() == doctest::Approx(11 * MS));
  CHECK(m.mig_close_s() == doctest::Approx(5 * MS));
  CHECK(m.mig_confirm_s() == doctest::Approx(2 * MS));

  CHECK(CostModel::scale_cpu(2.0, 10, 20) == doctest::Approx(1.0));
  CHECK_THROWS_AS(CostModel(load_profile("sun4-280", ""), load_profile("ss1", ""), Network{}), std::logic_error);
}

TEST_CASE("RpcCost arithmetic")
{
  RpcCost a{1, 2, 3};
  a += RpcCost{10, 20, 30};
  CHECK(a.caller_cpu_s == 11);
  CHECK(a.wire_bytes == 22);
  CHECK(a.callee_cpu_s == 33);
  RpcCost b = a * 2;
  CHECK(b.caller_cpu_s == 22);
  CHECK(b.wire_bytes == 44);
  CHECK(b.callee_cpu_s == 66);
  CHECK(unloaded_seconds(RpcCost{0.5, 1.25e6, 0.25}, Network{}) == doctest::Approx(1.75));
  CHECK(wire_seconds(2.5e6, Network{}) == doctest::Approx(2.0));
}

TEST_CASE("ds3100 is ss1 scaled by the documented OSB90 ratio")
{
  const double ratio = std::sqrt((26.0 / 32.0) * (0.51 / 1.19));
  HardwareProfile ss1 = load_profile("ss1", "workstation");
  HardwareProfile ds = load_profile("ds3100", "workstation");
  for (const char* param : {"rpc_null_rtt_ms", "mig_connect_ms", "mig_obtain_ms", "mig_release_ms", "mig_close_ms", "mig_confirm_ms",
                            "null_migration_ms", "open_file_ms", "fork_exec_wait_local_ms",
                            "fork_exec_wait_remote_ms"}) {
    CAPTURE(param);
    CHECK(std::fabs(ds.get(param) - ss1.get(param) * ratio) < 1e-3);
    CHECK(ds.get(param) < ss1.get(param));
  }
  // Protocol properties and the server-bound bandwidths keep the SS1 values.
  for (const char* param :
       {"fs_block_bytes", "small_rpc_wire_bytes", "rpc_client_share", "rpc_fs_bandwidth_KBps", "rpc_vm_bandwidth_KBps"}) {
    CAPTURE(param);
    CHECK(ds.get(param) == ss1.get(param));
  }
  CHECK(ds.get("cpu_mips") == 12);
}

TEST_CASE("override_param changes a value and rejects unknown names")
{
  HardwareProfile p = load_profile("ss1", "workstation");
  override_param(p, "rpc_null_rtt_ms", 2.0, "exp.json", "$.costs.workstation.rpc_null_rtt_ms");
  CHECK(p.get("rpc_null_rtt_ms") == 2.0);
  CHECK(contains(p.params.at("rpc_null_rtt_ms").source, "exp.json"));
  CHECK(p.get("open_file_ms") == 9.4); // the others are untouched

  // The model sees the overridden value.
  CostModel m(p, load_profile("sun4-280", "file_server"), Network{});
  CHECK(std::fabs(unloaded_seconds(m.small_rpc(), m.network()) - 2.0 * MS) < 1e-9);

  std::string e = input_error_of([&] { override_param(p, "rpc_rtt_ms", 1, "exp.json", "$.costs.workstation.rpc_rtt_ms"); });
  CHECK(e.rfind("exp.json: ", 0) == 0);
  CHECK(contains(e, "\"rpc_rtt_ms\""));
  CHECK(contains(e, "rpc_null_rtt_ms"));
  CHECK(p.params.count("rpc_rtt_ms") == 0);
}

TEST_CASE("override_param refuses values the model cannot compute with, naming the JSON path")
{
  struct Bad {
    const char* param;
    double value;
  };
  for (Bad b : {Bad{"cpu_mips", 0}, Bad{"fs_block_bytes", 0}, Bad{"page_bytes", 0}, Bad{"page_bytes", 4096.5},
                Bad{"rpc_fs_bandwidth_KBps", 0}, Bad{"rpc_vm_bandwidth_KBps", 0}, Bad{"cores", 0.5},
                Bad{"cores", 1.5}, Bad{"rpc_client_share", 1.01}, Bad{"mig_obtain_ms", 1e12}}) {
    CAPTURE(b.param);
    CAPTURE(b.value);
    HardwareProfile p = load_profile("ss1", "workstation");
    double before = p.get(b.param);
    std::string where = std::string("$.costs.workstation.") + b.param;
    std::string e = input_error_of([&] { override_param(p, b.param, b.value, "exp.json", where); });
    CHECK(e.rfind("exp.json: at " + where, 0) == 0);
    CHECK(p.get(b.param) == before);
  }
  HardwareProfile fs = load_profile("sun4-280", "file_server");
  CHECK(contains(input_error_of([&] { override_param(fs, "cores", 0, "x.json", "$.costs.file_server.cores"); }),
                 "file_server cores"));
  // Every parameter of every built-in profile lies in its range (the profiles pass their own check).
  for (const auto& name : builtin_profiles())
    CHECK_NOTHROW(load_profile(name, ""));
}
