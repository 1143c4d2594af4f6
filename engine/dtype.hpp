#pragma once
// Element types. float32 is the engine's type; float64 runs the reference kernels inside gradcheck;
// int64 holds class labels and gather/scatter indices and is never differentiable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "engine/error.hpp"

namespace attrax {

enum class DType : std::uint8_t { Float32, Float64, Int64 };

constexpr std::size_t dtype_size(DType dtype) { return dtype == DType::Float32 ? 4 : 8; }

constexpr const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
  }
  return "unknown";
}

constexpr bool is_floating(DType dtype) { return dtype != DType::Int64; }

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  else if constexpr (std::is_same_v<T, double>) return DType::Float64;
  else {
    static_assert(std::is_same_v<T, std::int64_t>, "attrax tensors hold float, double or int64_t");
    return DType::Int64;
  }
}

// Calls fn.template operator()<T>() with T = float or double; an int64 tensor is an error naming op.
template <class Fn>
decltype(auto) visit_floating(DType dtype, const char* op, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    default: break;
  }
  throw DTypeError(std::string(op) + ": expected a float32 or float64 tensor, got int64");
}

// Calls fn.template operator()<T>() for any dtype.
template <class Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: break;
  }
  return fn.template operator()<std::int64_t>();
}

}  // namespace attrax
