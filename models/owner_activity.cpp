// Owner activity (see owner_activity.hpp): the generator, the owner-trace CSV reader and the availability
// statistics. All randomness is mt19937_64 with explicit inverse-CDF draws, so outputs match across standard
// libraries (std:: distributions are implementation-defined).
#include "models/owner_activity.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/limits.hpp"
#include "core/json_reader.hpp"
#include "core/random.hpp"

namespace spritesim {

namespace {

constexpr double DAY_S = 86400;
constexpr double WEEKDAY_START_S = 9 * 3600.0; // TH90 Table 8.5: "weekdays" are Mon-Fri 9:00-17:00
constexpr double WEEKDAY_END_S = 17 * 3600.0;
constexpr uint64_t OWNER_STREAM_SALT = 0x4F574E4552530000ULL; // "OWNERS": owners' streams differ from all others

// Two-phase hyperexponential with balanced means (p1/l1 = p2/l2) of the given mean and coefficient of variation
// (cv >= 1; cv = 1 is the exponential). Always consumes two draws, so streams do not depend on cv.
struct Hyperexp {
  double p1 = 1, mean1 = 0, mean2 = 0;
  Hyperexp(double mean, double cv)
  {
    double c2 = cv * cv;
    p1 = 0.5 * (1 + std::sqrt(std::max(0.0, (c2 - 1) / (c2 + 1))));
    mean1 = mean / (2 * p1);
    mean2 = p1 < 1 ? mean / (2 * (1 - p1)) : 0;
  }
  double draw(std::mt19937_64& rng) const
  {
    double phase = uniform01(rng);
    double u = uniform01(rng);
    return -(phase < p1 ? mean1 : mean2) * std::log(u);
  }
  double survival(double t) const
  {
    return p1 * std::exp(-t / mean1) + (p1 < 1 ? (1 - p1) * std::exp(-t / mean2) : 0);
  }
};

// The part of an idle period beyond the input threshold.
Hyperexp idle_excess(const OwnerModel& m)
{
  return Hyperexp(m.mean_idle_period_s - m.input_threshold_s, m.idle_period_cv);
}

double week_time(double t_s, double start_of_week_s)
{
  double w = std::fmod(t_s + start_of_week_s, WEEK_S);
  return w < 0 ? w + WEEK_S : w;
}

} // namespace

bool is_weekday_hours(double t_s, double start_of_week_s)
{
  double w = week_time(t_s, start_of_week_s);
  double day = std::floor(w / DAY_S);
  double in_day = w - day * DAY_S;
  return day < 5 && in_day >= WEEKDAY_START_S && in_day < WEEKDAY_END_S;
}

double weekday_seconds(double a_s, double b_s, double start_of_week_s)
{
  if (!(b_s > a_s))
    return 0;
  double x = a_s + start_of_week_s, y = b_s + start_of_week_s;
  double total = 0;
  for (double d = std::floor(x / DAY_S); d * DAY_S < y; d += 1) {
    double dow = std::fmod(d, 7.0);
    if ((dow < 0 ? dow + 7 : dow) >= 5)
      continue;
    double lo = std::max(x, d * DAY_S + WEEKDAY_START_S), hi = std::min(y, d * DAY_S + WEEKDAY_END_S);
    if (hi > lo)
      total += hi - lo;
  }
  return total;
}

double mean_active_period_s(const OwnerModel& m, bool weekday)
{
  double share = weekday ? m.weekday_idle_share : m.offhours_idle_share;
  return (m.mean_idle_period_s - m.input_threshold_s) / share - m.mean_idle_period_s;
}

double idle_period_survival(const OwnerModel& m, double t_s)
{
  return t_s < m.input_threshold_s ? 1.0 : idle_excess(m).survival(t_s - m.input_threshold_s);
}

OwnerModel parse_owner_model(const nlohmann::json& j, const std::string& file, const std::string& path)
{
  JsonReader r(j, file, path);
  OwnerModel m;
  m.weekday_idle_share = r.number("weekday_idle_share", m.weekday_idle_share, 1e-6, 1 - 1e-6);
  m.offhours_idle_share = r.number("offhours_idle_share", m.offhours_idle_share, 1e-6, 1 - 1e-6);
  m.input_threshold_s = r.number("input_threshold_s", m.input_threshold_s, 0, 1e6);
  m.mean_idle_period_s = r.number("mean_idle_period_s", m.mean_idle_period_s, 1, 1e9);
  m.idle_period_cv = r.number("idle_period_cv", m.idle_period_cv, 1, 100);
  m.active_period_cv = r.number("active_period_cv", m.active_period_cv, 1, 100);
  m.owner_cpu_share = r.number("owner_cpu_share", m.owner_cpu_share, 0, 1);
  m.start_of_week_s = r.number("start_of_week_s", m.start_of_week_s, 0, WEEK_S);
  // A rule broken by a key left at its default is reported at the object, naming the key (not "missing").
  auto fail_at = [&r](const char* key, const std::string& msg) {
    if (r.has(key))
      r.member(key).fail(msg);
    r.fail(fmt::format("{} (left at its default) {}", key, msg));
  };
  if (m.mean_idle_period_s <= m.input_threshold_s)
    fail_at("mean_idle_period_s",
            fmt::format("must exceed input_threshold_s ({} s): idle periods last at least that long",
                          m.input_threshold_s));
  for (bool weekday : {true, false}) {
    if (mean_active_period_s(m, weekday) <= 0) {
      double max_share = (m.mean_idle_period_s - m.input_threshold_s) / m.mean_idle_period_s;
      fail_at(weekday ? "weekday_idle_share" : "offhours_idle_share",
              fmt::format("must be below {:.4f}: with {} s idle periods of which the first {} s do not count, a "
                            "higher share leaves no time for the owner", max_share, m.mean_idle_period_s,
                            m.input_threshold_s));
    }
  }
  r.finish();
  return m;
}

nlohmann::json to_json(const OwnerModel& m)
{
  return {{"weekday_idle_share", m.weekday_idle_share}, {"offhours_idle_share", m.offhours_idle_share},
          {"mean_idle_period_s", m.mean_idle_period_s}, {"idle_period_cv", m.idle_period_cv},
          {"active_period_cv", m.active_period_cv},     {"owner_cpu_share", m.owner_cpu_share},
          {"start_of_week_s", m.start_of_week_s},       {"input_threshold_s", m.input_threshold_s}};
}

std::vector<OwnerPeriod> generate_owner_periods(const OwnerModel& m, uint64_t seed, int host, double duration_s)
{
  if (!(duration_s >= 0) || host < 0)
    throw std::invalid_argument("generate_owner_periods: duration and host must not be negative");
  if (!(m.mean_idle_period_s > m.input_threshold_s) || m.idle_period_cv < 1 || m.active_period_cv < 1 ||
      mean_active_period_s(m, true) <= 0 || mean_active_period_s(m, false) <= 0)
    throw std::invalid_argument("generate_owner_periods: inconsistent owner model (use parse_owner_model's checks)");
  // Salted: other generators (background processes) seed per-host streams as mix_seed(seed ^ mix_seed(h + 1)),
  // and the owners of host h must not replay the same numbers as h's processes.
  std::mt19937_64 rng(mix_seed(mix_seed(seed ^ OWNER_STREAM_SALT) ^ mix_seed(static_cast<uint64_t>(host) + 1)));
  Hyperexp idle = idle_excess(m);
  Hyperexp weekday_active(mean_active_period_s(m, true), m.active_period_cv);
  Hyperexp offhours_active(mean_active_period_s(m, false), m.active_period_cv);

  std::vector<OwnerPeriod> out;
  double t = -WEEK_S; // a week of warm-up: the week-periodic regimes repeat, so time 0 sees a typical state
  while (t < duration_s) {
    double start = t + m.input_threshold_s + idle.draw(rng);
    bool weekday = is_weekday_hours(start, m.start_of_week_s);
    double end = start + (weekday ? weekday_active : offhours_active).draw(rng);
    t = end;
    if (start >= duration_s || end <= 0)
      continue;
    OwnerPeriod p{std::max(start, 0.0), std::min(end, duration_s), m.owner_cpu_share};
    if (p.end_s > p.start_s)
      out.push_back(p);
  }
  return out;
}

// ---- owner traces ----

namespace {

std::string trim(const std::string& s)
{
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split_csv_line(const std::string& line)
{
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ','))
    fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',')
    fields.emplace_back();
  return fields;
}

double parse_number(const std::string& text, const std::string& file, const std::string& where, const char* field)
{
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw InputError(file, where, fmt::format("{}: expected a number, got \"{}\"", field, text));
  return v;
}

const std::vector<std::string> TRACE_FIELDS = {"host", "start_s", "end_s", "cpu_share"};

} // namespace

std::map<std::string, std::vector<OwnerPeriod>> load_owner_trace(const std::string& path)
{
  return parse_owner_trace(read_text_file(path), path);
}

std::map<std::string, std::vector<OwnerPeriod>> parse_owner_trace(const std::string& text_of_file,
                                                                   const std::string& path)
{
  std::istringstream in(text_of_file);
  std::map<std::string, std::vector<OwnerPeriod>> out;
  std::map<std::string, int> last_line; // host -> line of its previous period, for overlap messages
  std::string line;
  bool header_seen = false;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string where = fmt::format("line {}", number);
    std::string text = trim(line);
    if (text.empty() || text[0] == '#')
      continue;
    std::vector<std::string> fields = split_csv_line(text);
    if (!header_seen) {
      for (const auto& f : fields)
        if (std::find(TRACE_FIELDS.begin(), TRACE_FIELDS.end(), f) == TRACE_FIELDS.end())
          throw InputError(path, where, fmt::format("unknown field \"{}\" in the header (expected {})", f,
                                                    fmt::join(TRACE_FIELDS, ",")));
      if (fields != TRACE_FIELDS)
        throw InputError(path, where, fmt::format("bad header \"{}\": expected exactly {}", text,
                                                  fmt::join(TRACE_FIELDS, ",")));
      header_seen = true;
      continue;
    }
    if (fields.size() != TRACE_FIELDS.size())
      throw InputError(path, where, fmt::format("expected {} fields ({}), got {}", TRACE_FIELDS.size(),
                                                fmt::join(TRACE_FIELDS, ","), fields.size()));
    const std::string& host = fields[0];
    if (host.empty())
      throw InputError(path, where, "host: expected a workstation index or name, got an empty field");
    OwnerPeriod p;
    p.start_s = parse_number(fields[1], path, where, "start_s");
    p.end_s = parse_number(fields[2], path, where, "end_s");
    p.cpu_share = parse_number(fields[3], path, where, "cpu_share");
    if (p.start_s < 0)
      throw InputError(path, where, fmt::format("start_s: must be >= 0, got {}", p.start_s));
    if (p.end_s <= p.start_s)
      throw InputError(path, where, fmt::format("end_s: must be after start_s ({}), got {}", p.start_s, p.end_s));
    if (p.end_s > MAX_SIM_SECONDS)
      throw InputError(path, where, fmt::format("end_s: must be at most {} s, got {}", MAX_SIM_SECONDS, p.end_s));
    if (p.cpu_share < 0 || p.cpu_share > 1)
      throw InputError(path, where, fmt::format("cpu_share: must be in [0, 1], got {}", p.cpu_share));
    auto& periods = out[host];
    if (!periods.empty() && p.start_s < periods.back().end_s)
      throw InputError(path, where,
                       fmt::format("period of host {} starting at {} s overlaps or precedes its previous period "
                                   "(line {}, {} s to {} s): a host's periods must be sorted and must not overlap",
                                   host, p.start_s, last_line[host], periods.back().start_s, periods.back().end_s));
    periods.push_back(p);
    last_line[host] = number;
  }
  if (!header_seen)
    throw InputError(path, "line 1", fmt::format("empty trace: expected the header {}", fmt::join(TRACE_FIELDS, ",")));
  return out;
}

std::vector<std::vector<OwnerPeriod>> owner_periods_by_host(
    const std::map<std::string, std::vector<OwnerPeriod>>& trace, const std::vector<std::string>& host_names,
    const std::string& file)
{
  std::vector<std::vector<OwnerPeriod>> out(host_names.size());
  std::vector<std::string> given_as(host_names.size());
  for (const auto& [key, periods] : trace) {
    auto it = std::find(host_names.begin(), host_names.end(), key);
    long index = -1;
    if (it != host_names.end()) {
      index = it - host_names.begin();
    } else {
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      if (ec != std::errc() || end != key.data() + key.size() || index < 0 ||
          index >= static_cast<long>(host_names.size()))
        throw InputError(file, "", fmt::format("host \"{}\" is neither a workstation name nor an index in [0, {})",
                                               key, host_names.size()));
    }
    auto i = static_cast<size_t>(index);
    if (!given_as[i].empty())
      throw InputError(file, "", fmt::format("workstation {} ({}) has periods under two keys, \"{}\" and \"{}\"",
                                             index, host_names[i], given_as[i], key));
    given_as[i] = key;
    out[i] = periods;
  }
  return out;
}

std::vector<std::vector<OwnerPeriod>> owner_periods_from(const std::vector<std::vector<OwnerPeriod>>& per_host,
                                                         double start_s, const std::string& file)
{
  std::vector<std::vector<OwnerPeriod>> out(per_host.size());
  double last_end_s = 0;
  for (size_t h = 0; h < per_host.size(); ++h)
    for (const OwnerPeriod& p : per_host[h]) {
      last_end_s = std::max(last_end_s, p.end_s);
      if (p.end_s > start_s)
        out[h].push_back({std::max(p.start_s - start_s, 0.0), p.end_s - start_s, p.cpu_share});
    }
  if (start_s > 0 && start_s >= last_end_s)
    throw InputError(file, "", fmt::format("the trace's last period ends at {} s, not after the start {} s: no owner "
                                           "would ever come",
                                           last_end_s, start_s));
  return out;
}

// ---- statistics ----

OwnerStats owner_stats(const std::vector<std::vector<OwnerPeriod>>& per_host, double duration_s,
                       double start_of_week_s)
{
  return owner_stats(per_host, duration_s, start_of_week_s, SPRITE_INPUT_THRESHOLD_S);
}

OwnerStats owner_stats(const std::vector<std::vector<OwnerPeriod>>& per_host, double duration_s,
                       double start_of_week_s, double input_threshold_s)
{
  OwnerStats s{0, 0, 0, 0, 0};
  if (per_host.empty() || !(duration_s > 0))
    return s;
  double idle_weekday = 0, idle_total = 0, gap_sum = 0;
  int64_t gaps = 0, returns = 0;
  auto add_idle = [&](double a, double b) {
    if (b > a) {
      idle_total += b - a;
      idle_weekday += weekday_seconds(a, b, start_of_week_s);
    }
  };
  for (const auto& periods : per_host) {
    double prev_end = -1; // none yet: the run starts idle, since no input is known before it
    double free_from = 0; // when the host next meets the input rule
    for (const auto& p : periods) {
      double start = std::clamp(p.start_s, 0.0, duration_s), end = std::clamp(p.end_s, 0.0, duration_s);
      if (end <= start)
        continue;
      if (start > free_from) { // the owner comes back to a host that met the input rule
        add_idle(free_from, start);
        ++returns;
      }
      if (prev_end >= 0 && start - prev_end >= input_threshold_s) { // a complete idle period, last input to next
        gap_sum += start - prev_end;
        ++gaps;
      }
      prev_end = std::max(prev_end, end);
      free_from = std::max(free_from, end + input_threshold_s);
    }
    add_idle(free_from, duration_s);
  }
  double hosts = static_cast<double>(per_host.size());
  double weekday_time = weekday_seconds(0, duration_s, start_of_week_s) * hosts;
  double offhours_time = duration_s * hosts - weekday_time;
  s.weekday_idle_share = weekday_time > 0 ? idle_weekday / weekday_time : 0;
  s.offhours_idle_share = offhours_time > 0 ? (idle_total - idle_weekday) / offhours_time : 0;
  s.total_idle_share = idle_total / (duration_s * hosts);
  s.mean_idle_period_s = gaps > 0 ? gap_sum / static_cast<double>(gaps) : 0;
  s.idle_to_active_per_hour = static_cast<double>(returns) / (duration_s * hosts / 3600);
  return s;
}

} // namespace spritesim
