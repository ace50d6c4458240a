// Unit tests for owners and availability: lazy load averages against a per-sample loop, migd's idle rule and its
// hysteresis, the owner generator against Sprite's availability figures (SPE91 p.23, Table 5; TH90 8.2, 8.5, Table 8.5), and owner traces.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <unistd.h>
#include <vector>

#include "core/json_reader.hpp"
#include "models/idle_rule.hpp"
#include "models/load_average.hpp"
#include "models/owner_activity.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

struct Step {
  double t;
  int n;
};

// migd's loop, one sample at a time, from scratch: samples at 5, 10, ...; a sample at a change time sees the change.
std::array<double, 3> brute_force(const std::vector<Step>& steps, double now)
{
  std::array<double, 3> avg = {0, 0, 0};
  for (int64_t k = 1; k * LOAD_SAMPLE_S <= now; ++k) {
    double ts = static_cast<double>(k) * LOAD_SAMPLE_S;
    int n = 0;
    for (const Step& s : steps)
      if (s.t <= ts)
        n = s.n;
    for (size_t i = 0; i < 3; ++i)
      avg[i] = load_weights()[i] * avg[i] + (1 - load_weights()[i]) * n;
  }
  return avg;
}

double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) / 9007199254740992.0; }

// An owner trace in a fresh temporary folder, removed at scope exit.
class TempTrace {
public:
  explicit TempTrace(const std::string& text)
  {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("spritesim-test-owners-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "owners.csv").string();
    std::ofstream(path_) << text;
  }
  ~TempTrace()
  {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempTrace(const TempTrace&) = delete;
  TempTrace& operator=(const TempTrace&) = delete;
  const std::string& path() const { return path_; }

private:
  std::filesystem::path dir_;
  std::string path_;
};

constexpr double INF = std::numeric_limits<double>::infinity();

} // namespace

TEST_CASE("load averages: the lazy closed form matches migd's per-sample loop on random step functions")
{
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 40; ++trial) {
    CAPTURE(trial);
    LoadAverages la;
    std::vector<Step> steps;
    double t = 0;
    for (int c = 0; c < 30; ++c) {
      // Mix changes on sample times, between them, several per interval and long gaps.
      double r = uniform(rng);
      t += r < 0.3 ? 5 * std::floor(uniform(rng) * 6) : r < 0.6 ? uniform(rng) * 3 : uniform(rng) * 400;
      int n = static_cast<int>(uniform(rng) * 7);
      la.set_run_queue(t, n);
      steps.push_back({t, n});
      CHECK(la.run_queue() == n);
      for (double q : {t, t + uniform(rng) * 20, std::floor(t / 5) * 5 + 5}) {
        auto got = la.at(q), want = brute_force(steps, q);
        for (size_t i = 0; i < 3; ++i)
          CHECK(std::fabs(got[i] - want[i]) < 1e-9);
      }
    }
  }
}

TEST_CASE("load averages: a sample at exactly a change time uses the new run queue")
{
  const auto& w = load_weights();
  LoadAverages la;
  la.set_run_queue(0, 0);
  CHECK(la.at(9.999)[0] == 0);
  la.set_run_queue(10, 3);
  CHECK(la.at(10)[0] == doctest::Approx(3 * (1 - w[0])));
  // The change between samples: the sample at 15 sees it, the one at 10 does not.
  LoadAverages lb;
  lb.set_run_queue(10.5, 2);
  CHECK(lb.at(14.9)[1] == 0);
  CHECK(lb.at(15)[1] == doctest::Approx(2 * (1 - w[1])));
}

TEST_CASE("load averages: a single busy spike decays with 1-, 5- and 15-minute time constants")
{
  const auto& w = load_weights();
  CHECK(w[0] == doctest::Approx(std::exp(-1.0 / 12)));
  CHECK(std::pow(w[1], 60) == doctest::Approx(std::exp(-1.0))); // 60 samples of 5 s = 5 minutes
  LoadAverages la;
  la.set_run_queue(0, 1);
  la.set_run_queue(60, 0); // samples at 5..55 saw 1 process; the one at 60 sees none
  auto peak = la.at(60);
  for (size_t i = 0; i < 3; ++i)
    CHECK(peak[i] == doctest::Approx((1 - std::pow(w[i], 11)) * w[i]));
  CHECK(peak[0] > peak[1]);
  CHECK(peak[1] > peak[2]);
  // One time constant later each average has fallen by a factor e.
  CHECK(la.at(60 + 60)[0] == doctest::Approx(peak[0] / std::exp(1.0)));
  CHECK(la.at(60 + 300)[1] == doctest::Approx(peak[1] / std::exp(1.0)));
  CHECK(la.at(60 + 900)[2] == doctest::Approx(peak[2] / std::exp(1.0)));
  CHECK(la.at(1e6)[2] < 1e-12);
}

TEST_CASE("load averages: time never goes backwards, run queues are never negative")
{
  LoadAverages la;
  la.set_run_queue(100, 2);
  CHECK_THROWS_AS(la.set_run_queue(99, 1), std::logic_error);
  CHECK_THROWS_AS(la.at(50), std::logic_error);
  CHECK_THROWS_AS(la.set_run_queue(100, -1), std::logic_error);
  CHECK_NOTHROW(la.set_run_queue(100, 0)); // two changes at the same instant are fine
  CHECK_NOTHROW(la.at(100));
}

TEST_CASE("load averages: first_time_above / first_time_at_or_below agree with at()")
{
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    LoadAverages la;
    double t = uniform(rng) * 500;
    la.set_run_queue(0, static_cast<int>(uniform(rng) * 6));
    la.set_run_queue(t, static_cast<int>(uniform(rng) * 6));
    double now = t + uniform(rng) * 100;
    int which = static_cast<int>(uniform(rng) * 3);
    double thr = uniform(rng) * 4;
    CAPTURE(trial);
    double up = la.first_time_above(now, which, thr);
    double down = la.first_time_at_or_below(now, which, thr);
    for (auto [when, above] : {std::pair{up, true}, std::pair{down, false}}) {
      auto cond = [&](double q) { return above ? la.at(q)[which] > thr : la.at(q)[which] <= thr; };
      if (when == INF) {
        CHECK(!cond(now));
        CHECK(!cond(now + 1e5)); // heading the other way or stuck on the near side
      } else {
        CHECK(when >= now);
        CHECK(cond(when));
        if (when > now) {
          CHECK(std::fmod(when, LOAD_SAMPLE_S) == 0);
          CHECK(!cond(std::max(now, when - LOAD_SAMPLE_S)));
        }
      }
    }
  }
  LoadAverages idle;
  CHECK(idle.first_time_above(0, 0, 0.5) == INF);
  CHECK(idle.first_time_at_or_below(3, 0, 0.5) == 3);
}

TEST_CASE("idle rule: recent input always refuses; 30 s of idleness is enough")
{
  IdleRule r;
  std::array<double, 3> zero = {0, 0, 0};
  CHECK(!r.next_available(true, 29.9, zero, zero));
  CHECK(!r.next_available(false, 0, zero, zero));
  CHECK(r.next_available(false, 30, zero, zero));
  CHECK(r.next_available(true, 1e9, zero, zero));
}

TEST_CASE("idle rule: a host becomes available only when every average is at or below its low threshold")
{
  IdleRule r;
  CHECK(r.next_available(false, 60, {0.75, 1.0, 1.5}, {0.75, 1.0, 1.5})); // migd refuses only when above
  for (size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    std::array<double, 3> loads = {0.1, 0.1, 0.1};
    loads[i] = r.low[i] + 0.01;
    CHECK(!r.next_available(false, 60, loads, {0, 0, 0})); // foreign work counts when starting
  }
}

TEST_CASE("idle rule: an available host stops when any average without foreign work exceeds its high threshold")
{
  IdleRule r;
  for (size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    std::array<double, 3> own = {0, 0, 0};
    own[i] = r.high[i] + 0.01;
    CHECK(!r.next_available(true, 60, own, own));
    own[i] = r.high[i];
    CHECK(r.next_available(true, 60, own, own));
  }
  // Heavy foreign load alone does not push a host out.
  CHECK(r.next_available(true, 60, {5, 5, 5}, {0.2, 0.2, 0.2}));
}

TEST_CASE("idle rule: the refusal names the first condition that fails, and is empty exactly when available")
{
  IdleRule r;
  std::array<double, 3> zero = {0, 0, 0};
  CHECK(r.refusal(false, 10, zero, zero) == "console input 10 s ago (the rule wants 30 s without)");
  CHECK(r.refusal(false, 60, {0.1, 1.2, 0.1}, zero) == "5-minute load 1.20, above the low threshold 1");
  CHECK(r.refusal(true, 60, {9, 9, 9}, {0.1, 0.1, 3.5}) ==
        "15-minute load 3.50 without foreign work, above the high threshold 3");
  for (bool was : {false, true})
    for (double idle : {0.0, 29.0, 30.0, 600.0})
      for (double load : {0.0, 0.8, 1.2, 2.6, 3.1}) {
        std::array<double, 3> loads = {load, load / 2, load / 3};
        CHECK(r.refusal(was, idle, loads, loads).empty() == r.next_available(was, idle, loads, loads));
      }
}

TEST_CASE("idle rule: between the low and high thresholds the host keeps its state")
{
  IdleRule r;
  std::array<double, 3> mid = {1.5, 2.0, 2.0};
  CHECK(r.next_available(true, 60, mid, mid));
  CHECK(!r.next_available(false, 60, mid, mid));
  // A load going up then down: available, still available in the band, refused above, refused in the band again.
  bool a = false;
  for (auto [l, want] : {std::pair{0.5, true}, {2.0, true}, {2.6, false}, {2.0, false}, {0.7, true}}) {
    std::array<double, 3> loads = {l, l, l};
    a = r.next_available(a, 60, loads, loads);
    CHECK(a == want);
  }
}

TEST_CASE("idle rule: JSON with defaults, overrides and strict errors")
{
  IdleRule d = parse_idle_rule(nlohmann::json::object(), "x.json", "$.idle_rule");
  CHECK(d.input_threshold_s == 30);
  CHECK(d.low == std::array<double, 3>{0.75, 1.0, 1.5});
  CHECK(d.high == std::array<double, 3>{2.5, 2.75, 3.0});
  IdleRule o = parse_idle_rule(nlohmann::json::parse(R"({"input_threshold_s": 300, "low": [0.5, 0.5, 0.5]})"),
                               "x.json", "$.idle_rule");
  CHECK(o.input_threshold_s == 300);
  CHECK(o.low[2] == 0.5);
  IdleRule back = parse_idle_rule(to_json(o), "x.json", "$");
  CHECK(back.low == o.low);
  CHECK(back.high == o.high);
  CHECK(back.input_threshold_s == o.input_threshold_s);

  auto err = [](const char* text) {
    return input_error_of([&] { parse_idle_rule(nlohmann::json::parse(text), "x.json", "$.idle_rule"); });
  };
  CHECK(contains(err(R"({"treshold": 3})"), "$.idle_rule.treshold"));
  CHECK(contains(err(R"({"low": [1, 2]})"), "$.idle_rule.low"));
  CHECK(contains(err(R"({"low": [1, 2]})"), "three numbers"));
  CHECK(contains(err(R"({"high": [1, "x", 3]})"), "$.idle_rule.high[1]"));
  CHECK(contains(err(R"({"low": [3, 1, 1]})"), "above high[0]"));
  CHECK(contains(err(R"({"input_threshold_s": -1})"), "$.idle_rule.input_threshold_s"));
}

TEST_CASE("owners: 8 weeks x 40 hosts reproduce Sprite's idle shares and idle-period length")
{
  OwnerModel m;
  const double duration = 8 * WEEK_S;
  std::vector<std::vector<OwnerPeriod>> hosts;
  for (int h = 0; h < 40; ++h)
    hosts.push_back(generate_owner_periods(m, 1991, h, duration));
  OwnerStats s = owner_stats(hosts, duration, m.start_of_week_s);
  MESSAGE("weekday ", s.weekday_idle_share, " off-hours ", s.offhours_idle_share, " total ", s.total_idle_share,
          " mean idle ", s.mean_idle_period_s / 60, " min, returns/h ", s.idle_to_active_per_hour);
  CHECK(std::fabs(s.weekday_idle_share - 0.66) <= 0.02);
  CHECK(std::fabs(s.offhours_idle_share - 0.78) <= 0.02);
  CHECK(std::fabs(s.total_idle_share - 0.75) <= 0.02);
  CHECK(std::fabs(s.mean_idle_period_s - 26 * 60) <= 0.1 * 26 * 60);
  CHECK(s.idle_to_active_per_hour > 1);
  CHECK(s.idle_to_active_per_hour < 3);

  // Decreasing hazard: the longer a host has been idle, the likelier it stays idle 10 more minutes.
  std::vector<double> gaps;
  for (const auto& periods : hosts)
    for (size_t i = 1; i < periods.size(); ++i)
      gaps.push_back(periods[i].start_s - periods[i - 1].end_s);
  double previous = 0;
  for (double elapsed_min : {0.5, 10.0, 20.0, 40.0, 80.0}) {
    double e = elapsed_min * 60;
    double survived = 0, more = 0;
    for (double g : gaps) {
      survived += g >= e;
      more += g >= e + 600;
    }
    double p = more / survived;
    CAPTURE(elapsed_min);
    CHECK(p > previous);
    CHECK(std::fabs(p - idle_period_survival(m, e + 600) / idle_period_survival(m, e)) < 0.015);
    previous = p;
  }
  CHECK(previous > 0.85); // an hour-long idle period almost surely lasts 10 more minutes
}

TEST_CASE("owners: periods are sorted, disjoint, inside the run, and reproducible from (seed, host)")
{
  OwnerModel m;
  m.start_of_week_s = 3.5 * 86400;
  const double duration = 2 * 86400;
  auto a = generate_owner_periods(m, 5, 3, duration);
  REQUIRE(a.size() > 20);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].start_s >= 0);
    CHECK(a[i].end_s <= duration);
    CHECK(a[i].end_s > a[i].start_s);
    CHECK(a[i].cpu_share == m.owner_cpu_share);
    if (i > 0)
      CHECK(a[i].start_s - a[i - 1].end_s >= m.input_threshold_s);
  }
  auto same = generate_owner_periods(m, 5, 3, duration);
  REQUIRE(same.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(same[i].start_s == a[i].start_s); // bit-identical, not approximately equal
    CHECK(same[i].end_s == a[i].end_s);
  }
  CHECK(generate_owner_periods(m, 6, 3, duration)[0].end_s != a[0].end_s);
  CHECK(generate_owner_periods(m, 5, 4, duration)[0].end_s != a[0].end_s);
  // A longer run starts with the same periods: each host's stream does not depend on the duration.
  auto longer = generate_owner_periods(m, 5, 3, 2 * duration);
  CHECK(longer[3].start_s == a[3].start_s);
}

TEST_CASE("owners: derived defaults, the weekday calendar and JSON")
{
  OwnerModel m;
  CHECK(m.owner_cpu_share == doctest::Approx(0.023 * (1 - 0.3108) / 0.25).epsilon(1e-3));
  CHECK(mean_active_period_s(m, true) > mean_active_period_s(m, false)); // owners stay longer in office hours
  CHECK(weekday_seconds(0, WEEK_S, 0) == 5 * 8 * 3600);
  CHECK(is_weekday_hours(9 * 3600, 0));               // Monday 9:00
  CHECK(!is_weekday_hours(17 * 3600, 0));             // Monday 17:00
  CHECK(!is_weekday_hours(5 * 86400 + 10 * 3600, 0)); // Saturday 10:00
  CHECK(is_weekday_hours(10 * 3600, 4 * 86400));      // time 0 is Friday 00:00: Friday 10:00
  CHECK(!is_weekday_hours(86400 + 10 * 3600, 4 * 86400));
  CHECK(weekday_seconds(-86400, 0, 86400) == 8 * 3600); // before time 0 is the previous day (Monday)

  OwnerModel o = parse_owner_model(nlohmann::json::parse(R"({"idle_period_cv": 3, "start_of_week_s": 3600})"),
                                   "x.json", "$.owners");
  CHECK(o.idle_period_cv == 3);
  CHECK(o.weekday_idle_share == 0.66);
  OwnerModel back = parse_owner_model(to_json(o), "x.json", "$");
  CHECK(to_json(back) == to_json(o));
  auto err = [](const char* text) {
    return input_error_of([&] { parse_owner_model(nlohmann::json::parse(text), "x.json", "$.owners"); });
  };
  CHECK(contains(err(R"({"idle_cv": 3})"), "$.owners.idle_cv"));
  CHECK(contains(err(R"({"idle_period_cv": 0.5})"), "$.owners.idle_period_cv"));
  CHECK(contains(err(R"({"weekday_idle_share": 0.99})"), "no time for the owner"));
  CHECK(contains(err(R"({"mean_idle_period_s": 20})"), "$.owners.mean_idle_period_s"));
  // A default that no longer fits a given key is named as such, at the object, never as a "missing" key.
  std::string d = err(R"({"mean_idle_period_s": 40})");
  CHECK(contains(d, "$.owners: weekday_idle_share (left at its default) must be below"));
  CHECK_FALSE(contains(d, "missing"));
}

TEST_CASE("owner traces: a valid trace loads per host; names and indices map to workstations")
{
  TempTrace t("# owners of a small cluster\nhost,start_s,end_s,cpu_share\n0,0,100,0.1\nsage,50,60,0\n"
              "0,100,200,0.5\n\n0, 300 ,400,1\n");
  auto trace = load_owner_trace(t.path());
  REQUIRE(trace.size() == 2);
  REQUIRE(trace["0"].size() == 3);
  CHECK(trace["0"][2].start_s == 300);
  CHECK(trace["0"][1].cpu_share == 0.5);
  CHECK(trace["sage"][0].end_s == 60);
  auto by_host = owner_periods_by_host(trace, {"garlic", "sage", "buzz"}, t.path());
  CHECK(by_host[0].size() == 3);
  CHECK(by_host[1].size() == 1);
  CHECK(by_host[2].empty());
  CHECK(contains(input_error_of([&] { owner_periods_by_host(trace, {"garlic"}, t.path()); }), "\"sage\""));
  std::map<std::string, std::vector<OwnerPeriod>> twice = {{"0", {{1, 2, 0}}}, {"1", {{3, 4, 0}}}};
  CHECK(contains(input_error_of([&] { owner_periods_by_host(twice, {"1", "x"}, "o.csv"); }), "two keys"));

  // Seen from t = 150 on: the period under way is cut at the new time 0, earlier ones dropped, later ones shifted.
  auto from = owner_periods_from(by_host, 150, t.path());
  REQUIRE(from[0].size() == 2);
  CHECK(from[0][0].start_s == 0);
  CHECK(from[0][0].end_s == 50);
  CHECK(from[0][0].cpu_share == 0.5);
  CHECK(from[0][1].start_s == 150);
  CHECK(from[1].empty());
  CHECK(owner_periods_from(by_host, 0, t.path())[1].size() == 1);
  CHECK(contains(input_error_of([&] { owner_periods_from(by_host, 400, t.path()); }), "no owner would ever come"));

  OwnerStats s = owner_stats({{{0, 100, 0}, {200, 300, 0}}}, 1000, 0);
  CHECK(s.total_idle_share == doctest::Approx((100 - 30 + 1000 - 330) / 1000.0));
  CHECK(s.mean_idle_period_s == 100);
  CHECK(s.idle_to_active_per_hour == doctest::Approx(1 / (1000.0 / 3600)));
}

TEST_CASE("owner traces: errors name the file and the line")
{
  struct Case {
    const char* what;
    const char* text;
    const char* line;
    const char* message;
  };
  const Case cases[] = {
      {"bad header", "host,start_s,end_s\n0,1,2\n", "line 1", "bad header"},
      {"reordered header", "# c\nhost,end_s,start_s,cpu_share\n", "line 2", "expected exactly"},
      {"unknown field", "host,start_s,end_s,cpu_share,user\n", "line 1", "unknown field \"user\""},
      {"bad number", "host,start_s,end_s,cpu_share\n0,1,2x,0\n", "line 2", "end_s: expected a number"},
      {"empty number", "host,start_s,end_s,cpu_share\n0,,2,0\n", "line 2", "start_s: expected a number"},
      {"extra field", "host,start_s,end_s,cpu_share\n0,1,2,0,9\n", "line 2", "expected 4 fields"},
      {"overlap", "host,start_s,end_s,cpu_share\n0,0,10,0\n1,0,10,0\n0,5,20,0\n", "line 4", "(line 2"},
      {"unsorted", "host,start_s,end_s,cpu_share\n0,50,60,0\n0,10,20,0\n", "line 3", "must be sorted"},
      {"end before start", "host,start_s,end_s,cpu_share\n0,5,5,0\n", "line 2", "must be after start_s"},
      {"share above one", "host,start_s,end_s,cpu_share\n0,5,6,1.5\n", "line 2", "cpu_share"},
      {"empty file", "\n", "line 1", "empty trace"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    TempTrace t(c.text);
    std::string e = input_error_of([&] { load_owner_trace(t.path()); });
    CHECK(contains(e, t.path()));
    CHECK(contains(e, c.line));
    CHECK(contains(e, c.message));
  }
  CHECK(contains(input_error_of([] { load_owner_trace("/nonexistent/owners.csv"); }), "/nonexistent/owners.csv"));
}
