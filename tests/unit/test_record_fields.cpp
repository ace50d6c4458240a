// The typed vocabulary (core/vocabulary.hpp, core/strong_id.hpp) and the records' field tables
// (core/record_fields.hpp): names round-trip, ids do not mix, CSV lines come out as the tables say, and a journal
// line reads back into the record it was written from.
#include <doctest/doctest.h>

#include "core/input_error.hpp"
#include <limits>
#include <unordered_set>

#include "core/results.hpp"
#include "core/strong_id.hpp"
#include "policy/cluster_view.hpp"
#include "tests/unit/test_support.hpp"

using namespace spritesim;
using spritesim::test::contains;

namespace {
template <typename Enum>
void check_round_trip()
{
  for (Enum v : EnumValues<Enum>::all) {
    CHECK(std::string(to_string(v)) != "?");
    CHECK(parse_enum<Enum>(to_string(v)) == v);
    CHECK(fmt::format("{}", v) == to_string(v));
  }
  CHECK_FALSE(parse_enum<Enum>("Exec").has_value());
}

/// The record `r` through its journal line and back.
template <typename Record>
Record through_journal(const Record& r)
{
  nlohmann::json line = nlohmann::json::parse(journal_json(r).dump());
  JsonReader in(line, "journal");
  CHECK(in.required_string("record") == record_table<Record>().journal);
  Record back = read_journal<Record>(in);
  in.finish();
  return back;
}
} // namespace

TEST_CASE("vocabulary: every value has its text, and the text parses back")
{
  check_round_trip<MigrationKind>();
  check_round_trip<EvictionReason>();
  check_round_trip<EventKind>();
  check_round_trip<DecisionKind>();
  check_round_trip<RecordedKind>();
  CHECK(std::string(to_string(MigrationKind::TO_HOME)) == "to-home");
  CHECK(std::string(to_string(recorded(DecisionKind::WAKE_AT))) == "wake_at");
  CHECK(std::string(to_string(RecordedKind::RETURN_HOST)) == "return_host");
  CHECK(enum_names<EvictionReason>() == "\"owner\", \"fairness\" or \"policy\"");
}

TEST_CASE("record fields: the CSV of a record follows its table")
{
  std::vector<MigrationRecord> m = {{1.5, "cc-1", MigrationKind::FROM_HOME, "ws00", "ws01", 0.25, 4096}};
  CHECK(csv_document(m) == "time_s,job_id,kind,from_host,to_host,duration_s,bytes\n"
                           "1.500000,cc-1,from-home,ws00,ws01,0.250000,4096\n");
  std::vector<JobRecord> j = {{"a,b", "compile", "ws00", "ws01", 0, 1, 2, 0.5, true, 3}};
  CHECK(csv_document(j) == "job_id,kind,home_host,exec_host,ready_s,start_s,end_s,cpu_s,remote,lookups\n"
                           "\"a,b\",compile,ws00,ws01,0.000000,1.000000,2.000000,0.500000,1,3\n");
  std::vector<OwnerReturnRecord> o = {{5, "ws01", 1, 0.5, std::numeric_limits<double>::quiet_NaN(), 60, true}};
  CHECK(csv_document(o) == "time_s,host,foreign_processes,intrusion_s,foreign_cpu_s,active_s,censored\n"
                           "5.000000,ws01,1,0.500000,,60.000000,1\n"); // NaN: an empty field
  auto files = csv_files();
  REQUIRE(files.size() == 9);
  CHECK(files[6].first == "owner_returns.csv");
  CHECK(files[7].first == "utilization.csv");
  CHECK(files[8].first == "builds.csv");
  CHECK(files[4].first == "decisions.csv");
  CHECK(files[4].second == std::vector<std::string>{"time_s", "event", "kind", "client", "host", "process"});
}

TEST_CASE("record fields: journal lines read back; fields the journal does not keep take defaults")
{
  EvictionRecord e{3.25, "ws02", EvictionReason::FAIRNESS, 2, 0.125};
  EvictionRecord e2 = through_journal(e);
  CHECK(e2.time_s == e.time_s);
  CHECK(e2.host == e.host);
  CHECK(e2.reason == e.reason);
  CHECK(e2.processes == e.processes);
  CHECK(e2.duration_s == e.duration_s);

  DecisionRecord d{7, EventKind::OWNER_ACTIVE, RecordedKind::RETURN_HOST, -1, "ws03", ""};
  DecisionRecord d2 = through_journal(d);
  CHECK(d2.event == EventKind::OWNER_ACTIVE);
  CHECK(d2.kind == RecordedKind::RETURN_HOST);
  CHECK(d2.client == -1);
  CHECK(d2.host == "ws03");

  MigrationRecord m{1, "cc-2", MigrationKind::RESTART, "ws01", "ws00", 9, 99};
  nlohmann::json line = journal_json(m);
  CHECK(line == nlohmann::json{{"record", "migration"}, {"time_s", 1.0}, {"job_id", "cc-2"}, {"kind", "restart"},
                               {"from_host", "ws01"}, {"to_host", "ws00"}}); // duration and bytes: CSV only
  MigrationRecord m2 = through_journal(m);
  CHECK(m2.kind == MigrationKind::RESTART);
  CHECK(m2.duration_s == 0);
  CHECK(m2.bytes == 0);

  JobRecord job{"cc-3", "command", "home", "ws01", 2, 2, 5, 0, false, 0};
  CHECK(journal_json(job).contains("id")); // the journal's key, not the CSV's job_id
  CHECK(through_journal(job).id == "cc-3");
}

TEST_CASE("record fields: a journal line with a misspelt kind fails and names the allowed ones")
{
  nlohmann::json line = {{"record", "migration"}, {"time_s", 1},       {"job_id", "cc-2"},
                         {"kind", "evicted"},     {"from_host", "a"}, {"to_host", "b"}};
  JsonReader in(line, "j.jsonl:3");
  std::string what;
  try {
    read_journal<MigrationRecord>(in);
  } catch (const InputError& e) {
    what = e.what();
  }
  CHECK(contains(what, "j.jsonl:3"));
  CHECK(contains(what, "$.kind"));
  CHECK(contains(what, "\"evicted\" is not one of \"exec\", \"evict\", \"to-home\", \"from-home\", \"remote\" or "
                       "\"restart\""));
  nlohmann::json no_client = {{"record", "decision"}, {"time_s", 1}, {"event", "timer"}, {"kind", "place"}};
  CHECK_THROWS_AS(read_journal<DecisionRecord>(JsonReader(no_client, "j")), InputError);
}

// A host where a process is expected, or a bare number where an id is, does not compile.
static_assert(!std::is_convertible_v<HostId, ProcId>);
static_assert(!std::is_convertible_v<HostId, ClientId>);
static_assert(!std::is_convertible_v<int, HostId>);
static_assert(!std::is_convertible_v<HostId, int>);
static_assert(!std::is_constructible_v<HostId, ClientId>);

TEST_CASE("strong ids: -1 by default, explicit, ordered, hashed and formatted as their number")
{
  CHECK_FALSE(HostId().valid());
  CHECK(HostId().value() == -1);
  CHECK(HostId(0).valid());
  CHECK(HostId(2) == HostId(2));
  CHECK(HostId(1) < HostId(2));
  CHECK(ProcId(int64_t{1} << 40).value() == int64_t{1} << 40);
  std::unordered_set<ProcId> seen = {ProcId(3), ProcId(3), ProcId(4)};
  CHECK(seen.size() == 2);
  CHECK(fmt::format("{} {}", HostId(7), ClientId()) == "7 -1");
  Decision d{DecisionKind::GRANT_HOST, ClientId(1), HostId(2), ProcId(), 0};
  CHECK(d.proc == ProcId());
}
