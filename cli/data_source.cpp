#include "cli/data_source.hpp"

#include "cli/options.hpp"
#include "models/data/idx.hpp"
#include "models/data/image_folder.hpp"
#include "models/data/shapes.hpp"

namespace attrax::cli {

namespace {

constexpr const char* kDataForms = "fmnist[:DIR], idx:IMAGES,LABELS, folder:ROOT or shapes[:COUNT]";

// Splits "kind:rest" into kind and rest (rest empty without a colon).
std::pair<std::string, std::string> split_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return {spec, ""};
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

data::Dataset load_idx_pair(const std::string& paths) {
  const auto comma = paths.find(',');
  if (comma == std::string::npos || comma == 0 || comma + 1 == paths.size())
    throw UsageError("--data idx: expects idx:IMAGES,LABELS, got 'idx:" + paths + "'");
  return data::load_idx(paths.substr(0, comma), paths.substr(comma + 1));
}

data::Dataset make_shapes_split(const DataRequest& request, const std::string& count) {
  const bool train = request.purpose == DataPurpose::Train;
  data::ShapesOptions options{.size = request.size, .channels = request.channels};
  options.count = count.empty() ? (train ? 6000 : 1000)
                                : parse_integer("--data shapes:COUNT", count.c_str(), 1);
  options.seed = train ? 1 : 2;
  return data::make_shapes(options);
}

}  // namespace

data::Dataset load_data(const DataRequest& request) {
  const auto [kind, rest] = split_spec(request.spec);
  const bool train = request.purpose == DataPurpose::Train;
  if (kind == "fmnist") {
    const data::Split split = train ? data::Split::Train : data::Split::Test;
    return rest.empty() ? data::load_fashion_mnist(split) : data::load_fashion_mnist(split, rest);
  }
  if (kind == "idx") return load_idx_pair(rest);
  if (kind == "folder" && !rest.empty())
    return data::load_image_folder(rest, {.height = request.size, .width = request.size,
                                          .channels = request.channels});
  if (kind == "shapes") return make_shapes_split(request, rest);
  throw UsageError("unknown --data '" + request.spec + "'; expected " + kDataForms);
}

}  // namespace attrax::cli
