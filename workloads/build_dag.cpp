// BuildDag: the trace's jobs as a Boost.Graph adjacency list. Validates ids and dependencies, and answers the
// questions a scheduler asks of the DAG: a stable topological order, a cycle if any, and the critical path.
#include "workloads/build_dag.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string_view>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <fmt/format.h>

#include "core/input_error.hpp"

namespace spritesim {

namespace {

// Vertices are trace indices.
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

// Edges job -> dep (the order a cycle reads in, "a needs b"); out-edges keep the order of each job's deps list, so
// the search is deterministic.
Graph needs_graph(const BuildDag& dag)
{
  Graph g(dag.size());
  for (size_t job = 0; job < dag.size(); ++job)
    for (size_t dep : dag.deps(job))
      boost::add_edge(job, dep, g);
  return g;
}

// Records the first back edge of a depth-first search, and the tree edges that lead to it.
class CycleRecorder : public boost::default_dfs_visitor {
public:
  CycleRecorder(std::vector<Vertex>& parent, std::optional<std::pair<Vertex, Vertex>>& back_edge)
      : parent_(&parent), back_edge_(&back_edge)
  {
  }
  void tree_edge(boost::graph_traits<Graph>::edge_descriptor e, const Graph& g) const
  {
    (*parent_)[boost::target(e, g)] = boost::source(e, g);
  }
  void back_edge(boost::graph_traits<Graph>::edge_descriptor e, const Graph& g) const
  {
    if (!*back_edge_)
      *back_edge_ = std::make_pair(boost::source(e, g), boost::target(e, g));
  }

private:
  // Pointers: Boost copies visitors by value, the results must outlive the copies.
  std::vector<Vertex>* parent_;
  std::optional<std::pair<Vertex, Vertex>>* back_edge_;
};

} // namespace

namespace {

// Job ids to trace indices: open addressing over the ids themselves (no node per entry, no copied keys), since a
// million-job trace spends most of its validation time looking ids up.
class IdIndex {
public:
  IdIndex(const std::vector<TraceJob>& jobs) : jobs_(jobs)
  {
    size_t cap = 16;
    while (cap < 2 * jobs.size())
      cap *= 2;
    slots_.assign(cap, EMPTY);
  }
  /// The index of id, or EMPTY.
  size_t find(std::string_view id) const
  {
    for (size_t s = slot(id);; s = (s + 1) & (slots_.size() - 1))
      if (slots_[s] == EMPTY || jobs_[slots_[s]].id == id)
        return slots_[s];
  }
  /// Adds job i; returns the index already holding its id, or EMPTY when it is new.
  size_t insert(size_t i)
  {
    const std::string& id = jobs_[i].id;
    size_t s = slot(id);
    for (; slots_[s] != EMPTY; s = (s + 1) & (slots_.size() - 1))
      if (jobs_[slots_[s]].id == id)
        return slots_[s];
    slots_[s] = i;
    return EMPTY;
  }
  static constexpr size_t EMPTY = SIZE_MAX;

private:
  size_t slot(std::string_view id) const { return std::hash<std::string_view>{}(id) & (slots_.size() - 1); }
  const std::vector<TraceJob>& jobs_;
  std::vector<size_t> slots_;
};

} // namespace

BuildDag::BuildDag(const BuildTrace& trace, const std::string& file, const JobLocator& where)
{
  auto at = [&where](size_t i) { return where ? where(i) : fmt::format("$.jobs[{}]", i); };
  const size_t n = trace.jobs.size();
  IdIndex index_of(trace.jobs);
  for (size_t i = 0; i < n; ++i) {
    size_t first = index_of.insert(i);
    if (first != IdIndex::EMPTY)
      throw InputError(file, at(i) + ".id",
                       fmt::format("duplicate job id \"{}\" (first at {})", trace.jobs[i].id, at(first)));
  }

  dep_start_.assign(1, 0);
  dep_start_.reserve(n + 1);
  std::vector<size_t> dependents_of(n + 1, 0); // counts, then where each job's dependents start
  // listed_by[d] == i when job i has already listed d: finds repeats in O(1), even in a link of 100,000 objects.
  std::vector<size_t> listed_by(n, SIZE_MAX);
  for (size_t i = 0; i < n; ++i) {
    const auto& dep_ids = trace.jobs[i].deps;
    for (size_t k = 0; k < dep_ids.size(); ++k) {
      size_t d = index_of.find(dep_ids[k]);
      if (d == IdIndex::EMPTY)
        throw InputError(file, fmt::format("{}.deps[{}]", at(i), k),
                         fmt::format("unknown dependency \"{}\"", dep_ids[k]));
      // A repeated dependency would count twice in in-degrees; it is a typo, so say so.
      if (listed_by[d] == i)
        throw InputError(file, fmt::format("{}.deps[{}]", at(i), k),
                         fmt::format("dependency \"{}\" is listed twice", dep_ids[k]));
      listed_by[d] = i;
      dep_list_.push_back(d);
      ++dependents_of[d + 1];
    }
    dep_start_.push_back(dep_list_.size());
  }
  dep_list_.shrink_to_fit();
  for (size_t d = 0; d < n; ++d)
    dependents_of[d + 1] += dependents_of[d];
  dependent_start_ = dependents_of;
  dependent_list_.resize(dep_list_.size());
  for (size_t i = 0; i < n; ++i) // in trace order, so each job's dependents are too
    for (size_t d : deps(i))
      dependent_list_[dependents_of[d]++] = i;
}

std::vector<size_t> BuildDag::topological_order() const
{
  // Kahn's algorithm with a min-heap of ready jobs: among the ready ones the lowest trace index goes first, so
  // the order is the trace order wherever the dependencies allow it.
  std::vector<size_t> waiting(size());
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t v = 0; v < size(); ++v) {
    waiting[v] = deps(v).size();
    if (waiting[v] == 0)
      ready.push(v);
  }
  std::vector<size_t> order;
  order.reserve(size());
  while (!ready.empty()) {
    size_t v = ready.top();
    ready.pop();
    order.push_back(v);
    for (size_t w : dependents(v))
      if (--waiting[w] == 0)
        ready.push(w);
  }
  if (order.size() != size())
    throw std::logic_error("BuildDag::topological_order: the dependencies have a cycle (see find_cycle)");
  return order;
}

std::optional<std::vector<size_t>> BuildDag::find_cycle() const
{
  // A depth-first search from job 0 in trace order; its first back edge u -> v closes the cycle
  // v -> ... -> u -> v along the tree edges. Edges go job -> dep, so "a -> b" reads "a needs b".
  Graph g = needs_graph(*this);
  std::vector<Vertex> parent(size());
  for (size_t v = 0; v < size(); ++v)
    parent[v] = v;
  std::optional<std::pair<Vertex, Vertex>> back_edge;
  std::vector<boost::default_color_type> colors(size());
  boost::depth_first_search(
      g, CycleRecorder(parent, back_edge),
      boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, g)));
  if (!back_edge)
    return std::nullopt;

  auto [last, first] = *back_edge;
  std::vector<size_t> cycle;
  for (Vertex v = last; v != first; v = parent[v])
    cycle.push_back(v);
  cycle.push_back(first);
  std::reverse(cycle.begin(), cycle.end());
  cycle.push_back(first);
  return cycle;
}

double BuildDag::critical_path(const std::vector<double>& weight) const
{
  std::vector<size_t> chain = critical_chain(weight);
  double total = 0;
  for (size_t v : chain)
    total += weight[v];
  return total;
}

std::vector<size_t> BuildDag::critical_chain(const std::vector<double>& weight) const
{
  if (weight.size() != size())
    throw std::invalid_argument(
        fmt::format("BuildDag::critical_path: {} weights for {} jobs", weight.size(), size()));
  // finish[v]: the heaviest chain of jobs that ends with v; via[v] the dependency it came through.
  // Dependencies come first in topological order; ties keep the first (lowest-order) candidate.
  std::vector<double> finish(size(), 0.0);
  std::vector<size_t> via(size(), SIZE_MAX);
  size_t end = SIZE_MAX;
  for (size_t v : topological_order()) {
    double start = 0;
    for (size_t d : deps(v))
      if (via[v] == SIZE_MAX || finish[d] > start) {
        start = finish[d];
        via[v] = d;
      }
    finish[v] = start + weight[v];
    if (end == SIZE_MAX || finish[v] > finish[end])
      end = v;
  }
  std::vector<size_t> chain;
  for (size_t v = end; v != SIZE_MAX; v = via[v])
    chain.push_back(v);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

std::vector<size_t> BuildDag::levels() const
{
  std::vector<size_t> level(size(), 0);
  for (size_t v : topological_order())
    for (size_t d : deps(v))
      level[v] = std::max(level[v], level[d] + 1);
  return level;
}

} // namespace spritesim
