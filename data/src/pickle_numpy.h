#pragma once
// Internal to mlsan_data: the allowed globals of the pickle reader and what "calling" them means
// (REDUCE) or "setting their state" means (BUILD), interpreted as data, never executed.
#include <optional>
#include <string>

#include "pickle_internal.h"

namespace mlsan::data {

/// Where the opcode being interpreted sits, for error messages.
struct NumpyContext {
  const std::string& file;
  std::size_t offset;
  [[noreturn]] void fail(const std::string& why) const { throw PickleError(file, offset, why); }
};

/// The id of an allowed global, or nullopt.
std::optional<PyGlobalId> allowedGlobal(const std::string& module, const std::string& name);
/// REDUCE: `fn(*args)` for an allowed `fn`; throws PickleError for anything else.
PyValue reduceAllowed(const NumpyContext& ctx, const PyValue& fn, const PyValue& args);
/// BUILD: sets the state of a numpy array shell or dtype; throws PickleError for anything else.
void buildAllowed(const NumpyContext& ctx, PyValue& target, const PyValue& state);

}  // namespace mlsan::data
