#pragma once
// Errors thrown by attrax. Every message names the operation and what was wrong with its input.
#include <stdexcept>
#include <string>

namespace attrax {

// Base of every error attrax throws on bad input or misuse.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shapes that do not fit an op: the message names the op, the shapes and the likely fix.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A tensor of the wrong element type (an int64 index where floats are needed, mixed float widths).
class DTypeError : public Error {
 public:
  using Error::Error;
};

// An axis or index outside its valid range.
class IndexError : public Error {
 public:
  using Error::Error;
};

// An option or argument value outside its valid range (stride 0, beta <= 0, clamp bounds reversed).
class ValueError : public Error {
 public:
  using Error::Error;
};

// Misuse of autodiff: backward through a freed graph, a gradient for a tensor that does not need one.
class AutogradError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose contents are malformed: the message names the file
// and the problem (wrong magic, truncated data, an offset out of range).
class FileError : public Error {
 public:
  using Error::Error;
};

}  // namespace attrax
