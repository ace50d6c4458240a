// The external policy (see external_policy.hpp): one process per run, started with the policy, spoken to in JSON
// Lines. Every way the process can let the run down (it cannot start, dies, hangs, answers garbage or breaks the
// protocol) is a PolicyFailure naming its command and what went wrong; the process is killed then, and at the end.
// An answer that is well-formed but impossible is the runner's std::logic_error, named the same way.
#include "policy/external_policy.hpp"

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "policy/policy_json.hpp"

namespace spritesim {

namespace {

constexpr double EXIT_GRACE_S = 1; ///< how long a process that closed its stdout, or was told the run ended, may take
constexpr size_t QUOTED_CHARS = 200; ///< of a garbled line, in the message

void expect_type(const JsonReader& r, const char* type)
{
  if (std::string t = r.required_string("type"); t != type)
    r.member("type").fail(fmt::format("expected \"{}\", got \"{}\"", type, t));
}

std::string excerpt(const std::string& line)
{
  nlohmann::json j = line.size() > QUOTED_CHARS ? line.substr(0, QUOTED_CHARS) + "..." : line;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

ExternalPolicy::ExternalPolicy(std::vector<std::string> command, nlohmann::json params, double timeout_s)
    : who_(fmt::format("external policy [{}]", fmt::join(command, " "))), timeout_s_(timeout_s)
{
  ChildSpec spec;
  spec.argv = std::move(command);
  spec.search_path = true;
  child_ = std::make_unique<LineChild>(std::move(spec));
  nlohmann::json hello =
      exchange({{"type", "hello"}, {"protocol", EXTERNAL_POLICY_PROTOCOL}, {"params", std::move(params)}}, "the hello");
  try {
    JsonReader r(hello, "its hello");
    expect_type(r, "hello");
    int64_t version = r.required_integer("protocol", 0, INT32_MAX);
    if (version != EXTERNAL_POLICY_PROTOCOL)
      r.member("protocol").fail(
          fmt::format("speaks protocol {}, this spritesim speaks {}", version, EXTERNAL_POLICY_PROTOCOL));
    name_ = r.required_string("name");
    r.finish();
  } catch (const InputError& e) {
    fail(e.what());
  }
}

ExternalPolicy::~ExternalPolicy()
{
  if (child_)
    child_->stop(EXIT_GRACE_S);
}

void ExternalPolicy::fail(const std::string& why)
{
  failed_ = fmt::format("{}: {}", who_, why);
  child_->stop(0);
  throw PolicyFailure(failed_);
}

nlohmann::json ExternalPolicy::exchange(const nlohmann::json& msg, const std::string& what)
{
  if (child_->write_line(msg.dump(), timeout_s_) != LineChild::Io::OK) {
    // It stopped reading: most likely it died. Its status says how.
    fail(fmt::format("its process no longer reads its input, at {}; it {}", what, child_->stop(EXIT_GRACE_S)));
  }
  std::string line;
  switch (child_->read_line(line, timeout_s_)) {
    case LineChild::Io::OK: break;
    case LineChild::Io::END:
      fail(fmt::format("its process ended without answering {}; it {}", what, child_->stop(EXIT_GRACE_S)));
    case LineChild::Io::TIMEOUT:
      fail(fmt::format("no answer to {} within timeout_s = {} s of wall time; its process was killed", what,
                       timeout_s_));
  }
  try {
    return nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    fail(fmt::format("its answer to {} is not a JSON line ({}): {}", what, e.what(), excerpt(line)));
  }
}

std::vector<Decision> ExternalPolicy::do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events)
{
  if (!failed_.empty())
    throw PolicyFailure(failed_ + " (earlier; no call since reached it)");
  ++call_;
  nlohmann::json evs = nlohmann::json::array();
  for (const auto& ev : events)
    evs.push_back(to_json(ev));
  const std::string what = fmt::format("call {}", call_);
  nlohmann::json answer = exchange(
      {{"type", "decide"}, {"call", call_}, {"view", to_json(view)}, {"events", std::move(evs)}}, what);
  std::vector<Decision> out;
  try {
    JsonReader r(answer, "its answer to " + what);
    expect_type(r, "decisions");
    if (uint64_t echoed = static_cast<uint64_t>(r.required_integer("call", 0, INT64_MAX)); echoed != call_)
      r.member("call").fail(fmt::format("answers call {}, expected {}", echoed, call_));
    for (const auto& d : r.member("decisions").elements())
      out.push_back(parse_decision(d));
    r.finish();
  } catch (const InputError& e) {
    fail(e.what());
  }
  return out;
}

std::unique_ptr<Policy> make_external_policy(const PolicySpec& spec, const std::string& file, const std::string& path)
{
  if (spec.command.empty())
    throw InputError(file, path + ".command",
                     "policy \"external\" needs a command: an array of strings, the program and its arguments");
  try {
    return std::make_unique<ExternalPolicy>(spec.command, spec.params, spec.timeout_s);
  } catch (const ChildStartError& e) {
    throw InputError(file, path + ".command", e.what());
  }
}

PolicyInfo external_policy_info()
{
  return {EXTERNAL_POLICY,
          "a policy that is a process of your own, in any language, speaking JSON Lines on stdin and stdout: the "
          "view and events in, decisions out, checked like a built-in policy's (docs/external-policies.md)",
          "Batsim's decision component (protocol over a pipe); python/spritesim_policy.py",
          {{"command", "array of strings", 0, 0, 0,
            "the program and its arguments (required); PATH is searched for the program; a relative path with a / "
            "is relative to the config's folder"},
           {"params", "object", 0, 0, 0, "anything: handed to the process in its hello, unchecked"},
           {"timeout_s", "number", 10, 0.001, 3600,
            "seconds of wall time the process may take to answer one message; past that it is killed and the run "
            "fails"}},
          nullptr};
}

} // namespace spritesim
