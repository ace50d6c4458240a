// Unit tests for trace files: JSON Lines traces and JSON documents loaded from disk. Every malformed file gives an
// InputError naming the file, the line and the field; JSON <-> JSON Lines round trips are exact; the loader picks
// the encoding by extension or content.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "workloads/trace.hpp"
#include "workloads/trace_jsonl.hpp"

using namespace spritesim;
using spritesim::test::input_error_of;

namespace {

// A fresh directory for the files of one test.
std::string temp_dir()
{
  std::string pattern = "/tmp/spritesim-trace-test-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

std::string write(const std::string& dir, const std::string& name, const std::string& text)
{
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

const std::vector<std::string> JSONL_LINES = {
    R"({"format": "spritesim-trace", "version": 2, "name": "tiny", "reference_profile": "ss1", "job_count": 3})",
    R"({"id": "a.o", "kind": "compile", "argv": ["cc", "-c", "a.c"], "cpu_s": 3.25, "lookups": 31})",
    R"({"id": "b.o", "cpu_s": 4, "cwd": "src", "wall_s": 4.5, "dirty_bytes": 4096, "cpu_profile": "ss1"})",
    R"({"id": "prog", "kind": "link", "deps": ["a.o", "b.o"], "cpu_s": 1.5, "reads_dep_outputs": true})",
};

std::string jsonl(std::vector<std::string> lines)
{
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

// JSONL_LINES with line n (1-based) replaced.
std::string jsonl_with(size_t n, const std::string& line)
{
  auto lines = JSONL_LINES;
  lines[n - 1] = line;
  return jsonl(lines);
}

// The same trace as a JSON document, one job per line (jobs on lines 3, 4 and 5).
const char* const JSON_DOC = R"({"format": "spritesim-trace", "version": 2, "name": "tiny",
  "jobs": [
    {"id": "a.o", "kind": "compile", "argv": ["cc", "-c", "a.c"], "cpu_s": 3.25, "lookups": 31},
    {"id": "b.o", "cpu_s": 4, "cwd": "src", "wall_s": 4.5, "dirty_bytes": 4096, "cpu_profile": "ss1"},
    {"id": "prog", "kind": "link", "deps": ["a.o", "b.o"], "cpu_s": 1.5, "reads_dep_outputs": true}
  ]
})";

std::string json_with(const std::string& from, const std::string& to)
{
  std::string s = JSON_DOC;
  auto pos = s.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, from);
  return s.replace(pos, from.size(), to);
}

struct Case {
  const char* what;
  std::string text;
  std::vector<std::string> expected; // substrings of the message (the line and the field among them)
};

void check_cases(const std::vector<Case>& cases, const std::string& name)
{
  std::string dir = temp_dir();
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::string path = write(dir, name, c.text);
    std::string message = input_error_of([&] { load_trace_file(path); });
    REQUIRE_MESSAGE(!message.empty(), "no InputError for: " << c.what);
    CHECK_MESSAGE(message.rfind(path + ": at ", 0) == 0, message);
    for (const std::string& part : c.expected)
      CHECK_MESSAGE(message.find(part) != std::string::npos, "\"" << part << "\" not in: " << message);
  }
}

} // namespace

TEST_CASE("a JSON Lines trace loads, with the version 2 fields")
{
  std::string dir = temp_dir();
  BuildTrace t = load_trace_file(write(dir, "t.jsonl", jsonl(JSONL_LINES)));
  REQUIRE(t.jobs.size() == 3);
  CHECK(t.version == 2);
  CHECK(t.name == "tiny");
  CHECK(t.jobs[1].cwd == "src");
  CHECK(t.jobs[1].wall_s == 4.5);
  CHECK(t.jobs[1].dirty_bytes == 4096);
  CHECK(t.jobs[1].cpu_profile == "ss1");
  CHECK(t.jobs[2].deps == std::vector<std::string>{"a.o", "b.o"});
  // Blank lines and a missing final newline are fine; job_count is optional.
  std::string loose = jsonl(JSONL_LINES) + "\n\n";
  CHECK(load_trace_file(write(dir, "loose.jsonl", loose)).jobs.size() == 3);
  auto lines = JSONL_LINES;
  lines[0] = R"({"format": "spritesim-trace", "version": 2})";
  std::string bare = jsonl(lines);
  bare.pop_back();
  CHECK(load_trace_file(write(dir, "bare.jsonl", bare)).jobs.size() == 3);
}

TEST_CASE("malformed JSON Lines traces name the file, the line and the field")
{
  auto lines = JSONL_LINES;
  std::string cut = jsonl({lines[0], lines[1], lines[2]}) + lines[3].substr(0, lines[3].size() - 12);
  check_cases(
      {
          {"truncated inside a line", cut, {"line 4 column", "invalid JSON", "truncated"}},
          {"truncated at a line end", jsonl({lines[0], lines[1], lines[2]}),
           {"line 3", "job_count 3", "truncated", "ends after 2 job(s)"}},
          {"cpu_s is a string", jsonl_with(3, R"({"id": "b.o", "cpu_s": "4"})"),
           {"line 3: $.cpu_s", "expected a number of seconds"}},
          {"deps is a string", jsonl_with(4, R"({"id": "prog", "deps": "a.o", "cpu_s": 1})"),
           {"line 4: $.deps", "expected an array"}},
          {"job is an array", jsonl_with(2, R"(["a.o", 3.25])"), {"line 2: $", "expected an object"}},
          {"unknown dependency", jsonl_with(4, R"({"id": "prog", "deps": ["a.o", "c.o"], "cpu_s": 1})"),
           {"line 4: $.deps[1]", "unknown dependency \"c.o\""}},
          {"cycle", jsonl_with(2, R"({"id": "a.o", "deps": ["prog"], "cpu_s": 1})"),
           {"line 2: $", "dependency cycle: a.o -> prog -> a.o"}},
          {"negative CPU", jsonl_with(4, R"({"id": "prog", "cpu_s": -1.5})"),
           {"line 4: $.cpu_s", "must not be negative", "-1.5"}},
          {"duplicate id", jsonl_with(3, R"({"id": "a.o", "cpu_s": 4})"),
           {"line 3: $.id", "duplicate job id \"a.o\"", "first at line 2"}},
          {"bad version", jsonl_with(1, R"({"format": "spritesim-trace", "version": 9})"),
           {"line 1: $.version", "unsupported trace version 9"}},
          {"unknown key", jsonl_with(2, R"({"id": "a.o", "cpu_s": 3, "cpu": 3})"), {"line 2: $.cpu", "unknown key \"cpu\""}},
          {"bad exit status", jsonl_with(2, R"({"id": "a.o", "cpu_s": 3, "exit_status": 300})"),
           {"line 2: $.exit_status"}},
          {"a JSON document in a .jsonl file", std::string(JSON_DOC), {"line 1"}},
          {"a whole document on line 1",
           R"({"format": "spritesim-trace", "version": 2, "jobs": [{"id": "a", "cpu_s": 1}]})" "\n",
           {"line 1: $", "header on its first line"}},
          {"header only", jsonl({R"({"format": "spritesim-trace", "version": 2})"}), {"line 1", "at least one job"}},
          {"empty file", "", {"line 1", "empty file"}},
      },
      "bad.jsonl");
}

TEST_CASE("malformed JSON trace files name the file, the line of the job and the field")
{
  std::string doc = JSON_DOC;
  check_cases(
      {
          {"truncated", doc.substr(0, doc.size() / 2), {"line 4 column", "invalid JSON"}},
          {"cpu_s is a string", json_with(R"("cpu_s": 4,)", R"("cpu_s": "4",)"),
           {"line 4: $.jobs[1].cpu_s", "expected a number of seconds"}},
          {"unknown dependency", json_with(R"(["a.o", "b.o"])", R"(["a.o", "c.o"])"),
           {"line 5: $.jobs[2].deps[1]", "unknown dependency \"c.o\""}},
          {"cycle", json_with(R"("cpu_s": 3.25,)", R"("deps": ["prog"], "cpu_s": 3.25,)"),
           {"line 3: $.jobs[0]", "dependency cycle: a.o -> prog -> a.o"}},
          {"negative CPU", json_with(R"("cpu_s": 1.5)", R"("cpu_s": -1.5)"),
           {"line 5: $.jobs[2].cpu_s", "must not be negative"}},
          {"duplicate id", json_with(R"("id": "b.o")", R"("id": "a.o")"),
           {"line 4: $.jobs[1].id", "duplicate job id \"a.o\"", "first at line 3: $.jobs[0]"}},
          {"bad version", json_with(R"("version": 2)", R"("version": "two")"), {"$.version", "expected the integer"}},
      },
      "bad.json");
}

TEST_CASE("find_job_lines follows strings, escapes and nesting")
{
  CHECK(find_job_lines(JSON_DOC) == std::vector<int64_t>{3, 4, 5});
  CHECK(find_job_lines(R"({"name": "x[\"jobs\"", "tool": {"jobs": [1]},
"jobs": [{"id": "a,b", "argv": ["[", "]"]},
  {"id": "c"}]})") == std::vector<int64_t>{2, 3});
  CHECK(find_job_lines(R"({"jobs": []})").empty());
  CHECK(find_job_lines("[1, 2]").empty());
}

TEST_CASE("traces round-trip exactly between JSON and JSON Lines")
{
  std::string dir = temp_dir();
  BuildTrace t = load_trace_file(write(dir, "t.json", JSON_DOC));
  t.jobs[0].exit_status = -9;
  t.jobs[0].cpu_s = 0.1 + 0.2; // not a short decimal
  t.tool.scan_cpu_s = 1.0 / 3.0;
  save_trace_file(t, dir + "/a.jsonl");
  BuildTrace from_lines = load_trace_file(dir + "/a.jsonl");
  CHECK(to_json(from_lines) == to_json(t));
  save_trace_file(from_lines, dir + "/b.json");
  BuildTrace back = load_trace_file(dir + "/b.json");
  CHECK(to_json(back).dump() == to_json(t).dump());
  CHECK(back.jobs[0].cpu_s == 0.1 + 0.2);
  CHECK(back.jobs[0].exit_status == -9);
  // The streaming writer and the in-memory form give the same bytes.
  CHECK(read_text_file(dir + "/a.jsonl") == trace_to_jsonl(t));
  // And again the same bytes from the re-read trace: deterministic.
  save_trace_file(back, dir + "/c.jsonl");
  CHECK(read_text_file(dir + "/c.jsonl") == read_text_file(dir + "/a.jsonl"));
}

TEST_CASE("the loader picks the encoding by extension, else by content")
{
  std::string dir = temp_dir();
  CHECK(load_trace_file(write(dir, "lines.trace", jsonl(JSONL_LINES))).jobs.size() == 3);
  CHECK(load_trace_file(write(dir, "lines.json", jsonl(JSONL_LINES))).jobs.size() == 3);
  CHECK(load_trace_file(write(dir, "doc.trace", JSON_DOC)).jobs.size() == 3);
  std::string one_line = to_json(load_trace_file(dir + "/doc.trace")).dump();
  CHECK(load_trace_file(write(dir, "one.json", one_line)).jobs.size() == 3);
  std::istringstream in(jsonl(JSONL_LINES));
  CHECK(read_trace_jsonl(in, "stream").jobs.size() == 3);
  CHECK(input_error_of([&] { load_trace_file(dir + "/missing.json"); }).find("missing.json: cannot open") != std::string::npos);
}

TEST_CASE("an uncommitted JSON Lines writer leaves nothing behind")
{
  std::string dir = temp_dir();
  BuildTrace header;
  {
    TraceJsonlWriter w(dir + "/x.jsonl", header, 2);
    TraceJob j;
    j.id = "a";
    w.add(j);
    CHECK_THROWS_AS(w.commit(), std::logic_error); // one job short
  }
  CHECK(!std::ifstream(dir + "/x.jsonl").good());
}
