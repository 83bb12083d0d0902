// SPDX-License-Identifier: GPL-3.0-or-later
// The pickle reader's checks of a finished value tree (see pickle_internal.h): depth and cycles
// reached through shared references, and the release of what the result does not reach.
#include <algorithm>

#include "pickle_internal.h"

namespace mlsan::data {

// A second reference to a container (memo GET or DUP) can make cycles, or deepen a container
// after its depth was recorded; then walk the result once, without recursion.
void checkPickleStructure(const PyValue& root, std::size_t maxDepth, const std::function<void(const std::string&)>& fail) {
  if (!root.object() || !isContainer(root.kind())) return;
  struct Frame { PyObject* obj; PyKind kind; std::size_t next; std::uint32_t depth; };
  auto childOf = [](PyObject* o, PyKind k, std::size_t i, const PyValue** out) -> bool {
    switch (k) {
      case PyKind::List: {
        auto* l = static_cast<PyListObj*>(o);
        if (l->compact || i >= l->items.size()) return false;
        *out = &l->items[i];
        return true;
      }
      case PyKind::Tuple: case PyKind::Set: {
        auto* s = static_cast<PySeqObj*>(o);
        if (i >= s->items.size()) return false;
        *out = &s->items[i];
        return true;
      }
      case PyKind::Dict: {
        auto* d = static_cast<PyDictObj*>(o);
        if (i >= 2 * d->items.size()) return false;
        *out = (i % 2) ? &d->items[i / 2].second : &d->items[i / 2].first;
        return true;
      }
      default: return false;
    }
  };
  // visit: 0/3 = not yet seen, 1 = on the path, 2 = done (depth holds the true depth)
  std::vector<Frame> path;
  root.object()->visit = 1;
  path.push_back({root.object().get(), root.kind(), 0, 1});
  while (!path.empty()) {
    Frame& f = path.back();
    const PyValue* child = nullptr;
    if (childOf(f.obj, f.kind, f.next++, &child)) {
      if (!child->object() || !isContainer(child->kind())) continue;
      PyObject* c = child->object().get();
      if (c->visit == 1) fail("the pickle contains a recursive structure (a container inside itself)");
      if (c->visit == 2) {
        f.depth = std::max(f.depth, c->depth + 1);
        continue;
      }
      if (path.size() >= maxDepth) fail("containers nested deeper than " + std::to_string(maxDepth) + " levels");
      c->visit = 1;
      path.push_back({c, child->kind(), 0, 1});
    } else {
      f.obj->visit = 2;
      f.obj->depth = f.depth;
      const std::uint32_t d = f.depth;
      path.pop_back();
      if (!path.empty()) path.back().depth = std::max(path.back().depth, d + 1);
    }
  }
}

// After a success: a container with several references that the result does not reach is
// garbage (left in the memo or on the stack), possibly in a cycle (`]2a0N.`): empty it, so
// that everything is freed.
static void emptyContainer(PyObject* o) {
  if (auto* l = dynamic_cast<PyListObj*>(o)) { l->items.clear(); l->floats.clear(); }
  else if (auto* q = dynamic_cast<PySeqObj*>(o)) q->items.clear();
  else if (auto* d = dynamic_cast<PyDictObj*>(o)) { d->items.clear(); d->index.clear(); }
}

void releaseUnreachable(std::vector<std::shared_ptr<PyObject>>& shared) {
  for (auto& o : shared)
    if (o->visit != 2) emptyContainer(o.get());  // 2: reached from the result by checkStructure
  shared.clear();
}

// On failure, containers that had several references may form cycles or long chains; emptying
// them lets everything be freed without leaks or deep recursion.
void breakSharedLinks(std::vector<std::shared_ptr<PyObject>>& shared) {
  for (auto& o : shared) emptyContainer(o.get());
  shared.clear();
}

}  // namespace mlsan::data
